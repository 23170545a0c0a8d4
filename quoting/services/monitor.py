"""The solve monitor: progress, heartbeat and cancel of a solve row, on a thread of its own."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from typing import Any

from django.db import DatabaseError, connection, connections
from django.utils import timezone

from quoting.models import Quote, ReplanProposal
from scheduling import engine

logger = logging.getLogger(__name__)


# Progress writes: often enough for a polling UI, rarely enough not to load the database.
PROGRESS_INTERVAL = 0.2
# The cancel flag is read this often; "promptly" for a person is well under a second.
CANCEL_POLL_INTERVAL = 0.3
HEARTBEAT_INTERVAL = 1.0
# A polish stops (keeping what it has, the quoted schedule at worst) once a quote has waited
# this long for a worker: reps wait on quotes, nobody waits on a polish.
MAKE_WAY_AFTER = timedelta(seconds=0.5)


class SolveMonitor:
    """Writes progress and heartbeat to a solve row and reads its cancel flag, from its own
    thread with its own database connection.

    The engine calls `progress` and `cancelled` from whatever thread it runs callbacks on and
    may not call back at all during a long CP-SAT search; doing the database work here keeps
    the heartbeat alive regardless and never opens connections on the engine's threads."""

    def __init__(
        self,
        model: type[Quote] | type[ReplanProposal],
        pk: int,
        task_id: str,
        *,
        make_way: bool = False,
    ) -> None:
        self.model = model
        self.pk = pk
        self.task_id = task_id
        self.cancel_requested = threading.Event()  # someone asked to cancel (quotes only)
        self.lost = threading.Event()  # the row is no longer ours (sweeper, cancel, reject)
        # With ``make_way`` (a polish): a quote has waited MAKE_WAY_AFTER for a worker.
        self.make_way = make_way
        self.made_way = threading.Event()
        self._stop = threading.Event()
        self._latest: engine.Progress | None = None
        self._written: engine.Progress | None = None
        self._thread = threading.Thread(target=self._run, name=f"solve-monitor-{pk}", daemon=True)
        self.errors: list[str] = []

    # Engine callbacks: memory only.
    def progress(self, update: engine.Progress) -> None:
        self._latest = update

    def cancelled(self) -> bool:
        return self.cancel_requested.is_set() or self.lost.is_set() or self.made_way.is_set()

    def __enter__(self) -> SolveMonitor:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _mine(self) -> Any:
        return self.model._default_manager.filter(
            pk=self.pk, status=self.model.HELD_STATUS, solve_task_id=self.task_id
        )

    def _poll(self) -> None:
        """Set `lost` when the row is visibly someone else's now (the sweeper requeued it, a
        reject or a newer run took it) and `cancel_requested` when a cancel was asked for."""
        columns = ["status", "solve_task_id"]
        if self.model.CANCEL_FIELD is not None:
            columns.append(self.model.CANCEL_FIELD)
        row = self.model._default_manager.filter(pk=self.pk).values_list(*columns).first()
        if row is None:
            return  # not visible to this connection (yet); the final conditional write decides
        if row[0] != self.model.HELD_STATUS or row[1] != self.task_id:
            self.lost.set()
        elif len(row) > 2 and row[2]:
            self.cancel_requested.set()
        if self.make_way and quotes_waiting():
            self.made_way.set()

    def _run(self) -> None:
        last_beat = last_poll = 0.0
        try:
            while not self._stop.wait(PROGRESS_INTERVAL):
                now = time.monotonic()
                try:
                    if self._write(now - last_beat >= HEARTBEAT_INTERVAL):
                        last_beat = now
                    if now - last_poll >= CANCEL_POLL_INTERVAL:
                        last_poll = now
                        self._poll()
                except DatabaseError as exc:
                    # A dropped connection must not fail a solve that may still finish: retry
                    # on a new connection next tick. If the database stays away, the answer
                    # cannot be stored either and the sweeper picks the row up later.
                    logger.warning("solve monitor %s %s: %s", self.model.__name__, self.pk, exc)
                    connection.close()
        except Exception as exc:  # a bug here must not look like a solver answer
            logger.exception("solve monitor for %s %s failed", self.model.__name__, self.pk)
            self.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connections.close_all()  # this thread's connections only

    def _progress_fields(self, update: engine.Progress) -> dict[str, Any]:
        return self.model.progress_fields(update)

    def _write(self, beat_due: bool) -> bool:
        """Write new progress, and the heartbeat when due; True when a write was made."""
        fields: dict[str, Any] = {}
        latest = self._latest
        if latest is not None and latest is not self._written:
            fields.update(self._progress_fields(latest))
        if not fields and not beat_due:
            return False
        fields["heartbeat_at"] = timezone.now()
        # No row updated is not proof the row was taken: it may be invisible to this thread's
        # connection (not committed yet, as in a test transaction). `_poll` decides that.
        self._mine().update(**fields)
        self._written = latest
        return True


def quotes_waiting() -> bool:
    """Whether a quote sent to the workers has waited MAKE_WAY_AFTER without one taking it."""
    return Quote.objects.filter(
        status=Quote.Status.QUEUED,
        enqueued=True,
        enqueued_at__lte=timezone.now() - MAKE_WAY_AFTER,
    ).exists()
