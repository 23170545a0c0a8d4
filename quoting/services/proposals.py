"""The scheduler's decisions on a replan proposal: approve (commit), reject, and the rep's
confirmation of a later promise found by a re-solve."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from orders.models import Order
from quoting.models import (
    AuditEvent,
    Notification,
    Quote,
    ReplanProposal,
    RepromiseProposal,
)
from quoting.services.accepting import (
    AcceptOutcome,
    commit_quote,
    record_commit,
)
from quoting.services.audit import audit_event_record
from quoting.services.conflicts import (
    PlanExpired,
    ProposalStale,
    QuotingConflict,
)
from quoting.services.enqueue import enqueue_proposal_solve
from quoting.services.repromise import repromise_due
from scheduling.models import ScheduleVersion
from scheduling.services import (
    ScheduleRejected,
    StaleSchedule,
)


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
                audit_event_record(
                    kind=AuditEvent.Kind.PROPOSAL_STALE,
                    actor=approved_by,
                    proposal=proposal_id,
                    quote=ReplanProposal.objects.get(pk=proposal_id).quote_id,
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
    result = commit_quote(
        quote,
        answer=proposal.engine_answer(),
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
    order = record_commit(quote, result, approved_by)
    _repromises_after_repair(proposal)
    audit_event_record(
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
        audit_event_record(
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


def _repromises_after_repair(proposal: ReplanProposal) -> None:
    """A committed proposal made against the repair of a disrupted board: a RepromiseProposal
    for each order it leaves finishing after its promise (as an approved repair lists them)."""
    answer = proposal.engine_answer()
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
        audit_event_record(
            kind=AuditEvent.Kind.PROPOSAL_REJECTED,
            actor=rejected_by,
            reason=reason[:500],
            quote=proposal.quote_id,
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
        audit_event_record(
            kind=AuditEvent.Kind.LATER_PROMISE_CONFIRMED,
            actor=confirmed_by,
            reason=f"later promise {proposal.promise:%Y-%m-%d %H:%M} confirmed by the sales rep",
            quote=proposal.quote_id,
            proposal=proposal,
        )
    return proposal
