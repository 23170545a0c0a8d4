"""Anytime quotes: after a quote's first answer is stored, its solve goes on improving it.

The first answer comes within ENGINE_TIME_LIMIT (about a second) and the rep can accept it at
once. Until the quote is accepted or cancelled, while the board is still at the version it was
solved on and no other quote waits for a worker, the same task solves again with twice the
time, starting from the best schedule so far, and stores every better verified answer on the
row; ``improvements`` keeps their history (each no later than the one before). It stops at
proof (for an answer that keeps the requested date: proof and no operation of other orders
moved, since its plan can still move fewer), at a round that finds nothing better (a stall),
or QUOTE_MAX_SECONDS after the first answer. Accepting commits the answer on the row at that
moment (``quote_accept`` locks the row; an improvement stored afterwards is refused by its
conditional update).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, connections
from django.utils import timezone

from quoting.models import Quote
from quoting.services.answers import answer_columns, replan_diff, request_from_doc
from quoting.services.solve_inputs import consistent_snapshot, with_options
from scheduling.boards import board_quote
from scheduling.engine import model as engine_model

logger = logging.getLogger(__name__)

# How often the watcher reads the row (accepted, cancelled?), beats the heartbeat and looks
# for quotes waiting for a worker.
WATCH_SECONDS = 0.25
# An improvement gives way to a quote that has waited this long for a worker: a new quote
# is claimed by a free worker within milliseconds, so one still queued after this finds every
# worker busy. (The polish's 0.5 s, monitor.MAKE_WAY_AFTER, held eight reps' first answers
# behind improvements: first-answer p95 4.8 s against 1.9 s without improving, 1k board.)
YIELD_AFTER = timedelta(seconds=0.15)


def quotes_waiting_for_a_worker() -> bool:
    """Whether a quote sent to the workers has waited YIELD_AFTER without one taking it."""
    return Quote.objects.filter(
        status=Quote.Status.QUEUED,
        enqueued=True,
        enqueued_at__lte=timezone.now() - YIELD_AFTER,
    ).exists()


def improvement_entry(answer: engine_model.Answer) -> dict[str, Any]:
    """One line of a quote's ``improvements`` history."""
    return {
        "at": timezone.now().isoformat(),
        "promise": answer.promise.isoformat() if answer.promise else None,
        "completion": answer.completion.isoformat() if answer.completion else None,
        "earliest_completion": (
            answer.earliest_completion.isoformat() if answer.earliest_completion else None
        ),
        "lower_bound": answer.lower_bound.isoformat() if answer.lower_bound else None,
        "proven_optimal": answer.proven_optimal,
        "moved": len(answer.moved),
    }


def may_improve(answer: engine_model.Answer) -> bool:
    """Whether a first answer is worth improving: a promise with something left to gain (see
    ``gains_left``) and time to try. Not one made against a repair of a disrupted board:
    which orders it leaves at risk is the scheduler's to weigh, not something a faster promise
    may trade away."""
    return (
        answer.status == "promised"
        and gains_left(answer)
        and not answer.at_risk
        and settings.QUOTE_MAX_SECONDS > settings.ENGINE_TIME_LIMIT
    )


def gains_left(answer: engine_model.Answer) -> bool:
    """Whether a better answer may exist: the earliest completion is not proven, or the answer
    keeps the requested date (an earliest completion is carried beside it) while moving
    operations of other orders. Proof is about how early the request can finish; a kept date's
    plan can still move fewer operations (on the demo shop, 168 at the first answer and 7-40
    after the improvement rounds of QUOTE_MAX_SECONDS), and those moves are what the scheduler
    must approve."""
    kept_with_moves = answer.earliest_completion is not None and bool(answer.moved)
    return not answer.proven_optimal or kept_with_moves


def answer_rank(answer: engine_model.Answer) -> tuple[Any, ...]:
    """Smaller is better: the promise, then how early it could be, then fewer moves, proven."""
    assert answer.promise is not None and answer.completion is not None
    earliest = answer.earliest_completion or answer.completion
    return (answer.promise, earliest, len(answer.moved), not answer.proven_optimal)


class _Watcher:
    """Reads the quote row from its own thread (its own connection): stop when the quote was
    accepted or cancelled, improving was switched off, or another quote waits for a worker;
    beats the heartbeat so the sweeper can tell a dead improvement from a live one."""

    def __init__(self, quote_id: int, task_id: str) -> None:
        self.quote_id = quote_id
        self.task_id = task_id
        self.stop = threading.Event()
        self.made_way = threading.Event()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"improve-{quote_id}")

    def __enter__(self) -> _Watcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        try:
            while not self._done.wait(WATCH_SECONDS):
                try:
                    mine = Quote.objects.filter(
                        pk=self.quote_id,
                        status=Quote.Status.DONE,
                        improving=True,
                        accepted_at__isnull=True,
                        cancel_requested=False,
                        solve_task_id=self.task_id,
                    )
                    if not mine.update(heartbeat_at=timezone.now()):
                        self.stop.set()
                    elif quotes_waiting_for_a_worker():
                        self.made_way.set()
                        self.stop.set()
                except DatabaseError as exc:
                    logger.warning("improving quote %s: %s", self.quote_id, exc)
                    connection.close()
        finally:
            connections.close_all()  # this thread's connections only


def quote_improve(*, quote_id: int, task_id: str) -> str:
    """Improve an answered quote until proof, a stall, the cap, acceptance or a waiting quote
    (body of the tail of task `quoting.solve_quote`).

    Writes to the quote row only, and only while it is answered, not accepted, `improving`
    and held by this task: each better answer (the answer columns, its diff, the board instant
    it was solved at, one more `improvements` entry); `improving` false at the end."""
    quote = Quote.objects.filter(
        pk=quote_id, status=Quote.Status.DONE, improving=True, solve_task_id=task_id
    ).first()
    if quote is None or quote.answer is None or quote.request_doc is None:
        return "final"
    try:
        return _improve(quote, task_id)
    finally:
        # Only while this task holds the row: a portfolio member that outranked it (see
        # portfolio.py) holds it now and improves its own answer.
        Quote.objects.filter(pk=quote_id, improving=True, solve_task_id=task_id).update(
            improving=False
        )


def _improve(quote: Quote, task_id: str) -> str:
    best = quote.engine_answer()
    history = list(quote.improvements or [])
    codes = list(quote.requested_options.values_list("code", flat=True))
    request = request_from_doc(quote.request_doc or {})
    # The cap counts from the first answer (a portfolio member that outranked the first one
    # starts improving later, not for longer).
    since = (timezone.now() - quote.solved_at).total_seconds() if quote.solved_at else 0.0
    ends = time.monotonic() + settings.QUOTE_MAX_SECONDS - (quote.solve_seconds or 0.0) - since
    limit = 2 * settings.ENGINE_TIME_LIMIT
    rounds = 0
    while gains_left(best):
        left = ends - time.monotonic()
        if left < settings.ENGINE_MIN_TIME_LIMIT:
            return "cap"
        if quotes_waiting_for_a_worker():
            return "made way"  # a rep waits for a first answer: no round is started
        snapshot = consistent_snapshot(request=request)
        version = snapshot.version.pk if snapshot.version is not None else None
        if version != quote.schedule_version_id:
            return "board changed"  # the quote is stale now; accepting re-solves it
        board = with_options(snapshot.board, codes)
        rounds += 1
        with _Watcher(quote.pk, task_id) as watcher:
            answer = board_quote(
                board,
                time_limit=min(limit, left),
                seed=rounds,
                cancel=watcher.stop.is_set,
                warm_start=best.schedule,
                earliest=quote.promise_earliest,
                evaluate_options=True,
            )
        better = answer.status == "promised" and answer_rank(answer) < answer_rank(best)
        if better:
            history.append(improvement_entry(answer))
            written = Quote.objects.filter(
                pk=quote.pk,
                status=Quote.Status.DONE,
                improving=True,
                accepted_at__isnull=True,
                cancel_requested=False,
                solve_task_id=task_id,
            ).update(
                best_completion=answer.completion,
                board_now=board.now,
                heartbeat_at=timezone.now(),
                diff=replan_diff(board, answer),
                improvements=history,
                **answer_columns(answer),
            )
            if not written:
                return "accepted or cancelled"
            best = answer
        if watcher.stop.is_set():
            return "made way" if watcher.made_way.is_set() else "accepted or cancelled"
        if not better:
            return "stalled"
        limit *= 2
    return "proven"
