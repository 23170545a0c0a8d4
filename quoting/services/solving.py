"""Solving quotes and proposals on a worker, and keeping solve rows from getting stuck.

The Celery tasks in `quoting.tasks` are thin wrappers around `quote_solve`, `proposal_solve`
and `solves_sweep_stale`. Every state change of a solve row is a conditional UPDATE whose row
count is checked, so a redelivered task, a sweeper and a cancel can race without a row ending in
two states: the run that holds the row is the one whose Celery task id is in `solve_task_id`.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import Count, F, Model, Q
from django.utils import timezone

from config.celery import app as celery_app
from orders.models import Operation
from quoting.models import Quote, RepairProposal, ReplanProposal
from quoting.services.answers import (
    board_without_order,
    replan_diff,
    request_from_doc,
    request_to_doc,
)
from quoting.services.transient import describe_transient, is_transient, retry_transient
from scheduling import engine
from scheduling.boards import BoardSnapshot, board_snapshot, request_operations
from scheduling.engine import model as e
from scheduling.engine.boardio import dump_answer, load_answer

logger = logging.getLogger(__name__)

# A worker killed twice on the same quote is more likely killed *by* it (memory) than unlucky;
# fail it with a message rather than take down a third worker. Counts deaths only
# (`Quote.worker_deaths`): re-solves after a stale accept or a re-quote are not deaths.
MAX_SOLVE_ATTEMPTS = 3
# A proposal is re-solved each time the board changes under it; past this, a human decides.
MAX_PROPOSAL_RESOLVES = 10
# Progress writes: often enough for a polling UI, rarely enough not to load the database.
PROGRESS_INTERVAL = 0.2
# The cancel flag is read this often; "promptly" for a person is well under a second.
CANCEL_POLL_INTERVAL = 0.3
HEARTBEAT_INTERVAL = 1.0
# A polish stops (keeping what it has, the quoted schedule at worst) once a quote has waited
# this long for a worker: reps wait on quotes, nobody waits on a polish.
MAKE_WAY_AFTER = timedelta(seconds=0.5)

# Errors that mean "the broker is unreachable"; anything else is a bug and propagates.
try:
    from kombu.exceptions import OperationalError as KombuOperationalError
    from redis.exceptions import ConnectionError as RedisConnectionError

    BROKER_ERRORS: tuple[type[BaseException], ...] = (
        KombuOperationalError,
        RedisConnectionError,
        OSError,
    )
except ImportError:  # pragma: no cover - both are dependencies
    BROKER_ERRORS = (OSError,)


# --- enqueueing -----------------------------------------------------------------------------


def _publish(task_name: str, row_model: type[Model], pk: int) -> None:
    """Send one task now; record on the row whether the broker took it."""
    try:
        # By name: quoting.tasks imports these services, so they never import it back.
        celery_app.signature(task_name, args=[pk]).apply_async()
    except BROKER_ERRORS as exc:
        # The row stays queued with the reason; the sweeper enqueues it when the broker is back.
        logger.warning("broker unavailable, %s(%s) left for the sweeper: %s", task_name, pk, exc)
        row_model._default_manager.filter(pk=pk).update(
            enqueued=False, enqueue_error=f"broker unavailable, will retry: {exc}"
        )
        return
    fields: dict[str, Any] = {"enqueued": True, "enqueue_error": ""}
    if row_model is Quote:
        fields["enqueued_at"] = timezone.now()
    else:
        # A proposal's sent time: if the broker loses the message (a restart without
        # persistence), the sweeper sends it again once this is SOLVE_STALE_SECONDS old.
        fields["heartbeat_at"] = timezone.now()
    row_model._default_manager.filter(pk=pk).update(**fields)


def enqueue_quote_solve(quote_id: int) -> None:
    """Enqueue `quoting.solve_quote` once the current transaction commits; with
    ENGINE_PORTFOLIO > 1, its group of member tasks instead (quoting/services/portfolio.py)."""
    if settings.ENGINE_PORTFOLIO > 1:
        from quoting.services.portfolio import portfolio_publish

        transaction.on_commit(lambda: portfolio_publish(quote_id))
        return
    transaction.on_commit(lambda: _publish("quoting.solve_quote", Quote, quote_id))


def enqueue_proposal_solve(proposal_id: int) -> None:
    """Enqueue `quoting.solve_proposal` once the current transaction commits."""
    transaction.on_commit(lambda: _publish("quoting.solve_proposal", ReplanProposal, proposal_id))


# --- the monitor: progress, heartbeat and cancel on a thread of its own ---------------------


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
        status = Quote.Status.SOLVING if self.model is Quote else ReplanProposal.Status.RESOLVING
        return self.model._default_manager.filter(
            pk=self.pk, status=status, solve_task_id=self.task_id
        )

    def _poll(self) -> None:
        """Set `lost` when the row is visibly someone else's now (the sweeper requeued it, a
        reject or a newer run took it) and `cancel_requested` when a cancel was asked for."""
        row: tuple[Any, ...] | None
        holding: str
        if self.model is Quote:
            row = (
                Quote.objects.filter(pk=self.pk)
                .values_list("status", "solve_task_id", "cancel_requested")
                .first()
            )
            holding = Quote.Status.SOLVING
        else:
            row = (
                ReplanProposal.objects.filter(pk=self.pk)
                .values_list("status", "solve_task_id", "pk")
                .first()
            )
            holding = ReplanProposal.Status.RESOLVING
        if row is None:
            return  # not visible to this connection (yet); the final conditional write decides
        if row[0] != holding or row[1] != self.task_id:
            self.lost.set()
        elif self.model is Quote and row[2]:
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

    def _write(self, beat_due: bool) -> bool:
        """Write new progress, and the heartbeat when due; True when a write was made."""
        fields: dict[str, Any] = {}
        latest = self._latest
        if self.model is Quote and latest is not None and latest is not self._written:
            fields["progress"] = min(1.0, max(0.0, float(latest.fraction)))
            if latest.best_completion is not None:
                fields["best_completion"] = latest.best_completion
        if not fields and not beat_due:
            return False
        fields["heartbeat_at"] = timezone.now()
        # No row updated is not proof the row was taken: it may be invisible to this thread's
        # connection (not committed yet, as in a test transaction). `_poll` decides that.
        self._mine().update(**fields)
        self._written = latest
        return True


# --- boards ---------------------------------------------------------------------------------


def _consistent_snapshot(**kwargs: Any) -> BoardSnapshot:
    """board_snapshot read in one REPEATABLE READ transaction on PostgreSQL, so the version,
    the orders and the slots all come from the same committed state. (A torn read would only
    be caught later as a stale commit; this avoids the wasted solve.)"""
    with transaction.atomic():
        if connection.vendor == "postgresql" and not _in_outer_transaction():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return board_snapshot(**kwargs)


def _in_outer_transaction() -> bool:
    # atomic() just opened one level; more than one means someone else's transaction is open.
    return len(connection.savepoint_ids) > 0 or connection.needs_rollback


def _with_options(board: e.Board, codes: list[str]) -> e.Board:
    """Offer only the requested capacity options (all available ones when none requested)."""
    if not codes:
        return board
    import dataclasses

    kept = tuple(o for o in board.capacity_options or () if o.id in codes)
    return dataclasses.replace(board, capacity_options=kept)


def _answer_columns(answer: e.Answer) -> dict[str, Any]:
    return {
        "answer_status": answer.status,
        "completion": answer.completion,
        "promise": answer.promise,
        "lower_bound": answer.lower_bound,
        "proven_optimal": answer.proven_optimal,
        "requested_due_feasible": answer.requested_due_feasible,
        "moved_count": len(answer.moved),
        "options": dump_answer(answer)["options"],
        "binding": {
            "work_centers": list(answer.binding_work_centers),
            "orders": list(answer.binding_orders),
        },
        "message": answer.message or "",
        "solve_seconds": answer.solve_seconds,
        "answer": dump_answer(answer),
    }


def _background_repair(snapshot: BoardSnapshot) -> tuple[e.ScheduledOperation, ...]:
    """The schedule of the latest repair solved in the background for the snapshot's version,
    if it is waiting for approval: a quote on a disrupted board is made against it when it
    leaves less lateness than the quote's own repair (the engine checks it holds)."""
    if not snapshot.disrupted or snapshot.version is None:
        return ()
    repair = (
        RepairProposal.objects.filter(
            schedule_version=snapshot.version, status=RepairProposal.Status.PENDING
        )
        .order_by("-id")
        .first()
    )
    if repair is None or not repair.answer:
        return ()
    return load_answer(repair.answer).schedule


def engine_time_limit(limit: float | None = None) -> float:
    """``limit`` (default ENGINE_TIME_LIMIT), or its fair share when quotes queue behind the
    ones being solved: limit x solving / (solving + queued), at least ENGINE_MIN_TIME_LIMIT.
    Eight reps quoting at once on two worker processes then wait ~4 short solves, not ~4 full
    ones (and a proposal being polished gives way to them the same way)."""
    limit = settings.ENGINE_TIME_LIMIT if limit is None else limit
    if settings.ENGINE_MIN_TIME_LIMIT >= limit:
        return limit
    counts = dict(
        Quote.objects.filter(status__in=[Quote.Status.QUEUED, Quote.Status.SOLVING])
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    solving = max(1, counts.get(Quote.Status.SOLVING, 0))
    queued = counts.get(Quote.Status.QUEUED, 0)
    return max(settings.ENGINE_MIN_TIME_LIMIT, limit * solving / (solving + queued))


def quotes_waiting() -> bool:
    """Whether a quote sent to the workers has waited MAKE_WAY_AFTER without one taking it."""
    return Quote.objects.filter(
        status=Quote.Status.QUEUED,
        enqueued=True,
        enqueued_at__lte=timezone.now() - MAKE_WAY_AFTER,
    ).exists()


def _engine_quote(
    board: e.Board,
    monitor: SolveMonitor,
    limit: float | None = None,
    *,
    seed: int = 0,
    **kwargs: Any,
) -> e.Answer:
    return engine.quote(
        board,
        time_limit=engine_time_limit(limit),
        workers=settings.ENGINE_WORKERS,
        seed=seed,
        progress=monitor.progress,
        cancel=monitor.cancelled,
        **kwargs,
    )


# --- quote solves ---------------------------------------------------------------------------


def _claim_quote(quote_id: int, task_id: str) -> bool:
    """Take the quote for this run: queued → solving, or a redelivery of the same message whose
    worker died (same task id, still solving). False when there is nothing for this run to do."""
    now = timezone.now()
    fresh = Quote.objects.filter(
        pk=quote_id, status=Quote.Status.QUEUED, cancel_requested=False
    ).update(
        status=Quote.Status.SOLVING,
        solve_task_id=task_id,
        attempts=F("attempts") + 1,
        heartbeat_at=now,
        progress=0.0,
        best_completion=None,
        error="",
    )
    if fresh:
        return True
    # Celery redelivers an unacknowledged message only when its worker died (acks late, and the
    # visibility timeout exceeds the hard time limit), so the earlier run of this id is gone.
    retaken = Quote.objects.filter(
        pk=quote_id,
        status=Quote.Status.SOLVING,
        solve_task_id=task_id,
        worker_deaths__lt=MAX_SOLVE_ATTEMPTS - 1,
    ).update(
        attempts=F("attempts") + 1,
        worker_deaths=F("worker_deaths") + 1,
        heartbeat_at=now,
        progress=0.0,
    )
    if retaken:
        logger.warning("quote %s: task %s redelivered after its worker died", quote_id, task_id)
        return True
    Quote.objects.filter(pk=quote_id, status=Quote.Status.SOLVING, solve_task_id=task_id).update(
        status=Quote.Status.FAILED,
        worker_deaths=F("worker_deaths") + 1,
        error=f"the worker solving this quote died {MAX_SOLVE_ATTEMPTS} times; not retried",
    )
    return False


def quote_solve(*, quote_id: int, task_id: str) -> str:
    """Solve one quote (body of task `quoting.solve_quote`). Returns the quote's final status,
    or "skipped" when this run does not own the quote (already answered, cancelled, or held by
    another run).

    Writes to the quote row only: status, progress, best completion and heartbeat while solving,
    then the answer (with the schedule version and board instant it was solved against), or
    `failed` with the error, or `cancelled`. Creates no order, promise or schedule version.

    A lost database or broker connection is retried in place with a growing pause
    (`transient.retry_transient`), the final write included; if it lasts longer, the error
    propagates, the row keeps `solving` and the sweeper hands it to a new run."""
    what = f"quote {quote_id}"
    if not retry_transient(lambda: _claim_quote(quote_id, task_id), what=what):
        return "skipped"
    return retry_transient(lambda: _quote_solve_claimed(quote_id, task_id), what=what)


def _quote_solve_claimed(quote_id: int, task_id: str) -> str:
    mine = Quote.objects.filter(pk=quote_id, status=Quote.Status.SOLVING, solve_task_id=task_id)
    quote = Quote.objects.select_related("repromise_order").get(pk=quote_id)
    try:
        request = _quote_request(quote)
        if not request.operations:
            raise ValueError(f"product {quote.product} has no routing to schedule")
        snapshot = _consistent_snapshot(request=request)
        codes = list(quote.requested_options.values_list("code", flat=True))
        board = _with_options(_quote_board(quote, snapshot.board), codes)
        mine.update(
            schedule_version=snapshot.version,
            board_now=board.now,
            request_doc=request_to_doc(request),
        )
        with SolveMonitor(Quote, quote_id, task_id) as monitor:
            answer = _engine_quote(
                board,
                monitor,
                evaluate_options=True,
                earliest=quote.promise_earliest,
                against_repair=snapshot.disrupted,
                repair=_background_repair(snapshot),
            )
        if monitor.errors:
            raise RuntimeError(f"progress monitor failed: {monitor.errors[0]}")
    except Exception as exc:
        if is_transient(exc):
            raise  # retried by the caller: the quote is not what failed
        # Recorded on the row for the user and logged with its traceback; the task succeeds so
        # Celery does not redeliver a solve that would fail the same way.
        logger.exception("quote %s failed", quote_id)
        mine.update(status=Quote.Status.FAILED, error=_describe(exc), heartbeat_at=timezone.now())
        return Quote.Status.FAILED
    if monitor.cancel_requested.is_set():
        mine.update(status=Quote.Status.CANCELLED, heartbeat_at=timezone.now())
        return Quote.Status.CANCELLED
    if monitor.lost.is_set():
        logger.warning("quote %s: run %s lost the row; answer discarded", quote_id, task_id)
        return "skipped"
    from quoting.services.improving import improvement_entry, may_improve

    fields = dict(
        status=Quote.Status.DONE,
        progress=1.0,
        best_completion=answer.completion,
        heartbeat_at=timezone.now(),
        solved_at=timezone.now(),
        diff=replan_diff(board, answer) if answer.status == "promised" else {},
        improving=may_improve(answer),
        improvements=[improvement_entry(answer)] if answer.status == "promised" else [],
        **_answer_columns(answer),
    )
    # The answer is the costly part: a lost connection here retries this write, not the solve.
    written = retry_transient(lambda: mine.update(**fields), what=f"quote {quote_id} answer")
    return Quote.Status.DONE if written else "skipped"


def _quote_request(quote: Quote) -> e.Request:
    """The engine request of a quote: the product's routing for a new order, or, for a
    customer's date request, the existing order's own operations, release and buffer."""
    requested_due = _minute_ceil(quote.requested_due) if quote.requested_due else None
    order = quote.repromise_order
    if order is None:
        return e.Request(
            id=quote.request_id,
            operations=request_operations(product_id=quote.product_id, quantity=quote.quantity),
            requested_due=requested_due,
            buffer_minutes=settings.QUOTE_BUFFER_MINUTES,
        )
    started = order.operations.exclude(state=Operation.State.PLANNED).exists()
    if started:
        raise ValueError(
            f"order {order.code} is already in production; its date can only be changed by "
            "the scheduler's re-promise"
        )
    return e.Request(
        id=quote.request_id,
        operations=tuple(
            e.Operation(
                id=str(op.sequence),
                work_centers=tuple(sorted(wc.code for wc in op.work_centers.all())),
                minutes=op.minutes,
            )
            for op in order.operations.order_by("sequence").prefetch_related("work_centers")
        ),
        release=order.release,
        requested_due=requested_due,
        buffer_minutes=order.buffer_minutes,
    )


def _quote_board(quote: Quote, board: e.Board) -> e.Board:
    """The board a quote is solved on: without the order it re-promises, if any."""
    return board_without_order(board, quote.order_code if quote.repromise_order_id else None)


def _minute_ceil(value: datetime) -> datetime:
    floored = value.astimezone(UTC).replace(second=0, microsecond=0)
    return floored if floored == value else floored + timedelta(minutes=1)


def _describe(exc: BaseException) -> str:
    from celery.exceptions import SoftTimeLimitExceeded

    if isinstance(exc, SoftTimeLimitExceeded):
        return (
            f"the solve took longer than {settings.CELERY_TASK_SOFT_TIME_LIMIT} s and was stopped"
        )
    if is_transient(exc):
        return describe_transient(exc)
    return f"{type(exc).__name__}: {exc}"


# --- proposal re-solves ---------------------------------------------------------------------


def _claim_proposal(proposal_id: int, task_id: str) -> bool:
    now = timezone.now()
    fresh = ReplanProposal.objects.filter(
        pk=proposal_id, status=ReplanProposal.Status.RESOLVING, solve_task_id=""
    ).update(solve_task_id=task_id, heartbeat_at=now, resolve_count=F("resolve_count") + 1)
    if fresh:
        return True
    return bool(
        ReplanProposal.objects.filter(
            pk=proposal_id, status=ReplanProposal.Status.RESOLVING, solve_task_id=task_id
        ).update(heartbeat_at=now)
    )


def proposal_solve(*, proposal_id: int, task_id: str) -> str:
    """Re-solve a proposal's quote on the current board (body of task `quoting.solve_proposal`):
    with its capacity option applied, or because the board changed since it was solved.

    Writes to the proposal row only: the new answer, diff and the version it was solved
    against, status `pending` again; `stale` when no schedule exists on the current board
    (e.g. the capacity option was taken); `failed` with the error on an exception. When a
    scheduler's approval awaits the re-solve (`approval_requested_by`), a promise no later than
    the agreed one is committed at once (`approving.approved_proposal_commit`). Lost database
    or broker connections are retried as in `quote_solve`."""
    what = f"proposal {proposal_id}"
    if not retry_transient(lambda: _claim_proposal(proposal_id, task_id), what=what):
        return "skipped"
    return retry_transient(lambda: _proposal_solve_claimed(proposal_id, task_id), what=what)


def _proposal_solve_claimed(proposal_id: int, task_id: str) -> str:
    mine = ReplanProposal.objects.filter(
        pk=proposal_id, status=ReplanProposal.Status.RESOLVING, solve_task_id=task_id
    )
    proposal = ReplanProposal.objects.select_related(
        "quote__repromise_order", "capacity_option"
    ).get(pk=proposal_id)
    # Every end but a commit: the scheduler's pending approval, if any, does not carry over.
    done = {"solve_task_id": "", "heartbeat_at": timezone.now(), "approval_requested_by": None}
    try:
        if proposal.resolve_count > MAX_PROPOSAL_RESOLVES:
            raise RuntimeError(
                f"re-solved {MAX_PROPOSAL_RESOLVES} times and the board kept changing; "
                "reject it and quote again"
            )
        request = request_from_doc(proposal.quote.request_doc or {})
        snapshot = _consistent_snapshot(request=request)
        board = _quote_board(proposal.quote, snapshot.board)
        option = proposal.capacity_option
        apply = [option.code] if option is not None else []
        if option is not None and option.code not in snapshot.option_pks:
            mine.update(
                status=ReplanProposal.Status.STALE,
                error=f"capacity option {option.code} is no longer available",
                **done,
            )
            return ReplanProposal.Status.STALE
        previous = _previous_answer(proposal)
        # Without an option the promise stays the quoted one and the time goes to moving
        # fewer operations (an option is bought to finish earlier). When the quoted schedule
        # still holds, that polish can stop at any moment with a valid answer at the quoted
        # promise, so it makes way for quotes that wait for a worker.
        holding = (
            previous
            if option is None and previous is not None and not engine.verify(board, previous)
            else None
        )
        with SolveMonitor(
            ReplanProposal, proposal_id, task_id, make_way=holding is not None
        ) as monitor:
            answer = _engine_quote(
                board,
                monitor,
                settings.ENGINE_PROPOSAL_TIME_LIMIT,
                apply_options=apply,
                evaluate_options=False,
                warm_start=previous.schedule if previous is not None else (),
                keep_completion=option is None,
                earliest=proposal.quote.promise_earliest,
                against_repair=snapshot.disrupted,
                repair=_background_repair(snapshot),
            )
        if monitor.errors:
            raise RuntimeError(f"progress monitor failed: {monitor.errors[0]}")
        if holding is not None and monitor.made_way.is_set():
            if answer.status != "promised":
                answer = holding  # stopped before it had anything: the quoted plan stands
            answer = replace(answer, message="polish cut short: quotes were waiting")
    except Exception as exc:
        if is_transient(exc):
            raise  # retried by the caller
        logger.exception("proposal %s re-solve failed", proposal_id)
        mine.update(status=ReplanProposal.Status.FAILED, error=_describe(exc), **done)
        return ReplanProposal.Status.FAILED
    if monitor.lost.is_set():
        return "skipped"
    if answer.status != "promised":
        mine.update(
            status=ReplanProposal.Status.STALE,
            error=answer.message or f"no schedule on the current board ({answer.status})",
            **done,
        )
        return ReplanProposal.Status.STALE
    # A promise never changes behind the rep's back: later than what they agreed to, the
    # proposal goes back to them before a scheduler may approve it.
    agreed = proposal.rep_confirmed_promise or proposal.quote.promise
    later = agreed is not None and answer.promise is not None and answer.promise > agreed
    status = ReplanProposal.Status.AWAITING_REP if later else ReplanProposal.Status.PENDING
    if status == ReplanProposal.Status.PENDING and proposal.approval_requested_by_id is not None:
        from quoting.services.approving import approved_proposal_commit

        return approved_proposal_commit(
            proposal_id=proposal_id,
            task_id=task_id,
            answer=answer,
            board=board,
            version_id=snapshot.version.pk if snapshot.version is not None else None,
        )
    written = mine.update(
        status=status,
        schedule_version=snapshot.version,
        board_now=board.now,
        answer=dump_answer(answer),
        completion=answer.completion,
        promise=answer.promise,
        diff=replan_diff(board, answer),
        moved_count=len(answer.moved),
        error="",
        **done,
    )
    return status if written else "skipped"


def _previous_answer(proposal: ReplanProposal) -> e.Answer | None:
    """The answer this proposal (or its quote) was last given: the re-solve starts from its
    schedule where it still holds, so adding the capacity option, or re-solving a board whose
    change did not touch it, never makes the promise later."""
    previous = proposal.answer or proposal.quote.answer
    if not previous:
        return None
    try:
        return load_answer(previous)
    except engine.BoardError:
        logger.warning("proposal %s: stored answer unreadable; solving afresh", proposal.pk)
        return None


# --- the sweeper ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepReport:
    enqueued: list[int]  # quotes sent to the broker again (never sent, or lost)
    retried: list[int]  # quotes whose worker died, queued again
    failed: list[int]  # quotes whose worker died too often
    proposals: list[int]  # proposals re-enqueued


def solves_sweep_stale(*, now: datetime | None = None) -> SweepReport:
    """Find solve rows that nobody is working on and put them back on the queue or fail them
    (body of the periodic task `quoting.sweep_stale_solves`).

    Writes: quotes `queued` that the broker never took, or took more than SOLVE_STALE_SECONDS
    ago, are enqueued again; quotes `solving` without a heartbeat for SOLVE_STALE_SECONDS go
    back to `queued` (enqueued again) or, after MAX_SOLVE_ATTEMPTS, to `failed` with a message
    (to `cancelled` when a cancel was asked for);
    quotes still `improving` without a heartbeat stop improving (their answer stands);
    proposals `resolving` that were never enqueued or lost their worker are enqueued again.
    Duplicate messages are harmless: a run only works on a row it claimed."""
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.SOLVE_STALE_SECONDS)
    enqueued: list[int] = []
    retried: list[int] = []
    failed: list[int] = []
    proposals: list[int] = []
    waiting = Quote.objects.filter(status=Quote.Status.QUEUED, cancel_requested=False).filter(
        Q(enqueued=False) | Q(enqueued_at__lt=stale_before) | Q(enqueued_at__isnull=True)
    )
    for quote_id in waiting.values_list("pk", flat=True):
        with transaction.atomic():
            enqueue_quote_solve(quote_id)
        enqueued.append(quote_id)
    dead = Quote.objects.filter(status=Quote.Status.SOLVING).filter(
        Q(heartbeat_at__lt=stale_before) | Q(heartbeat_at__isnull=True)
    )
    rows = dead.values_list("pk", "attempts", "worker_deaths", "solve_task_id")
    for quote_id, attempts, deaths, task_id in rows:
        row = Quote.objects.filter(pk=quote_id, status=Quote.Status.SOLVING, solve_task_id=task_id)
        row = row.filter(Q(heartbeat_at__lt=stale_before) | Q(heartbeat_at__isnull=True))
        # Its worker died after someone asked to cancel it: nobody wants the answer.
        if row.filter(cancel_requested=True).update(status=Quote.Status.CANCELLED):
            continue
        if deaths + 1 >= MAX_SOLVE_ATTEMPTS:
            if row.update(
                status=Quote.Status.FAILED,
                worker_deaths=F("worker_deaths") + 1,
                error=f"the worker stopped responding {deaths + 1} times; not retried",
            ):
                failed.append(quote_id)
            continue
        with transaction.atomic():
            if row.update(
                status=Quote.Status.QUEUED,
                solve_task_id="",
                enqueued=False,
                worker_deaths=F("worker_deaths") + 1,
                error=f"the worker stopped responding (attempt {attempts}); retrying",
            ):
                enqueue_quote_solve(quote_id)
                retried.append(quote_id)
    # An improvement whose worker died: the answer on the row stands, and is final now.
    Quote.objects.filter(status=Quote.Status.DONE, improving=True).filter(
        Q(heartbeat_at__lt=stale_before) | Q(heartbeat_at__isnull=True)
    ).update(improving=False)
    lost = ReplanProposal.objects.filter(status=ReplanProposal.Status.RESOLVING).filter(
        (Q(solve_task_id="") & (Q(enqueued=False) | Q(heartbeat_at__lt=stale_before)))
        | (~Q(solve_task_id="") & Q(heartbeat_at__lt=stale_before))
    )
    for proposal_id, task_id in lost.values_list("pk", "solve_task_id"):
        with transaction.atomic():
            if ReplanProposal.objects.filter(
                pk=proposal_id, status=ReplanProposal.Status.RESOLVING, solve_task_id=task_id
            ).update(solve_task_id="", enqueued=False, heartbeat_at=now):
                enqueue_proposal_solve(proposal_id)
                proposals.append(proposal_id)
    return SweepReport(enqueued=enqueued, retried=retried, failed=failed, proposals=proposals)
