"""Portfolio quotes: one quote solved by ENGINE_PORTFOLIO tasks at once, each with its own seed.

With ``ENGINE_PORTFOLIO = N > 1`` a quote is a Celery group of N member tasks, one
`PortfolioMember` row each; the first verified answer is stored at once, a later one replaces it
only when it is better, and at rest exactly one member has `won`. The rules: docs/quoting.md
("Portfolio").
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone

from config.celery import app as celery_app
from quoting.models import PortfolioMember, Quote
from quoting.services.answers import answer_columns, replan_diff, request_to_doc
from quoting.services.engine_runs import describe_failure, engine_quote
from quoting.services.enqueue import BROKER_ERRORS
from quoting.services.improving import answer_rank, improvement_entry, may_improve, quote_improve
from quoting.services.monitor import SolveMonitor
from quoting.services.quote_solving import quote_inputs
from quoting.services.solve_inputs import background_repair
from scheduling import engine
from scheduling.engine import model as engine_model

logger = logging.getLogger(__name__)

Member = PortfolioMember.Status


# --- enqueueing -----------------------------------------------------------------------------


def member_plan(index: int) -> tuple[int, int]:
    """(strategy, seed) of portfolio member `index`: every strategy with seed 0 first, then
    every strategy with seed 1, ...; member 0 is the plain solve's (0, 0)."""
    return index % engine.STRATEGIES, index // engine.STRATEGIES


def portfolio_publish(quote_id: int, size: int | None = None) -> str:
    """Send quote `quote_id` as a group of `size` (ENGINE_PORTFOLIO) member tasks now (called
    after commit by `enqueue_quote_solve`). Returns the portfolio id.

    Writes: one `PortfolioMember` row per member (its task id is chosen here, so a redelivery
    carries it); members of an earlier portfolio of the quote still queued or solving are
    `revoked` (superseded); the quote's `enqueued`/`enqueued_at`, or `enqueue_error` when the broker
    refused (the members are then revoked and the sweeper enqueues the quote again)."""
    from celery import group

    size = settings.ENGINE_PORTFOLIO if size is None else size
    portfolio = uuid.uuid4().hex
    # A quote sent again (its workers died, the sweeper re-queued it; or re-quoted): members
    # of an earlier portfolio that never reported are gone or will find the row taken.
    PortfolioMember.objects.filter(
        quote_id=quote_id, status__in=[Member.QUEUED, Member.SOLVING]
    ).update(
        status=Member.REVOKED,
        finished_at=timezone.now(),
        reason="superseded: the quote was sent to the workers again",
    )
    members = PortfolioMember.objects.bulk_create(
        PortfolioMember(
            quote_id=quote_id,
            portfolio=portfolio,
            task_id=str(uuid.uuid4()),
            strategy=member_plan(k)[0],
            seed=member_plan(k)[1],
        )
        for k in range(size)
    )
    signatures = [
        # By name: quoting.tasks imports these services, so they never import it back.
        celery_app.signature(
            "quoting.solve_quote_member", args=(m.pk,), task_id=m.task_id, immutable=True
        )
        for m in members
    ]
    try:
        group(signatures).apply_async()
    except BROKER_ERRORS as exc:
        logger.warning("broker unavailable, portfolio of quote %s left for the sweeper", quote_id)
        PortfolioMember.objects.filter(portfolio=portfolio).update(
            status=Member.REVOKED, reason=f"never sent: broker unavailable ({exc})"
        )
        Quote.objects.filter(pk=quote_id).update(
            enqueued=False, enqueue_error=f"broker unavailable, will retry: {exc}"
        )
        return portfolio
    Quote.objects.filter(pk=quote_id).update(
        enqueued=True, enqueue_error="", enqueued_at=timezone.now()
    )
    return portfolio


def _revoke_tasks(task_ids: list[str]) -> None:
    """Ask the workers to drop these tasks' messages. Only a shortcut: a member reads its own
    row before doing anything, so one revoked there never solves even if the message runs."""
    if not task_ids or settings.CELERY_TASK_ALWAYS_EAGER:
        return
    from config.celery import app

    if app.conf.task_always_eager:
        return
    try:
        app.control.revoke(task_ids)
    except BROKER_ERRORS as exc:
        logger.warning(
            "revoking %s: broker unavailable (%s); their rows say revoked", task_ids, exc
        )


# --- the member's monitor -------------------------------------------------------------------


class _MemberMonitor(SolveMonitor):
    """A SolveMonitor that lets several runs share the quote row: each member keeps the heartbeat
    while the portfolio holds the row, progress only goes up and the best completion only
    earlier, and a member stops when its row was revoked, or the quote was cancelled, accepted,
    re-queued or answered with a proven optimum."""

    def __init__(self, member: PortfolioMember, task_ids: set[str]) -> None:
        super().__init__(Quote, member.quote_id, member.portfolio)
        self.member = member
        self.task_ids = task_ids

    def _poll(self) -> None:
        row = (
            Quote.objects.filter(pk=self.pk)
            .values_list(
                "status",
                "solve_task_id",
                "cancel_requested",
                "answer__proven_optimal",
                "accepted_at",
            )
            .first()
        )
        mine = PortfolioMember.objects.filter(pk=self.member.pk, status=Member.SOLVING).exists()
        if row is None:
            return
        status, holder, cancel, proven, accepted = row
        if not mine:
            self.lost.set()
        elif cancel:
            self.cancel_requested.set()
        elif status == Quote.Status.SOLVING and holder == self.task_id:
            pass  # nobody has answered yet
        elif status == Quote.Status.DONE and holder in self.task_ids and not proven:
            if accepted is not None:
                self.lost.set()  # the rep took the answer shown: nothing is written after
            # else: answered by a member; this one may still find a better answer
        else:
            self.lost.set()

    def _progress_fields(self, update: engine.Progress) -> dict[str, Any]:
        # Members share the quote row: progress never goes back, the best completion is the
        # earliest any member found.
        fields: dict[str, Any] = {
            "progress": Greatest(F("progress"), Value(min(1.0, max(0.0, update.fraction))))
        }
        if update.best_completion is not None:
            best = Value(update.best_completion)
            fields["best_completion"] = Least(Coalesce(F("best_completion"), best), best)
        return fields


# --- a member's run -------------------------------------------------------------------------


def portfolio_member_solve(*, member_id: int, task_id: str, worker: str = "") -> str:
    """Solve one member of a quote's portfolio (body of task `quoting.solve_quote_member`).
    Returns the member's final status, or "skipped" when it was revoked before it started.

    Writes: its `PortfolioMember` row (solving, then won/revoked/failed with the reason); the
    quote row as a plain solve does (status, progress, heartbeat, the answer with the version it
    was solved on), but the answer only when it is the first or better than the one stored; the
    member it outranks `revoked`; then, as the holder, the improvements of the answer."""
    started = PortfolioMember.objects.filter(
        pk=member_id, task_id=task_id, status__in=[Member.QUEUED, Member.SOLVING]
    ).update(status=Member.SOLVING, started_at=timezone.now(), worker=worker[:200])
    if not started:
        return "skipped"  # revoked before it ran (or not this task's row)
    member = PortfolioMember.objects.get(pk=member_id)
    quote_id = member.quote_id
    if not _join(member):
        _end(member, Member.REVOKED, "the quote was answered, cancelled or re-queued first")
        return Member.REVOKED
    task_ids = set(
        PortfolioMember.objects.filter(portfolio=member.portfolio).values_list("task_id", flat=True)
    )
    try:
        quote = Quote.objects.select_related("repromise_order").get(pk=quote_id)
        request, snapshot, board = quote_inputs(quote)
        with _MemberMonitor(member, task_ids) as monitor:
            answer = engine_quote(
                board,
                monitor,
                seed=member.seed,
                strategy=member.strategy,
                evaluate_options=True,
                earliest=quote.promise_earliest,
                against_repair=snapshot.disrupted,
                repair=background_repair(snapshot),
            )
        if monitor.errors:
            raise RuntimeError(f"progress monitor failed: {monitor.errors[0]}")
    except Exception as exc:
        logger.exception("quote %s, portfolio %s failed", quote_id, _name(member))
        return _failed(member, describe_failure(exc))
    if monitor.cancel_requested.is_set():
        Quote.objects.filter(
            pk=quote_id, status=Quote.Status.SOLVING, solve_task_id=member.portfolio
        ).update(status=Quote.Status.CANCELLED, heartbeat_at=timezone.now())
        _end(member, Member.REVOKED, "the quote was cancelled")
        return Member.REVOKED
    if monitor.lost.is_set():
        _end(member, Member.REVOKED, _stopped_why(member), answer)
        return Member.REVOKED
    outcome = _store(member, task_ids, answer, board, snapshot.version, request)
    if outcome != Member.WON:
        return outcome
    quote_improve(quote_id=quote_id, task_id=member.task_id)
    # Outranked while improving: its row says revoked already; else it is still the holder.
    return PortfolioMember.objects.values_list("status", flat=True).get(pk=member.pk)


def _join(member: PortfolioMember) -> bool:
    """Take the quote for the portfolio (queued → solving), or join the members already solving
    it. False when the quote is answered, cancelled or held by another run."""
    claimed = Quote.objects.filter(
        pk=member.quote_id, status=Quote.Status.QUEUED, cancel_requested=False
    ).update(
        status=Quote.Status.SOLVING,
        solve_task_id=member.portfolio,
        attempts=F("attempts") + 1,
        heartbeat_at=timezone.now(),
        progress=0.0,
        best_completion=None,
        error="",
    )
    return (
        bool(claimed)
        or Quote.objects.filter(
            pk=member.quote_id,
            status=Quote.Status.SOLVING,
            solve_task_id=member.portfolio,
            cancel_requested=False,
        ).exists()
    )


def _better(answer: engine_model.Answer, stored: Quote) -> bool:
    if answer.status != "promised":
        return False
    if stored.answer_status != "promised" or stored.answer is None:
        return True  # a promise beats "no schedule found" by the others
    return answer_rank(answer) < answer_rank(stored.engine_answer())


def _store(
    member: PortfolioMember,
    task_ids: set[str],
    answer: engine_model.Answer,
    board: engine_model.Board,
    version: Any,
    request: engine_model.Request,
) -> str:
    """Store the member's answer if it is the first or the best so far; record who won."""
    now = timezone.now()
    with transaction.atomic():
        quote = Quote.objects.select_for_update().get(pk=member.quote_id)
        version_id = version.pk if version is not None else None
        answer_fields = {
            "best_completion": answer.completion,
            "heartbeat_at": now,
            "board_now": board.now,
            "schedule_version_id": version_id,
            "request_doc": request_to_doc(request),
            "diff": replan_diff(board, answer) if answer.status == "promised" else {},
            "improving": may_improve(answer),
            "solve_task_id": member.task_id,
            **answer_columns(answer),
        }
        entry = [improvement_entry(answer)] if answer.status == "promised" else []
        first = (
            quote.status == Quote.Status.SOLVING
            and quote.solve_task_id == member.portfolio
            and not quote.cancel_requested
        )
        takeover = (
            quote.status == Quote.Status.DONE
            and quote.solve_task_id in task_ids
            and quote.accepted_at is None
            and not quote.cancel_requested
            and quote.schedule_version_id == version_id
            and _better(answer, quote)
        )
        if first:
            Quote.objects.filter(pk=quote.pk).update(
                status=Quote.Status.DONE,
                progress=1.0,
                solved_at=now,
                improvements=entry,
                **answer_fields,
            )
        elif takeover:
            Quote.objects.filter(pk=quote.pk).update(
                improvements=list(quote.improvements or []) + entry, **answer_fields
            )
            PortfolioMember.objects.filter(task_id=quote.solve_task_id, status=Member.WON).update(
                status=Member.REVOKED,
                finished_at=now,
                reason=f"outranked by {_name(member)} (promise {_day(answer.promise)})",
            )
        else:
            why = _not_kept_why(quote, task_ids, version_id)
            _end(member, Member.REVOKED, why, answer)
            return Member.REVOKED
        _end(member, Member.WON, "its answer is the one stored on the quote", answer)
        revoked = _revoke_others(member, proven=answer.proven_optimal)
    transaction.on_commit(lambda: _revoke_tasks(revoked))
    return Member.WON


def _revoke_others(member: PortfolioMember, *, proven: bool) -> list[str]:
    """Revoke the members that have not started (an answer is stored: starting one now would
    only compete with other quotes for a worker), and, after a proven answer, the running
    ones too (their monitor stops them). Returns their task ids."""
    others = PortfolioMember.objects.filter(portfolio=member.portfolio).exclude(pk=member.pk)
    queued = others.filter(status=Member.QUEUED)
    running = others.filter(status=Member.SOLVING) if proven else others.none()
    ids = list(queued.values_list("task_id", flat=True)) + list(
        running.values_list("task_id", flat=True)
    )
    now = timezone.now()
    # A queued member never solved, whatever ended the portfolio: its reason says so.
    why = "proved its answer optimal" if proven else "answered"
    queued.update(
        status=Member.REVOKED, finished_at=now, reason=f"not started before {_name(member)} {why}"
    )
    running.update(
        status=Member.REVOKED, finished_at=now, reason=f"{_name(member)} proved its answer optimal"
    )
    return ids


def _not_kept_why(quote: Quote, task_ids: set[str], version_id: int | None) -> str:
    if quote.accepted_at is not None:
        return "the quote was accepted with the answer shown"
    if quote.cancel_requested or quote.status == Quote.Status.CANCELLED:
        return "the quote was cancelled"
    if quote.status != Quote.Status.DONE or quote.solve_task_id not in task_ids:
        return "the quote was re-queued or taken over by another run"
    if quote.schedule_version_id != version_id:
        return "solved on another schedule version than the stored answer"
    holder = PortfolioMember.objects.filter(task_id=quote.solve_task_id).first()
    by = f"{_name(holder)}'s" if holder is not None else "the stored"
    return f"its answer was no better than {by} (promise {_day(quote.promise)})"


def _stopped_why(member: PortfolioMember) -> str:
    row = PortfolioMember.objects.filter(pk=member.pk).values_list("reason", flat=True).first()
    return row or "stopped: the quote was answered with a proven optimum, accepted or re-queued"


def _end(
    member: PortfolioMember, status: str, reason: str, answer: engine_model.Answer | None = None
) -> None:
    fields: dict[str, Any] = {"status": status, "finished_at": timezone.now(), "reason": reason}
    if answer is not None:
        fields["promise"] = answer.promise
        fields["solve_seconds"] = answer.solve_seconds
    # A member revoked by another (proven answer) keeps that reason.
    kept = PortfolioMember.objects.filter(pk=member.pk)
    if status == Member.REVOKED:
        if kept.filter(status=Member.REVOKED).exists():
            fields.pop("reason")
            fields.pop("status")
    kept.update(**fields)


def _failed(member: PortfolioMember, error: str) -> str:
    """The member failed; the quote fails too once no member of its portfolio is left running
    and none answered (otherwise the others' answer stands)."""
    _end(member, Member.FAILED, error)
    running = PortfolioMember.objects.filter(
        portfolio=member.portfolio, status__in=[Member.QUEUED, Member.SOLVING]
    ).exists()
    if not running:
        Quote.objects.filter(
            pk=member.quote_id, status=Quote.Status.SOLVING, solve_task_id=member.portfolio
        ).update(status=Quote.Status.FAILED, error=error, heartbeat_at=timezone.now())
    return Member.FAILED


def _name(member: PortfolioMember) -> str:
    return f"strategy {member.strategy} seed {member.seed}"


def _day(value: Any) -> str:
    return value.isoformat() if value is not None else "none"
