"""End-to-end quote latency on the real stack: HTTP submit -> answer stored.

A fresh PostgreSQL database, gunicorn and one Celery worker on Redis; simulated reps quote over
HTTP and poll until the answer is stored. Method, ``--anytime``, ``--portfolio`` and
``--seed-spread``: docs/bench-methods.md; figures: docs/benchmarks-e2e.md, benchmarks-anytime.md.

Usage: ``python -m bench.quote_e2e [--scenarios demo,1k] [--reps 1,8] [--quotes-per-rep 5]
[--time-limit 1.0] [--output docs/benchmarks-e2e.md]``. Needs PostgreSQL (`--pg`, default
postgres://postgres@127.0.0.1:5432) and Redis (`--redis`, default redis://127.0.0.1:6379/12).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.live_stack import (
    free_local_port,
    recreate_database,
    setup_django,
    start_logged,
    stop_group,
)
from bench.quote_e2e_report import render, summarise

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = ROOT / "docs" / "benchmarks-e2e.md"
POLL_SECONDS = 0.05  # default; --poll sets it


# --- the child process: one scenario ---------------------------------------------------------


def _populate(scenario: str, operations: int) -> dict[str, Any]:
    """Fill the empty database; return what the reps quote (customer and product ids)."""
    from django.core.management import call_command

    from bench import generate
    from orders.models import Customer, Product
    from scheduling import engine
    from scheduling.boards import board_now
    from scheduling.services.board_import import board_import

    call_command("migrate", verbosity=0)
    if scenario == "demo":
        call_command("seed_demo", verbosity=0)
        customers = list(Customer.objects.exclude(code="IMPORT").values_list("pk", flat=True))
    else:
        # Planned from a few minutes ahead so no planned start is in the past during the run.
        generate.NOW = board_now() + timedelta(minutes=5)
        doc = generate.generate_board(operations=operations, seed=1)
        for order in doc["orders"]:  # done history has no place/time in generated boards
            order["operations"] = [op for op in order["operations"] if op.get("state") != "done"]
        doc["orders"] = [order for order in doc["orders"] if order["operations"]]
        board_import(
            board=engine.load_board(doc), created_by=None, time_limit=10.0, repromise_late=True
        )
        customers = list(Customer.objects.values_list("pk", flat=True))
    products = list(
        Product.objects.filter(routing__isnull=False).distinct().values_list("pk", flat=True)
    )
    from scheduling.engine.model import Board  # noqa: F401  (engine importable in the child)
    from scheduling.models import ScheduledOperation, ScheduleVersion

    current = ScheduleVersion.objects.get(is_current=True)
    return {
        "customers": customers,
        "products": products,
        "operations": ScheduledOperation.objects.filter(version=current).count(),
    }


def _token() -> str:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from orders.models import Profile

    user, _ = get_user_model().objects.get_or_create(username="bench-sales")
    Profile.objects.get_or_create(user=user, defaults={"role": Profile.Role.SALES})
    return Token.objects.get_or_create(user=user)[0].key


def _request(url: str, token: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url,
        data=data,
        method="POST" if body is not None else "GET",
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return dict(json.loads(response.read()))


def _wait_http(url: str, token: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            _request(url, token)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def _bodies(targets: dict[str, Any], count: int, seed: int) -> list[dict[str, Any]]:
    """The quotes one rep asks for: the same ones for the same seed, whatever the run."""
    rng = random.Random(seed)
    return [
        {
            "customer": rng.choice(targets["customers"]),
            "product": rng.choice(targets["products"]),
            "quantity": rng.randint(1, 5),
        }
        for _ in range(count)
    ]


def _rep(
    base: str, token: str, targets: dict[str, Any], count: int, seed: int, out: list[Any]
) -> None:
    for index, body in enumerate(_bodies(targets, count, seed)):
        started = time.monotonic()
        created = _request(f"{base}/api/quotes/", token, body)
        while True:
            quote = _request(f"{base}/api/quotes/{created['id']}/", token)
            if quote["status"] in ("done", "failed", "cancelled"):
                break
            time.sleep(POLL_SECONDS)
        out.append((created["id"], time.monotonic() - started, quote["status"], (seed, index)))


def run_scenario(args: argparse.Namespace) -> dict[str, Any]:
    database = f"{args.database_prefix}_{args.scenario}_p{args.portfolio_size}"
    pg = args.pg.rstrip("/")
    recreate_database(f"{pg}/postgres", database)
    database_url = f"{pg}/{database}"
    setup_django(database_url, args.redis)
    import redis

    redis.Redis.from_url(args.redis).flushdb()
    started = time.monotonic()
    targets = _populate(args.scenario, args.operations)
    populate_seconds = time.monotonic() - started
    token = _token()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": args.redis,
        "ENGINE_TIME_LIMIT": str(args.time_limit),
        "ENGINE_MIN_TIME_LIMIT": str(args.min_time_limit),
        "ENGINE_WORKERS": str(args.engine_workers),
        "ENGINE_PORTFOLIO": str(args.portfolio_size),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    if args.quote_max_seconds is not None:
        env["QUOTE_MAX_SECONDS"] = str(args.quote_max_seconds)
    spread = _seed_spread(args, targets) if args.seed_spread > 1 else None
    logs = Path(args.log_dir)
    logs.mkdir(parents=True, exist_ok=True)
    port = free_local_port()
    bin_dir = Path(sys.executable).parent
    workers = [
        start_logged(
            [
                str(bin_dir / "celery"),
                "-A",
                "config",
                "worker",
                "-Q",
                "solver",
                "--concurrency",
                str(args.worker_concurrency),
                "--pool",
                "prefork",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "WARNING",
                "-n",
                f"bench-{args.scenario}-{n}@%h",
            ],
            env,
            logs / f"worker-{args.scenario}-{n}.log",
        )
        for n in range(args.worker_processes)
    ]
    server = start_logged(
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
        env,
        logs / f"gunicorn-{args.scenario}.log",
    )
    base = f"http://127.0.0.1:{port}"
    results: dict[str, Any] = {
        "scenario": args.scenario,
        "portfolio": args.portfolio_size,
        "operations": targets["operations"],
        "populate_seconds": populate_seconds,
        "spread": spread,
        "runs": [],
    }
    try:
        _wait_http(f"{base}/api/quotes/", token)
        for _ in range(12):  # reach every gunicorn process once (URL conf, connections)
            _request(f"{base}/api/quotes/?limit=1", token)
        # One warm-up quote: worker imports, first connections.
        warm: list[Any] = []
        _rep(base, token, targets, 1, 0, warm)
        for reps in args.reps:
            samples: list[Any] = []
            threads = [
                threading.Thread(
                    target=_rep,
                    args=(base, token, targets, args.quotes_per_rep, 1000 * reps + i, samples),
                )
                for i in range(reps)
            ]
            wall = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.monotonic() - wall
            settled = _settle([quote_id for quote_id, *_ in samples])
            results["runs"].append(summarise(reps, samples, wall, settled))
    finally:
        stop_group(server)
        for worker in workers:
            stop_group(worker)
    return results


def _settle(ids: list[int], timeout: float = 300.0) -> bool:
    """Wait until none of these quotes is queued, solving or still improving."""
    from quoting.models import Quote

    deadline = time.monotonic() + timeout
    active = Quote.objects.filter(pk__in=ids).exclude(
        status__in=[Quote.Status.DONE, Quote.Status.FAILED, Quote.Status.CANCELLED],
    )
    while active.exists() or Quote.objects.filter(pk__in=ids, improving=True).exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.25)
    return True


def _seed_spread(args: argparse.Namespace, targets: dict[str, Any]) -> list[dict[str, Any]]:
    """Solve the first `--spread-requests` of the reps' requests in this process, one after
    the other, with seeds 0..K-1 (the stack is idle: no worker is started yet)."""
    from django.conf import settings

    from quoting.services.portfolio import member_plan
    from scheduling import engine
    from scheduling.boards import board_snapshot, request_operations
    from scheduling.engine.model import Request

    reps = max(args.reps)
    per_rep = max(1, -(-args.spread_requests // reps))
    bodies = [
        (1000 * reps + i, k, body)
        for k in range(per_rep)
        for i in range(reps)
        for body in [_bodies(targets, args.quotes_per_rep, 1000 * reps + i)[k]]
    ][: args.spread_requests]
    rows = []
    for n, (seed, index, body) in enumerate(bodies):
        request = Request(
            id=f"Q-spread-{n}",
            operations=request_operations(product_id=body["product"], quantity=body["quantity"]),
            buffer_minutes=settings.QUOTE_BUFFER_MINUTES,
        )
        board = board_snapshot(request=request).board
        answers = [
            engine.quote(
                board,
                time_limit=args.time_limit,
                workers=args.engine_workers,
                strategy=member_plan(k)[0],
                seed=member_plan(k)[1],
                evaluate_options=True,
            )
            for k in range(args.seed_spread)
        ]
        rows.append(
            {
                "request": [seed, index],
                "promises": [a.promise.isoformat() if a.promise else None for a in answers],
                "seconds": [a.solve_seconds for a in answers],
                "proven": [a.proven_optimal for a in answers],
            }
        )
    return rows


# --- the parent: run each scenario in a process of its own, write the report ----------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenarios", default="demo,1k")  # demo and/or 1k
    parser.add_argument("--reps", default="1,8")
    parser.add_argument("--quotes-per-rep", type=int, default=5)
    # Eight reps polling every 50 ms are ~160 requests/s, which on a small machine takes the
    # CPU the solver needs; a UI polls a few times a second.
    parser.add_argument("--poll", type=float, default=0.25, help="seconds between polls")
    parser.add_argument("--time-limit", type=float, default=1.0)
    parser.add_argument(
        "--min-time-limit",
        type=float,
        default=0.2,
        help="ENGINE_MIN_TIME_LIMIT: floor of the fair-share limit when quotes queue "
        "(equal to --time-limit: every solve gets the whole limit)",
    )
    # 1 makes the engine use deterministic work limits, which stretch in wall time on a busy CPU.
    parser.add_argument("--engine-workers", type=int, default=2, help="CP-SAT workers per solve")
    parser.add_argument("--worker-concurrency", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--operations", type=int, default=1000)
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--log-dir", default=str(ROOT / "var" / "bench-e2e"))
    parser.add_argument("--output", default=str(DEFAULT_OUTPUT))
    parser.add_argument(
        "--anytime",
        action="store_true",
        help="report first/final answers, their lead and the portfolio comparison "
        "(writes docs/benchmarks-anytime.md unless --output is given)",
    )
    parser.add_argument("--portfolio", default="1", help="ENGINE_PORTFOLIO sizes to run, e.g. 1,2")
    parser.add_argument("--worker-processes", type=int, default=1, help="Celery worker processes")
    parser.add_argument(
        "--quote-max-seconds", type=float, default=None, help="QUOTE_MAX_SECONDS (default: 20)"
    )
    parser.add_argument("--seed-spread", type=int, default=0, help="seeds per request, 0: off")
    parser.add_argument("--spread-requests", type=int, default=16)
    parser.add_argument(
        "--database-prefix", default="quote_e2e", help="databases <prefix>_<scenario>_p<N>"
    )
    parser.add_argument("--scenario", choices=["demo", "1k"], help=argparse.SUPPRESS)  # child mode
    parser.add_argument("--portfolio-size", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.reps = [int(r) for r in str(args.reps).split(",") if r]
    sizes = [int(n) for n in str(args.portfolio).split(",") if n]
    if args.anytime and args.output == str(DEFAULT_OUTPUT):
        args.output = str(ROOT / "docs" / "benchmarks-anytime.md")
    args.load_at_start = os.getloadavg()[0]
    global POLL_SECONDS
    POLL_SECONDS = args.poll
    if args.scenario:
        print(json.dumps(run_scenario(args)))
        return 0
    results = []
    for scenario in [s for s in args.scenarios.split(",") if s]:
        for size in sizes:
            # The seed spread runs once per scenario, with the first portfolio size.
            spread = [] if size == sizes[0] else ["--seed-spread", "0"]
            child = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.quote_e2e",
                    *[a for a in (argv if argv is not None else sys.argv[1:])],
                    "--scenario",
                    scenario,
                    "--portfolio-size",
                    str(size),
                    *spread,
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
            if child.returncode != 0:
                sys.stderr.write(child.stdout[-3000:] + child.stderr[-5000:])
                return child.returncode
            results.append(json.loads(child.stdout.strip().splitlines()[-1]))
            print(json.dumps(results[-1], indent=1))
    command = "python -m bench.quote_e2e " + " ".join(argv if argv is not None else sys.argv[1:])
    if args.anytime:
        from bench.quote_anytime import render_anytime

        text = render_anytime(results, args, command.strip())
    else:
        text = render(results, args, command.strip())
    Path(args.output).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
