"""The quoting workflow's writes: request, cancel, accept, approve/reject, re-promise.

Every order, promise and schedule version written here goes through
`scheduling.services.schedule_commit` (locks the current version, verifies, writes atomically).
Bad input raises `django.core.exceptions.ValidationError` with field messages and writes nothing;
a request that conflicts with the row's state raises `QuotingConflict` (HTTP 409).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from orders.models import Customer, Order, Product, Promise, RoutingStep
from orders.selectors import orders_visible_to
from quoting.models import (
    AuditEvent,
    DateChangeRequest,
    Notification,
    Quote,
    ReplanProposal,
    RepromiseProposal,
)
from quoting.services.answers import answer_for_order, request_from_doc
from quoting.services.solving import enqueue_proposal_solve, enqueue_quote_solve
from scheduling import engine
from scheduling.boards import PLAN_START_GRACE, board_now, board_snapshot, current_version
from scheduling.engine import model as e
from scheduling.engine.boardio import load_answer
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
# The customer's purchase-order reference (Quote.customer_po, Order.customer_po).
PO_MAX_LENGTH = 64


class PlanExpired(Exception):
    """The answer's new or moved operations start too far in the past to be committed."""


def _check_fresh(answer: e.Answer, request_id: str) -> None:
    oldest = timezone.now() - PLAN_START_GRACE
    late = [r for r in answer.schedule if r.order == request_id and r.start < oldest]
    late_moves = [m for m in answer.moved if m.to_start < oldest]
    if late or late_moves:
        raise PlanExpired(
            "the plan was made too long ago: some of its operations should already have "
            "started; re-solving it on today's board"
        )


class QuotingConflict(Exception):
    """The row is not in a state that allows this action (HTTP 409)."""


class QuoteStale(QuotingConflict):
    """The board changed since the quote was solved; it is being re-solved."""

    def __init__(self, quote: Quote, cause: Exception):
        self.quote = quote
        super().__init__(f"the schedule changed since this quote was solved; re-solving ({cause})")


class ProposalStale(QuotingConflict):
    """The board changed since the proposal was solved; it is being re-solved, not committed."""

    def __init__(self, proposal: ReplanProposal, cause: Exception):
        self.proposal = proposal
        super().__init__(
            "the schedule changed since this proposal was solved; it is being re-solved on the "
            "current board and your approval stands: it is committed unless its promise comes "
            f"out later than the one the rep agreed to ({cause})"
        )


class RepromiseInfeasible(ValidationError):
    """No valid schedule keeps every promise with the order at the new date."""


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


def _promise_date_problem(value: datetime) -> str | None:
    """Why `value` cannot be asked for as a due date, or None: it needs a time zone, must lie
    ahead, and no further than PROMISE_HORIZON_DAYS (a date years out is a typo, and instants
    near year 9999 overflow the engine's arithmetic)."""
    if timezone.is_naive(value):
        return "must include a time zone offset, e.g. 2026-12-08T16:00:00+01:00"
    now = timezone.now()
    if value <= now:
        return "must be in the future"
    days = settings.PROMISE_HORIZON_DAYS
    horizon = now + timedelta(days=days)
    if value > horizon:
        return f"must be at most {days} days ahead (on or before {horizon:%Y-%m-%d})"
    return None


# --- quote request --------------------------------------------------------------------------


def quote_request_create(
    *,
    created_by: User,
    customer_id: int,
    product_id: int,
    quantity: int,
    requested_due: datetime | None = None,
    capacity_option_codes: list[str] | tuple[str, ...] = (),
    promise_earliest: bool = False,
    date_request_id: int | None = None,
    customer_po: str = "",
) -> Quote:
    """Record a quote request and enqueue its solve.

    With a requested date the answer keeps it when it can be met, moving as few operations of
    other orders as possible; ``promise_earliest`` asks for the earliest date instead.

    Writes one Quote (status `queued`) with the capacity options to evaluate (none given: all
    available ones are evaluated). Enqueues `quoting.solve_quote` after commit; if the broker is
    down the quote stays `queued` with `enqueue_error` set and the sweeper sends it later.

    `customer_po`, the customer's purchase-order reference (optional, at most PO_MAX_LENGTH
    characters), goes onto the order the quote creates.

    With `date_request_id` (a customer's open request for another date) the quote is for that
    request's existing order: customer, product and quantity must be the order's; the quote
    re-promises the order when accepted, and is linked to the request, which its commit
    closes."""
    errors: dict[str, str] = {}
    date_request = _open_date_request(
        date_request_id, customer_id=customer_id, product_id=product_id, quantity=quantity
    )
    if not Customer.objects.filter(pk=customer_id).exists():
        errors["customer"] = "no such customer"
    if not Product.objects.filter(pk=product_id).exists():
        errors["product"] = "no such product"
    elif not RoutingStep.objects.filter(product_id=product_id).exists():
        errors["product"] = "this product has no routing to schedule"
    if quantity < 1:
        errors["quantity"] = "must be at least 1"
    customer_po = (customer_po or "").strip()
    if len(customer_po) > PO_MAX_LENGTH:
        errors["customer_po"] = f"at most {PO_MAX_LENGTH} characters"
    elif any(not ch.isprintable() for ch in customer_po):
        errors["customer_po"] = "letters, digits and punctuation only (no control characters)"
    if requested_due is not None and (problem := _promise_date_problem(requested_due)):
        errors["requested_due"] = problem
    options = list(CapacityOption.objects.filter(code__in=capacity_option_codes))
    unknown = sorted(set(capacity_option_codes) - {o.code for o in options})
    unavailable = sorted(o.code for o in options if o.status != CapacityOption.Status.AVAILABLE)
    if unknown or unavailable:
        errors["capacity_options"] = "; ".join(
            [f"unknown option {c}" for c in unknown]
            + [f"option {c} is not available" for c in unavailable]
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        quote = Quote.objects.create(
            customer_id=customer_id,
            product_id=product_id,
            quantity=quantity,
            requested_due=requested_due,
            promise_earliest=promise_earliest,
            customer_po=customer_po,
            created_by=created_by,
            repromise_order_id=date_request.order_id if date_request else None,
        )
        quote.requested_options.set(options)
        if date_request is not None:
            DateChangeRequest.objects.filter(pk=date_request.pk).update(quote=quote)
        enqueue_quote_solve(quote.pk)
    return quote


def _open_date_request(
    request_id: int | None, *, customer_id: int, product_id: int, quantity: int
) -> DateChangeRequest | None:
    if request_id is None:
        return None
    request = (
        DateChangeRequest.objects.select_related("order")
        .filter(pk=request_id, status=DateChangeRequest.Status.OPEN)
        .first()
    )
    if request is None:
        raise ValidationError({"date_request": "this customer request is already answered"})
    order = request.order
    if (order.customer_id, order.product_id, order.quantity) != (
        customer_id,
        product_id,
        quantity,
    ):
        raise ValidationError(
            {
                "date_request": f"a quote for {order.code}'s new date keeps its customer, "
                f"product and quantity ({order.quantity})"
            }
        )
    if order.status != Order.Status.OPEN or order.operations.exclude(state="planned").exists():
        raise ValidationError(
            {
                "date_request": f"{order.code} is already in production; only the scheduler "
                "can re-promise it"
            }
        )
    return request


def quote_cancel(*, quote_id: int) -> Quote:
    """Cancel a quote that is not answered yet.

    Writes: a `queued` quote becomes `cancelled` at once; a `solving` quote gets
    `cancel_requested`, which its worker reads within a fraction of a second, stops the engine
    and marks it `cancelled`. Raises QuotingConflict for an answered, failed or cancelled quote."""
    with transaction.atomic():
        if Quote.objects.filter(pk=quote_id, status=Quote.Status.QUEUED).update(
            status=Quote.Status.CANCELLED, cancel_requested=True
        ):
            return Quote.objects.get(pk=quote_id)
        if Quote.objects.filter(pk=quote_id, status=Quote.Status.SOLVING).update(
            cancel_requested=True
        ):
            return Quote.objects.get(pk=quote_id)
        quote = Quote.objects.get(pk=quote_id)
        raise QuotingConflict(f"quote {quote.request_id} is {quote.status}; nothing to cancel")


# --- accept ---------------------------------------------------------------------------------


def _commit_quote(
    quote: Quote,
    *,
    answer_doc: Any,
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
    answer = load_answer(answer_doc)
    _check_fresh(answer, quote.request_id)
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


def _record_commit(quote: Quote, result: CommitResult, user: User) -> Order:
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
            AuditEvent.objects.create(
                kind=kind, actor=user, quote_id=quote_id, reason=str(cause)[:500]
            )
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
            at_risk = bool((quote.answer or {}).get("at_risk"))
            if option is None and quote.moved_count == 0 and not at_risk:
                reason = f"Quote {quote.request_id} accepted: moves no other order"
                result = _commit_quote(
                    quote,
                    answer_doc=quote.answer,
                    expected_version_id=quote.schedule_version_id,
                    now=quote.board_now,  # type: ignore[arg-type]
                    kind=ScheduleVersion.Kind.QUOTE,
                    reason=reason,
                    user=accepted_by,
                )
                quote.save(
                    update_fields=["accepted_at", "improving", "accepted_by", "accepted_option"]
                )
                order = _record_commit(quote, result, accepted_by)
                AuditEvent.objects.create(
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
                _check_fresh(load_answer(quote.answer), quote.request_id)
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
    AuditEvent.objects.create(
        kind=AuditEvent.Kind.PROPOSAL_CREATED,
        actor=user,
        quote=quote,
        proposal=proposal,
        capacity_option=option,
        reason=f"Quote {quote.request_id} accepted; needs the scheduler's approval",
        detail={"moved": quote.moved_count},
    )
    return proposal


# --- approve / reject -----------------------------------------------------------------------


def replan_proposal_approve(*, proposal_id: int, approved_by: User) -> AcceptOutcome:
    """Commit a pending proposal: its schedule version (kind `replan`), the order and its
    promise (= the proposal's promise) and its capacity option (applied), in one transaction
    through `schedule_commit`, which locks the current version and verifies first.

    Also notifies the sales rep who made the quote (a Notification row).

    Raises QuotingConflict if the proposal is not pending; ProposalStale if the board changed
    since it was solved, the verifier rejects it on today's board, or its plan should already
    have started: nothing is committed now, the proposal goes to `resolving` with the approval
    recorded (`approval_requested_by`) and its re-solve is enqueued, which commits it when its
    promise is no later than the one the rep agreed to (else it goes back to the rep)."""
    try:
        with transaction.atomic():
            proposal = ReplanProposal.objects.select_for_update().get(pk=proposal_id)
            if proposal.status != ReplanProposal.Status.PENDING:
                raise QuotingConflict(f"proposal {proposal.pk} is {proposal.status}, not pending")
            quote = Quote.objects.select_for_update().get(pk=proposal.quote_id)
            return proposal_commit(proposal, quote, approved_by=approved_by)
    except (StaleSchedule, ScheduleRejected, PlanExpired) as exc:
        with transaction.atomic():
            # The approval stands for the re-solve on the current board (approving.py): it
            # commits there when its promise is no later than the agreed one, so an approval
            # is never lost to a board that keeps changing.
            if ReplanProposal.objects.filter(
                pk=proposal_id, status=ReplanProposal.Status.PENDING
            ).update(
                status=ReplanProposal.Status.RESOLVING,
                solve_task_id="",
                enqueued=False,
                approval_requested_by=approved_by,
                approval_requested_at=timezone.now(),
            ):
                AuditEvent.objects.create(
                    kind=AuditEvent.Kind.PROPOSAL_STALE,
                    actor=approved_by,
                    proposal_id=proposal_id,
                    quote_id=ReplanProposal.objects.get(pk=proposal_id).quote_id,
                    reason=str(exc)[:500],
                )
                enqueue_proposal_solve(proposal_id)
        raise ProposalStale(ReplanProposal.objects.get(pk=proposal_id), exc) from exc


def proposal_commit(
    proposal: ReplanProposal, quote: Quote, *, approved_by: User, reason_suffix: str = ""
) -> AcceptOutcome:
    """Commit `proposal` as it stands on its row (both rows locked by the caller, inside its
    transaction): the schedule version, the order and promise, the option applied, the
    decision, audit events and the rep's notification. Raises StaleSchedule /
    ScheduleRejected / PlanExpired with nothing written."""
    option = proposal.capacity_option
    reason = f"Replan for quote {quote.request_id} approved" + (
        f" with {option.code}" if option else ""
    )
    result = _commit_quote(
        quote,
        answer_doc=proposal.answer,
        expected_version_id=proposal.schedule_version_id,
        now=proposal.board_now,  # type: ignore[arg-type]
        kind=ScheduleVersion.Kind.REPLAN,
        reason=reason + reason_suffix,
        user=approved_by,
        options=[option.code] if option else [],
    )
    now = timezone.now()
    ReplanProposal.objects.filter(pk=proposal.pk).update(
        status=ReplanProposal.Status.APPROVED,
        decided_by=approved_by,
        decided_at=now,
        committed_version=result.version,
    )
    order = _record_commit(quote, result, approved_by)
    _repromises_after_repair(proposal)
    AuditEvent.objects.create(
        kind=AuditEvent.Kind.PROPOSAL_APPROVED,
        actor=approved_by,
        reason=(reason + reason_suffix)[:500],
        order=order,
        quote=quote,
        proposal=proposal,
        schedule_version=result.version,
        capacity_option=option,
        detail={"promise": result.promises[0].due.isoformat(), "diff": proposal.diff},
    )
    if option is not None:
        AuditEvent.objects.create(
            kind=AuditEvent.Kind.CAPACITY_APPLIED,
            actor=approved_by,
            reason=reason,
            order=order,
            quote=quote,
            proposal=proposal,
            schedule_version=result.version,
            capacity_option=option,
        )
    Notification.objects.create(
        recipient_id=quote.created_by_id,
        kind=Notification.Kind.PROPOSAL_APPROVED,
        text=f"{reason}: order {order.code} promised.",
        quote=quote,
        proposal=proposal,
    )
    proposal.refresh_from_db()
    return AcceptOutcome(quote=quote, order=order, promise=result.promises[0], proposal=proposal)


def repromise_due(projected: datetime, buffer_minutes: int) -> datetime:
    """The date a repaired plan keeps: its completion plus the order's buffer, on the hour."""
    keepable = projected + timedelta(minutes=buffer_minutes)
    hours = math.ceil(keepable.timestamp() / 3600)
    return datetime.fromtimestamp(hours * 3600, tz=keepable.tzinfo)


def _repromises_after_repair(proposal: ReplanProposal) -> None:
    """A committed proposal made against the repair of a disrupted board: a RepromiseProposal
    for each order it leaves finishing after its promise (as an approved repair lists them)."""
    answer = load_answer(proposal.answer)
    if not answer.at_risk:
        return
    ends: dict[str, datetime] = {}
    for row in answer.schedule:
        if row.order in answer.at_risk and (row.order not in ends or row.end > ends[row.order]):
            ends[row.order] = row.end
    for order in Order.objects.filter(code__in=list(ends)).order_by("code"):
        projected = ends[order.code]
        if projected <= order.promised_due - timedelta(minutes=order.buffer_minutes):
            continue  # late only on the old plan's terms; this one keeps its promise
        RepromiseProposal.objects.create(
            replan=proposal,
            order=order,
            old_due=order.promised_due,
            projected_completion=projected,
            new_due=repromise_due(projected, order.buffer_minutes),
        )


def replan_proposal_reject(*, proposal_id: int, rejected_by: User, reason: str) -> ReplanProposal:
    """Reject a proposal that is not committed. Writes the decision (who, when, why), an
    AuditEvent and a Notification for the sales rep who made the quote; a re-solve still
    running for it is discarded. Raises ValidationError without a reason, QuotingConflict if
    it was already approved or rejected."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "say why the proposal is rejected"})
    with transaction.atomic():
        open_states = [
            ReplanProposal.Status.PENDING,
            ReplanProposal.Status.AWAITING_REP,
            ReplanProposal.Status.RESOLVING,
            ReplanProposal.Status.STALE,
            ReplanProposal.Status.FAILED,
        ]
        if not ReplanProposal.objects.filter(pk=proposal_id, status__in=open_states).update(
            status=ReplanProposal.Status.REJECTED,
            decided_by=rejected_by,
            decided_at=timezone.now(),
            reject_reason=reason[:500],
            solve_task_id="",
        ):
            proposal = ReplanProposal.objects.get(pk=proposal_id)
            raise QuotingConflict(f"proposal {proposal.pk} is already {proposal.status}")
        proposal = ReplanProposal.objects.get(pk=proposal_id)
        AuditEvent.objects.create(
            kind=AuditEvent.Kind.PROPOSAL_REJECTED,
            actor=rejected_by,
            reason=reason[:500],
            quote_id=proposal.quote_id,
            proposal=proposal,
            capacity_option=proposal.capacity_option,
        )
        Notification.objects.create(
            recipient_id=proposal.quote.created_by_id,
            kind=Notification.Kind.PROPOSAL_REJECTED,
            text=f"Replan for quote {proposal.quote.request_id} rejected: {reason}"[:500],
            quote_id=proposal.quote_id,
            proposal=proposal,
        )
    return proposal


def replan_proposal_confirm_later(*, proposal_id: int, confirmed_by: User) -> ReplanProposal:
    """The rep agrees to the later promise a re-solve found (the customer accepts it): the
    proposal goes back to `pending` for the scheduler, and that promise becomes the one the
    rep agreed to (a later re-solve past it comes back to them again). Writes the proposal
    and an AuditEvent. Raises QuotingConflict unless the proposal awaits the rep."""
    with transaction.atomic():
        proposal = ReplanProposal.objects.select_for_update().get(pk=proposal_id)
        if proposal.status != ReplanProposal.Status.AWAITING_REP:
            raise QuotingConflict(
                f"proposal {proposal.pk} is {proposal.status}: nothing for the rep to confirm"
            )
        proposal.status = ReplanProposal.Status.PENDING
        proposal.rep_confirmed_promise = proposal.promise
        proposal.save(update_fields=["status", "rep_confirmed_promise"])
        AuditEvent.objects.create(
            kind=AuditEvent.Kind.LATER_PROMISE_CONFIRMED,
            actor=confirmed_by,
            reason=f"later promise {proposal.promise:%Y-%m-%d %H:%M} confirmed by the sales rep",
            quote_id=proposal.quote_id,
            proposal=proposal,
        )
    return proposal


# --- re-promise -----------------------------------------------------------------------------


def _current_schedule_answer(board: e.Board) -> e.Answer:
    """The current schedule, unchanged, as an answer the verifier can check."""
    return e.Answer(status="promised", schedule=board.schedule or ())


def _repair_board(board: e.Board, order_code: str, due: datetime) -> e.Board:
    """The board with the order at its new date and no 'already late' exemption for it."""
    orders = tuple(
        dataclasses.replace(o, due=due) if o.id == order_code else o for o in board.orders
    )
    schedule = tuple(r for r in board.schedule or () if r.order != order_code)
    return dataclasses.replace(board, orders=orders, schedule=schedule, request=None)


def order_repromise(*, order_id: int, due: datetime, reason: str, repromised_by: User) -> Promise:
    """Change an order's promise through an audited re-promise (scheduler only).

    First verifies the current schedule, unchanged, against the new date; if it does not keep
    it, asks the engine to repair the board (every other promise kept, this order by its new
    date) and commits that. Writes a new schedule version (kind `repromise`), a Promise row
    (kind `repromise`; the old rows stay) and an AuditEvent, all through `schedule_commit`.

    Raises ValidationError for bad input (a due date without a time zone, in the past or beyond
    PROMISE_HORIZON_DAYS), RepromiseInfeasible when no valid schedule keeps the
    new date, QuotingConflict if the board kept changing during the attempt."""
    errors: dict[str, str] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = "a re-promise needs a reason"
    if problem := _promise_date_problem(due):
        errors["due"] = problem
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        raise ValidationError({"order": "no such order"})
    if order.status not in (Order.Status.OPEN, Order.Status.IN_PROGRESS):
        errors["order"] = f"order {order.code} is {order.status}"
    if errors:
        raise ValidationError(errors)
    due = due.astimezone(UTC).replace(second=0, microsecond=0)
    spec = PromiseSpec(
        order_id=order.pk,
        due=due,
        buffer_minutes=order.buffer_minutes,
        kind=Promise.Kind.REPROMISE,
        reason=reason[:500],
    )
    last_error: Exception | None = None
    for _attempt in range(3):  # the board may change under us; each retry reads it again
        version = current_version()
        if version is None:
            raise QuotingConflict("there is no schedule yet")
        # The current plan as it stands, checked at the instant it was planned from.
        snapshot = board_snapshot(version=version, now=version.planned_at)
        unchanged = (version.planned_at, _current_schedule_answer(snapshot.board))
        try:
            return _repromise_commit(order, version, spec, unchanged, repromised_by)
        except StaleSchedule as exc:
            last_error = exc
            continue
        except ScheduleRejected:
            pass
        now = board_now()
        board = _repair_board(board_snapshot(version=version, now=now).board, order.code, due)
        repaired = engine.check(
            board, time_limit=settings.ENGINE_TIME_LIMIT, workers=settings.ENGINE_WORKERS, seed=0
        )
        if repaired.status != "promised":
            raise RepromiseInfeasible(
                {
                    "due": f"no schedule keeps every promise with {order.code} due "
                    f"{due:%Y-%m-%d %H:%M} UTC: {repaired.message or repaired.status}"
                }
            )
        try:
            return _repromise_commit(order, version, spec, (now, repaired), repromised_by)
        except StaleSchedule as exc:
            last_error = exc
            continue
        except ScheduleRejected as exc:
            raise RepromiseInfeasible({"due": str(exc)}) from exc
    raise QuotingConflict(f"the schedule kept changing; try again ({last_error})")


def _repromise_commit(
    order: Order,
    version: ScheduleVersion,
    spec: PromiseSpec,
    plan: tuple[datetime, e.Answer],
    user: User,
) -> Promise:
    now, answer = plan
    with transaction.atomic():
        result = schedule_commit(
            expected_version_id=version.pk,
            now=now,
            answer=answer,
            kind=ScheduleVersion.Kind.REPROMISE,
            reason=f"Re-promise {order.code}: {spec.reason}"[:500],
            created_by=user,
            promises=[spec],
        )
        promise = result.promises[0]
        AuditEvent.objects.create(
            kind=AuditEvent.Kind.REPROMISED,
            actor=user,
            reason=spec.reason,
            order=order,
            schedule_version=result.version,
            detail={
                "from": order.promised_due.isoformat(),
                "to": spec.due.isoformat(),
                "moved": len(answer.moved),
            },
        )
    return promise


# --- the customer's "can I have it earlier?" -----------------------------------------------


def quote_request_from_customer(
    *, order_id: int, requested_due: datetime, note: str, requested_by: User
) -> DateChangeRequest:
    """A customer asks for another date on one of its orders. Writes a DateChangeRequest (an
    open follow-up for sales, who may quote it) and an AuditEvent; never a promise. Raises
    ValidationError when the order is not one the user may see (`orders_visible_to`: a
    customer user only its own) or the date has no time zone, is past or beyond the
    horizon (PROMISE_HORIZON_DAYS)."""
    if problem := _promise_date_problem(requested_due):
        raise ValidationError({"requested_due": problem})
    if not orders_visible_to(requested_by).filter(pk=order_id).exists():
        raise ValidationError({"order": "no such order"})
    with transaction.atomic():
        request = DateChangeRequest.objects.create(
            order_id=order_id,
            requested_due=requested_due,
            note=(note or "")[:500],
            created_by=requested_by,
        )
        AuditEvent.objects.create(
            kind=AuditEvent.Kind.DATE_REQUESTED,
            actor=requested_by,
            order_id=order_id,
            reason=request.note,
            detail={"requested_due": requested_due.isoformat()},
        )
    return request


def date_change_request_close(
    *, request_id: int, closed_by: User, quote_id: int | None = None
) -> DateChangeRequest:
    """Sales closes a customer's date request, optionally linking the quote made for it."""
    with transaction.atomic():
        if not DateChangeRequest.objects.filter(
            pk=request_id, status=DateChangeRequest.Status.OPEN
        ).update(
            status=DateChangeRequest.Status.CLOSED,
            closed_by=closed_by,
            closed_at=timezone.now(),
            quote_id=quote_id,
        ):
            raise QuotingConflict("this date request is already closed")
    return DateChangeRequest.objects.get(pk=request_id)


# --- notifications --------------------------------------------------------------------------


def notifications_mark_read(*, user: User, notification_ids: list[int] | None = None) -> int:
    """Mark the user's unread notifications read (all of them, or the given ones); returns how
    many. Writes only `read_at` on the user's own rows."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    with transaction.atomic():
        return unread.update(read_at=timezone.now())
