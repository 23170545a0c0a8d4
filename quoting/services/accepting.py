"""Accepting a quote: commit it at once, or hand it to the scheduler as a replan proposal.

Every order, promise and schedule version written here goes through
`scheduling.services.schedule_commit` (locks the current version, verifies, writes atomically).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from orders.models import Order, Promise
from quoting.models import (
    AuditEvent,
    DateChangeRequest,
    Quote,
    ReplanProposal,
)
from quoting.services.answers import answer_for_order, request_from_doc
from quoting.services.audit import audit_event_record
from quoting.services.conflicts import (
    PlanExpired,
    QuoteStale,
    QuotingConflict,
)
from quoting.services.enqueue import enqueue_proposal_solve, enqueue_quote_solve
from scheduling.boards import PLAN_START_GRACE, current_version
from scheduling.engine import model as engine_model
from scheduling.models import CapacityOption, ScheduleVersion
from scheduling.services import (
    CommitResult,
    NewOrderSpec,
    PromiseSpec,
    ScheduleRejected,
    StaleSchedule,
    schedule_commit,
)

# A plan whose new or moved operations should have started longer ago than PLAN_START_GRACE is
# no longer a plan (nobody started them); committing it would put work in the past. Re-solve
# instead. The grace covers the minutes between a solve and a person's click; the board
# snapshot gives the shop floor the same minutes to report a start (scheduling.boards).


def check_fresh(answer: engine_model.Answer, request_id: str) -> None:
    oldest = timezone.now() - PLAN_START_GRACE
    late = [r for r in answer.schedule if r.order == request_id and r.start < oldest]
    late_moves = [m for m in answer.moved if m.to_start < oldest]
    if late or late_moves:
        raise PlanExpired(
            "the plan was made too long ago: some of its operations should already have "
            "started; re-solving it on today's board"
        )


@dataclass(frozen=True)
class AcceptOutcome:
    """What an accept did: committed an order and its promise, or created a proposal."""

    quote: Quote
    order: Order | None = None
    promise: Promise | None = None
    proposal: ReplanProposal | None = None

    @property
    def committed(self) -> bool:
        return self.order is not None


def commit_quote(
    quote: Quote,
    *,
    answer: engine_model.Answer,
    expected_version_id: int | None,
    now: datetime,
    kind: str,
    reason: str,
    user: User | None,
    options: list[str] | None = None,
) -> CommitResult:
    """The quote's order and promise through the verified gate: the one path shared by an
    immediate accept and an approved proposal (raises StaleSchedule / ScheduleRejected).

    A quote for a customer's date request re-promises its existing order (a promise row of
    kind `repromise`, the order's slots where the answer put the request's) instead of
    creating one; it must promise an earlier date than the order has."""
    check_fresh(answer, quote.request_id)
    order = quote.repromise_order
    if order is not None:
        if answer.promise is None or answer.promise >= order.promised_due:
            raise QuotingConflict(
                f"this plan does not promise {order.code} earlier than its current promise; "
                "nothing to change"
            )
        return schedule_commit(
            expected_version_id=expected_version_id,
            now=now,
            answer=answer_for_order(answer, quote.request_id, order.code),
            kind=kind,
            reason=reason,
            created_by=user,
            options=options or [],
            accept_late=answer.at_risk,
            promises=[
                PromiseSpec(
                    order_id=order.pk,
                    due=answer.promise,
                    buffer_minutes=order.buffer_minutes,
                    kind=Promise.Kind.REPROMISE,
                    reason=reason[:500],
                )
            ],
        )
    return schedule_commit(
        expected_version_id=expected_version_id,
        now=now,
        answer=answer,
        kind=kind,
        reason=reason,
        created_by=user,
        request=request_from_doc(quote.request_doc),  # type: ignore[arg-type]
        options=options or [],
        new_order=_new_order(quote, reason),
        accept_late=answer.at_risk,
    )


def record_commit(quote: Quote, result: CommitResult, user: User) -> Order:
    """After a quote's commit: link its order (a new one; a re-promised one keeps the quote
    that created it) and promise, and close the customer's date request it answered."""
    promise = result.promises[0]
    quote.committed_promise = promise
    if result.order is not None:
        quote.order = result.order
    quote.save(update_fields=["order", "committed_promise"])
    DateChangeRequest.objects.filter(quote=quote, status=DateChangeRequest.Status.OPEN).update(
        status=DateChangeRequest.Status.CLOSED, closed_by=user, closed_at=timezone.now()
    )
    return promise.order


def _new_order(quote: Quote, reason: str) -> NewOrderSpec:
    return NewOrderSpec(
        code=None,  # the next number of the shop's order numbering, given inside the lock
        customer_id=quote.customer_id,
        product_id=quote.product_id,
        quantity=quote.quantity,
        release=None,
        reason=reason,
        customer_po=quote.customer_po,
        requested_due=quote.requested_due,
    )


def _requeue_quote(quote_id: int, cause: Exception, user: User) -> Quote:
    """Send an answered quote back to the solver because its board is gone."""
    _quote_reset(quote_id, cause, user, kind=AuditEvent.Kind.QUOTE_STALE)
    return Quote.objects.get(pk=quote_id)


def _quote_reset(quote_id: int, cause: Exception, user: User, *, kind: str) -> bool:
    """An answered, unaccepted quote back to `queued` with its re-solve enqueued; False when
    the quote was not in that state (nothing written)."""
    with transaction.atomic():
        reset = Quote.objects.filter(
            pk=quote_id, status=Quote.Status.DONE, accepted_at__isnull=True
        ).update(
            status=Quote.Status.QUEUED,
            progress=0.0,
            best_completion=None,
            solve_task_id="",
            enqueued=False,
            answer=None,
            answer_status="",
            error="",
        )
        if reset:
            audit_event_record(kind=kind, actor=user, quote=quote_id, reason=str(cause)[:500])
            enqueue_quote_solve(quote_id)
    return bool(reset)


def quote_accept(
    *,
    quote_id: int,
    accepted_by: User,
    capacity_option_code: str | None = None,
) -> AcceptOutcome:
    """Turn an answered quote into an order, or into a replan proposal for the scheduler.

    If the answer moves no existing operation and no capacity option is chosen, commits at once
    (one transaction through `schedule_commit`): a new schedule version (kind `quote`), the
    order with its operations and its initial promise (= the quoted promise), an AuditEvent.
    Otherwise writes a ReplanProposal: `pending` with the quote's schedule, or, with a capacity
    option, `resolving` and enqueues `quoting.solve_proposal` to solve with that option applied.

    Raises ValidationError (bad option), QuotingConflict (not answered, no promise, already
    accepted), QuoteStale when the board changed since the solve, or the plan's operations
    should already have started (PLAN_START_GRACE): nothing is committed, the quote goes back
    to `queued` and its re-solve is enqueued."""
    option: CapacityOption | None = None
    if capacity_option_code:
        option = CapacityOption.objects.filter(code=capacity_option_code).first()
        if option is None or option.status != CapacityOption.Status.AVAILABLE:
            raise ValidationError({"capacity_option": "no such available capacity option"})
    try:
        with transaction.atomic():
            quote = Quote.objects.select_for_update().get(pk=quote_id)
            _check_acceptable(quote, option)
            _check_solved_on_current(quote)
            quote.accepted_at = timezone.now()
            quote.improving = False  # the answer on the row now is the one accepted
            quote.accepted_by = accepted_by  # type: ignore[assignment]
            quote.accepted_option = option
            # A quote made against a repair of a disrupted board commits the repair too: the
            # scheduler approves it (who moves, who stays late), even if it moves nothing.
            at_risk = bool(quote.engine_answer().at_risk)
            if option is None and quote.moved_count == 0 and not at_risk:
                reason = f"Quote {quote.request_id} accepted: moves no other order"
                result = commit_quote(
                    quote,
                    answer=quote.engine_answer(),
                    expected_version_id=quote.schedule_version_id,
                    now=quote.board_now,  # type: ignore[arg-type]
                    kind=ScheduleVersion.Kind.QUOTE,
                    reason=reason,
                    user=accepted_by,
                )
                quote.save(
                    update_fields=["accepted_at", "improving", "accepted_by", "accepted_option"]
                )
                order = record_commit(quote, result, accepted_by)
                audit_event_record(
                    kind=AuditEvent.Kind.QUOTE_COMMITTED,
                    actor=accepted_by,
                    reason=reason,
                    order=order,
                    quote=quote,
                    schedule_version=result.version,
                    detail={"promise": result.promises[0].due.isoformat()},
                )
                return AcceptOutcome(quote=quote, order=order, promise=result.promises[0])
            if option is None and not at_risk:
                check_fresh(quote.engine_answer(), quote.request_id)
            quote.save(update_fields=["accepted_at", "improving", "accepted_by", "accepted_option"])
            proposal = _proposal_create(quote, option, accepted_by)
            return AcceptOutcome(quote=quote, proposal=proposal)
    except (StaleSchedule, ScheduleRejected, PlanExpired) as exc:
        raise QuoteStale(_requeue_quote(quote_id, exc, accepted_by), exc) from exc


def _check_solved_on_current(quote: Quote) -> None:
    """A quote solved on an older schedule version is re-solved before anything is accepted,
    proposal or not: its promise and its moves describe a board that is gone."""
    current = current_version()
    current_id = current.pk if current is not None else None
    if quote.schedule_version_id != current_id:
        raise StaleSchedule(
            expected_version_id=quote.schedule_version_id, current_version_id=current_id
        )


def quote_requote(*, quote_id: int, requested_by: User) -> Quote:
    """Solve an answered, unaccepted quote again on the current board (the rep's "Re-quote").

    Writes: the quote back to `queued` with its answer cleared, an AuditEvent; enqueues
    `quoting.solve_quote` after commit. Raises QuotingConflict when the quote is not an
    answered, unaccepted one."""
    cause = Exception("re-quote asked for by the sales rep")
    if not _quote_reset(quote_id, cause, requested_by, kind=AuditEvent.Kind.QUOTE_REQUOTED):
        quote = Quote.objects.get(pk=quote_id)
        state = "accepted" if quote.accepted_at else quote.status
        raise QuotingConflict(
            f"quote {quote.request_id} is {state}; only an answer can be re-quoted"
        )
    return Quote.objects.get(pk=quote_id)


def _check_acceptable(quote: Quote, option: CapacityOption | None) -> None:
    if quote.accepted_at is not None:
        raise QuotingConflict(f"quote {quote.request_id} was already accepted")
    if quote.status != Quote.Status.DONE:
        raise QuotingConflict(f"quote {quote.request_id} is {quote.status}, not answered yet")
    if quote.answer_status != "promised" or quote.answer is None:
        raise QuotingConflict(
            f"quote {quote.request_id} has no promise to accept ({quote.answer_status}): "
            f"{quote.message}".rstrip(": ")
        )
    order = quote.repromise_order
    if order is not None and (quote.promise is None or quote.promise >= order.promised_due):
        raise QuotingConflict(
            f"the earliest promise found for {order.code} is not earlier than its current "
            "promise; there is nothing to accept (answer the customer's request instead)"
        )
    if option is not None:
        offered = {o["id"] for o in quote.options if o.get("completion")}
        if option.code not in offered:
            message = f"{option.code} was not evaluated with a schedule in this quote"
            raise ValidationError({"capacity_option": message})


def _proposal_create(quote: Quote, option: CapacityOption | None, user: User) -> ReplanProposal:
    # Solved again before the scheduler sees it, starting from the quote's schedule: with the
    # option applied (the quote's answer does not use it) so the scheduler approves the
    # schedule that will actually run; without one, polished: the quoted promise kept and the
    # proposal's time limit spent on moving fewer planned operations than the rep's
    # one-second quote did.
    proposal = ReplanProposal.objects.create(
        quote=quote,
        capacity_option=option,
        status=ReplanProposal.Status.RESOLVING,
        created_by=user,
    )
    enqueue_proposal_solve(proposal.pk)
    audit_event_record(
        kind=AuditEvent.Kind.PROPOSAL_CREATED,
        actor=user,
        quote=quote,
        proposal=proposal,
        capacity_option=option,
        reason=f"Quote {quote.request_id} accepted; needs the scheduler's approval",
        detail={"moved": quote.moved_count},
    )
    return proposal
