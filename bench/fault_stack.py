"""The real stack for fault runs, and the independent audit of the board after a fault.

Used by `tests/quoting/test_faults.py` and `bench/faults.py`: `RedisServer` (a throwaway
redis-server on a 63xx port, no persistence), `celery_worker` / `celery_beat` (each in its own
process group), `terminate_backends` and `audit`. What the audit reads: docs/reliability.md.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bench.live_stack import start_logged

ROOT = Path(__file__).resolve().parents[1]
BROKER_PORTS = range(6300, 6400)


def free_port(ports: Iterable[int]) -> int:
    for port in ports:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in the range")


class RedisServer:
    """A throwaway redis-server (no RDB, no AOF) on a free 63xx port."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.port = port or free_port(BROKER_PORTS)
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.pidfile = workdir / f"redis-{self.port}.pid"

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        subprocess.run(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "yes",
                "--pidfile",
                str(self.pidfile),
                "--dir",
                str(self.workdir),
                "--logfile",
                str(self.workdir / f"redis-{self.port}.log"),
            ],
            check=True,
            capture_output=True,
        )
        self._wait(up=True)

    def stop(self) -> None:
        """Stop it at once without saving (what a crash or a restart without AOF loses)."""
        subprocess.run(
            ["redis-cli", "-p", str(self.port), "shutdown", "nosave"],
            capture_output=True,
            check=False,
        )
        self._wait(up=False)

    def up(self) -> bool:
        found = subprocess.run(
            ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True, check=False
        )
        return found.stdout.strip() == "PONG"

    def _wait(self, *, up: bool, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while self.up() != up:
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis on {self.port} did not {'start' if up else 'stop'}")
            time.sleep(0.1)


def stack_env(
    *,
    database_url: str,
    broker_url: str,
    stale_seconds: int = 10,
    sweep_seconds: float = 2,
    engine_time_limit: float = 1.0,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The environment of the stack's processes: the test or bench database and broker, a
    short stale threshold (its minimum) and a frequent sweep, no anytime improvement (its
    20 s would only delay "final")."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "ENGINE_TIME_LIMIT": str(engine_time_limit),
        "ENGINE_PROPOSAL_TIME_LIMIT": str(engine_time_limit),
        "ENGINE_WORKERS": "1",
        "SOLVE_STALE_SECONDS": str(stale_seconds),
        "SWEEP_SECONDS": str(sweep_seconds),
        "QUOTE_MAX_SECONDS": "0",
        "CELERY_VISIBILITY_TIMEOUT": "3600",
        **(extra or {}),
    }


def celery_worker(
    env: dict[str, str], log: Path, name: str, concurrency: int = 1
) -> subprocess.Popen[bytes]:
    return start_logged(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            "solver,default",
            "--concurrency",
            str(concurrency),
            "--pool",
            "prefork",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "INFO",
            "-n",
            f"{name}@%h",
        ],
        env,
        log,
        append=True,
    )


def celery_beat(env: dict[str, str], log: Path, schedule: Path) -> subprocess.Popen[bytes]:
    """Beat as its own process, as documented (never embedded in a worker)."""
    return start_logged(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "beat",
            "--schedule",
            str(schedule),
            "--loglevel",
            "INFO",
        ],
        env,
        log,
        append=True,
    )


def pool_children(process: subprocess.Popen[bytes]) -> list[int]:
    found = subprocess.run(
        ["pgrep", "-P", str(process.pid)], capture_output=True, text=True, check=False
    )
    return [int(pid) for pid in found.stdout.split()]


def kill_group(process: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        process.wait(timeout=20)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (a warm shutdown), SIGKILL after 20 s."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            kill_group(process)


def terminate_backends(cursor: Any) -> int:
    """Terminate every other connection to the cursor's own database; returns how many."""
    cursor.execute(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    return int(cursor.fetchone()[0])


# --- the audit ------------------------------------------------------------------------------


@dataclasses.dataclass
class Audit:
    quotes: int
    final: int
    stranded: list[str]
    failed: list[str]
    raw_errors: list[str]  # a driver's or Python's error text shown on a quote or proposal
    broken_promises: list[str]
    duplicates: list[str]
    half_written: list[str]

    @property
    def clean(self) -> bool:
        return not (
            self.stranded
            or self.raw_errors
            or self.broken_promises
            or self.duplicates
            or self.half_written
        )


RAW_ERROR_MARKERS = ("OperationalError", "InterfaceError", "ConnectionError", "Traceback")


def quote_is_final(quote: Any) -> bool:
    from quoting.models import Quote, ReplanProposal

    if quote.status not in (Quote.Status.DONE, Quote.Status.FAILED, Quote.Status.CANCELLED):
        return False
    if quote.improving:
        return False
    proposal = ReplanProposal.objects.filter(quote=quote).first()
    return proposal is None or proposal.status != ReplanProposal.Status.RESOLVING


def audit(quote_ids: list[int]) -> Audit:
    """Everything a fault could have left wrong, read from the database."""
    from quoting.models import Quote, ReplanProposal

    quotes = list(Quote.objects.filter(pk__in=quote_ids).order_by("pk"))
    final = [q for q in quotes if quote_is_final(q)]
    stranded = [f"{q.request_id}: {q.status}" for q in quotes if not quote_is_final(q)]
    failed = [f"{q.request_id}: {q.error}" for q in quotes if q.status == Quote.Status.FAILED]
    raw = [
        f"{q.request_id}: {q.error}"
        for q in quotes
        if any(marker in (q.error or "") for marker in RAW_ERROR_MARKERS)
    ]
    raw += [
        f"proposal {p.pk}: {p.error}"
        for p in ReplanProposal.objects.filter(quote_id__in=quote_ids)
        if any(marker in (p.error or "") for marker in RAW_ERROR_MARKERS)
    ]
    return Audit(
        quotes=len(quotes),
        final=len(final),
        stranded=stranded,
        failed=failed,
        raw_errors=raw,
        broken_promises=broken_promises(),
        duplicates=duplicates(),
        half_written=half_written(),
    )


def board_violations() -> list[str]:
    """The engine's verifier on the current schedule, at the instant it was planned from,
    every order held to its protected date (due minus safety) except those the version
    records as already made late by reality."""
    from scheduling import engine
    from scheduling.boards import board_snapshot, current_version

    version = current_version()
    if version is None:
        return []
    snapshot = board_snapshot(version=version, now=version.planned_at)
    board = dataclasses.replace(snapshot.board, schedule=None)
    answer = engine.Answer(status="promised", schedule=snapshot.board.schedule or ())
    return list(engine.verify(board, answer, accept_late=tuple(version.at_risk or ())))


def broken_promises() -> list[str]:
    """The verifier's findings, and every promise made from a quote that is not the one the
    rep agreed to, or that the order's history does not hold."""
    from orders.models import Order, Promise
    from quoting.models import Quote, ReplanProposal

    broken = board_violations()
    for order in Order.objects.all():
        latest = Promise.objects.filter(order=order).order_by("-created_at", "-id").first()
        if latest is None or latest.due != order.promised_due:
            broken.append(f"{order.code}: promised_due is not its latest promise")
    for quote in Quote.objects.exclude(order=None).select_related("order", "committed_promise"):
        proposal = ReplanProposal.objects.filter(quote=quote).first()
        if proposal is not None:
            agreed = proposal.rep_confirmed_promise or quote.promise
            committed = proposal.promise
        else:
            agreed = committed = quote.promise
        promise = quote.committed_promise
        if promise is None or promise.due != committed:
            broken.append(f"{quote.request_id}: committed promise is not the approved one")
        elif agreed is not None and promise.due > agreed:
            broken.append(f"{quote.request_id}: committed later than the rep agreed to")
    return broken


def duplicates() -> list[str]:
    from django.db.models import Count

    from orders.models import Order, Promise
    from scheduling.models import ScheduledOperation, ScheduleVersion

    found = [
        f"order code {row['code']} x{row['n']}"
        for row in Order.objects.values("code").annotate(n=Count("pk")).filter(n__gt=1)
    ]
    found += [
        f"order {row['order']} has {row['n']} initial promises"
        for row in Promise.objects.filter(kind=Promise.Kind.INITIAL)
        .values("order")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    ]
    current = ScheduleVersion.objects.filter(is_current=True).count()
    if current > 1:
        found.append(f"{current} current schedule versions")
    found += [
        f"operation {row['operation']} placed {row['n']} times"
        for row in ScheduledOperation.objects.filter(version__is_current=True)
        .values("operation")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    ]
    return found


def half_written() -> list[str]:
    from orders.models import Operation, Order
    from quoting.models import Quote, ReplanProposal
    from scheduling.models import ScheduledOperation

    found = [
        f"{o.code}: no promise" for o in Order.objects.filter(promises__isnull=True).distinct()
    ]
    placed = set(
        ScheduledOperation.objects.filter(version__is_current=True).values_list(
            "operation_id", flat=True
        )
    )
    open_ops = Operation.objects.filter(
        order__status__in=[Order.Status.OPEN, Order.Status.IN_PROGRESS]
    ).exclude(state=Operation.State.DONE)
    found += [
        f"operation {op.pk} of {op.order_id} not on the current schedule"
        for op in open_ops
        if op.pk not in placed
    ]
    for quote in Quote.objects.exclude(accepted_at=None):
        has_proposal = ReplanProposal.objects.filter(quote=quote).exists()
        if quote.order_id is None and not has_proposal:
            found.append(f"{quote.request_id}: accepted, but neither an order nor a proposal")
        if quote.order_id is not None and quote.committed_promise_id is None:
            found.append(f"{quote.request_id}: an order without its committed promise")
    for proposal in ReplanProposal.objects.filter(status=ReplanProposal.Status.APPROVED):
        if proposal.committed_version_id is None or proposal.quote.order_id is None:
            found.append(f"proposal {proposal.pk}: approved but not committed")
    return found
