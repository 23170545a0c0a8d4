"""Faults at scale: a concurrency storm of quotes from several reps, then each fault, on the real
stack, with an independent check of the board after each. Writes docs/reliability.md.

The stack, the phases and what is audited after each: docs/reliability.md (written by this
command, the method included).

Usage: ``DEMO=1 python -m bench.faults [--reps 8] [--storm-quotes 3] [--fault-reps 4]
[--fault-quotes 2] [--pg postgres://postgres@127.0.0.1:5432] [--output docs/reliability.md]``.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import fault_stack
from bench.fault_clients import WAIT_LIMIT, Batch, Http, rep, scheduler, submit, transient_error
from bench.faults_report import render
from bench.live_stack import (
    free_local_port,
    recreate_database,
    setup_django,
    start_logged,
    stop_group,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = ROOT / "docs" / "reliability.md"
DATABASE = "reliability_faults"


# --- the run ----------------------------------------------------------------------------------


@dataclass
class Stack:
    env: dict[str, str]
    logs: Path
    redis: fault_stack.RedisServer
    worker: Any = None
    beat: Any = None
    server: Any = None

    def start_worker(self) -> None:
        self.worker = fault_stack.celery_worker(
            self.env, self.logs / "worker.log", "faults", concurrency=2
        )


def _any_solving(ids: list[int]) -> bool:
    from quoting.models import Quote

    return Quote.objects.filter(pk__in=ids, status=Quote.Status.SOLVING).exists()


def _wait(condition: Callable[[], bool], limit: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        try:
            if condition():
                return time.monotonic() - started
        except Exception as exc:
            if not transient_error(exc):
                raise
            from django.db import close_old_connections

            close_old_connections()
        time.sleep(0.2)
    return None


def _final_now(ids: list[int]) -> list[int]:
    from quoting.models import Quote

    return list(
        Quote.objects.filter(
            pk__in=ids, status__in=[Quote.Status.DONE, Quote.Status.FAILED, Quote.Status.CANCELLED]
        ).values_list("pk", flat=True)
    )


def _all_final(ids: list[int]) -> bool:
    from quoting.models import Quote

    return all(fault_stack.quote_is_final(q) for q in Quote.objects.filter(pk__in=ids))


def _settled(ids: list[int]) -> bool:
    from quoting.models import ReplanProposal

    return (
        _all_final(ids)
        and not ReplanProposal.objects.filter(
            quote_id__in=ids,
            status__in=[
                ReplanProposal.Status.RESOLVING,
                ReplanProposal.Status.PENDING,
                ReplanProposal.Status.AWAITING_REP,
            ],
        ).exists()
    )


Fault = Callable[[Stack, Callable[[], object]], None]


def run_phase(
    name: str,
    fault: Fault | None,
    stack: Stack,
    http: Http,
    tokens: list[str],
    targets: dict[str, list[int]],
    reps: int,
    quotes: int,
    seed: int,
) -> dict[str, Any]:
    from django.db import close_old_connections

    before = Counter(http.statuses)
    batch = Batch()
    submitted = threading.Barrier(reps + 1)
    threads = [
        threading.Thread(
            target=rep,
            args=(http, tokens[i % len(tokens)], targets, quotes, seed + i, batch, submitted),
        )
        for i in range(reps)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    submitted.wait(timeout=WAIT_LIMIT)  # every rep has asked for its quotes
    fault_seconds = 0.0
    if fault is not None:
        _wait(lambda: _any_solving(batch.ids), 60)
        fault_started = time.monotonic()
        rng = random.Random(seed - 1)
        fault(stack, lambda: submit(http, tokens[0], targets, rng, batch))
        fault_seconds = time.monotonic() - fault_started
    cleared = time.monotonic()
    close_old_connections()
    # Recovery: until every quote of the batch has reached a final state (answered, failed or
    # cancelled) at least once since the fault, or before it. Later re-solves (an accept on a
    # board that moved on) are the workflow, not the fault; they count in "stranded" if they
    # never end. The storm's is counted from its start: there is no fault to clear.
    answered: set[int] = set()

    def all_answered() -> bool:
        answered.update(_final_now(batch.ids))
        return answered >= set(batch.ids)

    recovery = _wait(all_answered, WAIT_LIMIT)
    recovery_seconds = None
    if recovery is not None:
        recovery_seconds = time.monotonic() - (started if fault is None else cleared)
    for thread in threads:
        thread.join(timeout=2 * WAIT_LIMIT)
    _wait(lambda: _settled(batch.ids), WAIT_LIMIT)
    result = fault_stack.audit(batch.ids)
    seen = http.statuses - before
    print(f"{name}: {result}", flush=True)
    return {
        "name": name,
        "submitted": result.quotes,
        "final": result.final,
        "stranded": result.stranded,
        "failed": result.failed,
        "raw_errors": result.raw_errors,
        "broken": result.broken_promises,
        "duplicates": result.duplicates,
        "half_written": result.half_written,
        "recovery": recovery_seconds,
        "fault_seconds": fault_seconds,
        "wall": time.monotonic() - started,
        "http_500": sum(n for code, n in seen.items() if code >= 500 and code != 503),
        "http_503": seen.get(503, 0),
        "requests": sum(seen.values()),
    }


def kill_children(stack: Stack, submit: Callable[[], object]) -> None:
    for pid in fault_stack.pool_children(stack.worker):
        os.kill(pid, signal.SIGKILL)


def kill_worker(stack: Stack, submit: Callable[[], object]) -> None:
    fault_stack.kill_group(stack.worker)
    stack.start_worker()  # the fault clears when a worker is back


def restart_broker(stack: Stack, submit: Callable[[], object]) -> None:
    stack.redis.stop()  # the queued messages are lost
    for _ in range(2):  # a rep quotes meanwhile: kept, sent when the broker is back
        submit()
    time.sleep(3)
    stack.redis.start()


def terminate_connections(stack: Stack, submit: Callable[[], object]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for _ in range(12):
            fault_stack.terminate_backends(cursor)
            time.sleep(0.25)


PHASES: list[tuple[str, Fault | None]] = [
    ("concurrency storm (no fault)", None),
    ("worker pool children killed (SIGKILL)", kill_children),
    ("whole worker killed (SIGKILL), new one started", kill_worker),
    ("broker stopped 3 s, back empty", restart_broker),
    ("database connections terminated for 3 s", terminate_connections),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=8, help="reps in the storm")
    parser.add_argument("--storm-quotes", type=int, default=3, help="quotes per rep in the storm")
    parser.add_argument("--fault-reps", type=int, default=4)
    parser.add_argument("--fault-quotes", type=int, default=2, help="quotes per rep per fault")
    parser.add_argument("--time-limit", type=float, default=1.0)
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--log-dir", default=str(ROOT / "var" / "bench-faults"))
    parser.add_argument("--output", default=str(DEFAULT_OUTPUT))
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    logs = Path(args.log_dir)
    logs.mkdir(parents=True, exist_ok=True)
    pg = args.pg.rstrip("/")
    recreate_database(f"{pg}/postgres", DATABASE)
    database_url = f"{pg}/{DATABASE}"
    redis = fault_stack.RedisServer(logs / "redis")
    redis.start()
    setup_django(database_url, redis.url())
    targets = _populate()
    tokens, scheduler_token = _tokens(args.reps)
    stack = Stack(
        env=fault_stack.stack_env(
            database_url=database_url,
            broker_url=redis.url(),
            engine_time_limit=args.time_limit,
        ),
        logs=logs,
        redis=redis,
    )
    port = free_local_port()
    bin_dir = Path(sys.executable).parent
    stack.server = start_logged(
        [
            str(bin_dir / "gunicorn"),
            "config.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "--workers",
            "3",
            "--threads",
            "4",
            "--log-level",
            "warning",
        ],
        stack.env,
        logs / "gunicorn.log",
    )
    stack.start_worker()
    stack.beat = fault_stack.celery_beat(stack.env, logs / "beat.log", logs / "beat-schedule")
    http = Http(f"http://127.0.0.1:{port}")
    stop = threading.Event()
    results = []
    try:
        _wait(lambda: http.call(scheduler_token, "/api/me/")[0] == 200, 60)
        approver = threading.Thread(target=scheduler, args=(http, scheduler_token, stop))
        approver.start()
        for number, (name, fault) in enumerate(PHASES):
            storm = fault is None
            results.append(
                run_phase(
                    name,
                    fault,
                    stack,
                    http,
                    tokens,
                    targets,
                    args.reps if storm else args.fault_reps,
                    args.storm_quotes if storm else args.fault_quotes,
                    seed=1000 * number,
                )
            )
        stop.set()
        approver.join(timeout=30)
    finally:
        stop.set()
        for process in (stack.server, stack.worker, stack.beat):
            if process is not None:
                stop_group(process)
        redis.stop()
    command = "python -m bench.faults " + " ".join(argv if argv is not None else sys.argv[1:])
    Path(args.output).write_text(render(results, args, command.strip(), load))
    print(f"wrote {args.output}")
    clean = all(
        not (r["stranded"] or r["raw_errors"] or r["broken"] or r["duplicates"])
        and not r["half_written"]
        and r["http_500"] == 0
        for r in results
    )
    return 0 if clean else 1


def _populate() -> dict[str, list[int]]:
    from django.core.management import call_command

    from orders.models import Customer, Product

    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0, password=f"bench-{random.random()}")
    return {
        "customers": list(Customer.objects.values_list("pk", flat=True)),
        "products": list(
            Product.objects.filter(routing__isnull=False).distinct().values_list("pk", flat=True)
        ),
    }


def _tokens(reps: int) -> tuple[list[str], str]:
    from django.contrib.auth import get_user_model

    from orders.models import Profile
    from orders.sign_in import api_token_issue

    def token(username: str, role: str) -> str:
        user, _ = get_user_model().objects.get_or_create(username=username)
        Profile.objects.update_or_create(user=user, defaults={"role": role})
        return str(api_token_issue(user=user).key)

    reps_tokens = [token(f"bench-rep-{i}", Profile.Role.SALES) for i in range(reps)]
    return reps_tokens, token("bench-scheduler", Profile.Role.SCHEDULER)


if __name__ == "__main__":
    raise SystemExit(main())
