"""Solving a quote on a worker (body of task `quoting.solve_quote`).

Every state change of a solve row is a conditional UPDATE whose row count is checked, so a
redelivered task, a sweeper and a cancel can race without a row ending in two states: the run
that holds the row is the one whose Celery task id is in `solve_task_id`.
"""

from __future__ import annotations

import logging

from django.db.models import F
from django.utils import timezone

from quoting.models import Quote
from quoting.services.answers import (
    answer_columns,
    replan_diff,
    request_to_doc,
)
from quoting.services.engine_runs import describe_failure, engine_quote
from quoting.services.monitor import SolveMonitor
from quoting.services.solve_inputs import (
    background_repair,
    consistent_snapshot,
    quote_board,
    quote_request,
    with_options,
)
from quoting.services.transient import is_transient, retry_transient
from scheduling.boards import BoardSnapshot
from scheduling.engine import model as engine_model

logger = logging.getLogger(__name__)


# A worker killed twice on the same quote is more likely killed *by* it (memory) than unlucky;
# fail it with a message rather than take down a third worker. Counts deaths only
# (`Quote.worker_deaths`): re-solves after a stale accept or a re-quote are not deaths.
MAX_SOLVE_ATTEMPTS = 3


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


def quote_inputs(
    quote: Quote,
) -> tuple[engine_model.Request, BoardSnapshot, engine_model.Board]:
    """What a solve of `quote` runs on (a plain solve's and every portfolio member's): its
    request, a consistent snapshot of the board with it, and the board to quote (the order a
    re-promise quotes left out, only the capacity options the rep asked for). ValueError when
    the product has no routing."""
    request = quote_request(quote)
    if not request.operations:
        raise ValueError(f"product {quote.product} has no routing to schedule")
    snapshot = consistent_snapshot(request=request)
    codes = list(quote.requested_options.values_list("code", flat=True))
    return request, snapshot, with_options(quote_board(quote, snapshot.board), codes)


def _quote_solve_claimed(quote_id: int, task_id: str) -> str:
    mine = Quote.objects.filter(pk=quote_id, status=Quote.Status.SOLVING, solve_task_id=task_id)
    quote = Quote.objects.select_related("repromise_order").get(pk=quote_id)
    try:
        request, snapshot, board = quote_inputs(quote)
        mine.update(
            schedule_version=snapshot.version,
            board_now=board.now,
            request_doc=request_to_doc(request),
        )
        with SolveMonitor(Quote, quote_id, task_id) as monitor:
            answer = engine_quote(
                board,
                monitor,
                evaluate_options=True,
                earliest=quote.promise_earliest,
                against_repair=snapshot.disrupted,
                repair=background_repair(snapshot),
            )
        if monitor.errors:
            raise RuntimeError(f"progress monitor failed: {monitor.errors[0]}")
    except Exception as exc:
        if is_transient(exc):
            raise  # retried by the caller: the quote is not what failed
        # Recorded on the row for the user and logged with its traceback; the task succeeds so
        # Celery does not redeliver a solve that would fail the same way.
        logger.exception("quote %s failed", quote_id)
        mine.update(
            status=Quote.Status.FAILED, error=describe_failure(exc), heartbeat_at=timezone.now()
        )
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
        **answer_columns(answer),
    )
    # The answer is the costly part: a lost connection here retries this write, not the solve.
    written = retry_transient(lambda: mine.update(**fields), what=f"quote {quote_id} answer")
    return Quote.Status.DONE if written else "skipped"
