"""Reads of the quoting app, with the permission filtering in one place.

Sales reps see their own quotes; schedulers and managers see all; customers see none (they
never see quotes, only their orders). Proposals are for the scheduler and the manager, plus
the sales rep whose quote created them. An order's history is shown to shop staff in full and
to the order's own customer without internal decisions (who rejected what, why).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from orders.models import Order, Profile, Promise
from orders.selectors import BOARD_ROLES, STAFF_ROLES, orders_visible_to, role_of, within_days
from quoting.models import AuditEvent, DateChangeRequest, Notification, Quote, ReplanProposal
from scheduling.models import ScheduledOperation, ScheduleVersion

User = AbstractBaseUser | AnonymousUser

QUOTING_ROLES = frozenset({Profile.Role.SALES, Profile.Role.SCHEDULER})


def quotes_visible_to(user: User) -> QuerySet[Quote]:
    """Quotes the user may see, newest first: own for a sales rep, all for scheduler/manager."""
    role = role_of(user)
    quotes = (
        # Joined: what every quote has. Fetched apart: what most quotes being polled do not
        # have yet (no query when the key is empty). A nine-table join cost PostgreSQL ~7 ms
        # of planning per poll, more than the rest of the query.
        Quote.objects.select_related("customer", "product", "schedule_version", "created_by")
        .prefetch_related(
            "requested_options", "order", "committed_promise", "accepted_option", "proposal"
        )
        # The stored answer holds the whole schedule (~200 kB of JSON on a 1,000-operation
        # board); a rep's page polls the quote several times a second, so it is read only
        # where it is used.
        .defer("answer", "request_doc")
    )
    if role in BOARD_ROLES:
        return quotes
    if role == Profile.Role.SALES:
        return quotes.filter(created_by_id=user.pk)
    return Quote.objects.none()


def quotes_filtered(
    quotes: QuerySet[Quote],
    *,
    text: str = "",
    customer_id: int | None = None,
    state: str = "",
    asked_from: date | None = None,
    asked_to: date | None = None,
) -> QuerySet[Quote]:
    """Narrow a visible quote list (from `quotes_visible_to`) by the list page's filters.
    Dates are days in the current time zone, both ends included."""
    text = text.strip()
    if text:
        match = Q(customer__name__icontains=text) | Q(product__code__icontains=text)
        match |= Q(product__name__icontains=text) | Q(order__code__icontains=text)
        match |= Q(repromise_order__code__icontains=text)
        number = text.upper().removeprefix("Q-")
        if number.isdigit():
            match |= Q(pk=int(number))
        quotes = quotes.filter(match)
    if customer_id is not None:
        quotes = quotes.filter(customer_id=customer_id)
    states: dict[str, Q] = {
        "open": Q(status__in=[Quote.Status.QUEUED, Quote.Status.SOLVING]),
        "answered": Q(status=Quote.Status.DONE, answer_status="promised", accepted_at=None),
        "waiting": Q(
            proposal__status__in=[ReplanProposal.Status.PENDING, ReplanProposal.Status.RESOLVING]
        ),
        "committed": Q(committed_promise__isnull=False),
        "no_promise": Q(status=Quote.Status.DONE) & ~Q(answer_status="promised"),
        "rejected": Q(proposal__status=ReplanProposal.Status.REJECTED),
        "failed": Q(status=Quote.Status.FAILED),
        "cancelled": Q(status=Quote.Status.CANCELLED),
    }
    if state in states:
        quotes = quotes.filter(states[state])
    return quotes.filter(within_days("created_at", asked_from, asked_to))


def quote_state(quote: Quote, *, stale: bool = False) -> tuple[str, str]:
    """(pill colour, words) for what became of a quote: green only for an answer with a
    promise; an answer without one, a failure and a cancellation are not "Done"."""
    if quote.status == Quote.Status.FAILED:
        return "red", "Failed"
    if quote.status == Quote.Status.CANCELLED:
        return "grey", "Cancelled"
    if quote.status != Quote.Status.DONE:
        return "blue", quote.get_status_display()
    if quote.answer_status != "promised":
        return "red", "No promise possible"
    if quote.committed_promise_id is not None:
        return "green", "Committed"
    if quote.accepted_at is not None:
        try:
            proposal: ReplanProposal | None = quote.proposal  # prefetched by the list
        except ReplanProposal.DoesNotExist:
            proposal = None
        if proposal is None or proposal.status in (
            ReplanProposal.Status.PENDING,
            ReplanProposal.Status.RESOLVING,
        ):
            return "blue", "Waiting for the scheduler"
        if proposal.status == ReplanProposal.Status.REJECTED:
            return "red", "Rejected"
        return "red", "Not committed"  # stale or failed: no schedule on today's board
    if stale:
        return "yellow", "Out of date"
    return "green", "Answered"


def quote_is_stale(quote: Quote, current: ScheduleVersion | None) -> bool:
    """An answer not accepted yet that was solved on a schedule version that is no longer
    current: its promise and its moves describe a board that is gone."""
    return (
        quote.status == Quote.Status.DONE
        and quote.accepted_at is None
        and quote.schedule_version_id != (current.pk if current is not None else None)
    )


def notifications_for(user: User) -> QuerySet[Notification]:
    """The user's own notifications, newest first."""
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(recipient_id=user.pk).select_related(
        "quote__customer", "quote__product", "quote__committed_promise", "proposal"
    )


def notifications_unread_count(user: User) -> int:
    return notifications_for(user).filter(read_at__isnull=True).count()


def proposals_visible_to(user: User) -> QuerySet[ReplanProposal]:
    """Proposals: all for scheduler and manager, those of its own quotes for a sales rep."""
    role = role_of(user)
    proposals = ReplanProposal.objects.select_related(
        "quote__customer", "quote__product", "capacity_option", "schedule_version", "decided_by"
    )
    if role in BOARD_ROLES:
        return proposals
    if role == Profile.Role.SALES:
        return proposals.filter(quote__created_by_id=user.pk)
    return ReplanProposal.objects.none()


def proposals_pending() -> QuerySet[ReplanProposal]:
    """Proposals waiting for the scheduler (pending) or being re-solved, oldest first."""
    return (
        ReplanProposal.objects.filter(
            status__in=[ReplanProposal.Status.PENDING, ReplanProposal.Status.RESOLVING]
        )
        .select_related("quote__customer", "quote__product", "capacity_option")
        .order_by("created_at", "id")
    )


def date_requests_open() -> QuerySet[DateChangeRequest]:
    """Customers' open requests for another date, oldest first (a sales work list)."""
    return (
        DateChangeRequest.objects.filter(status=DateChangeRequest.Status.OPEN)
        .select_related("order__customer", "created_by")
        .order_by("created_at", "id")
    )


@dataclass(frozen=True)
class HistoryEntry:
    """One line of an order's history."""

    at: datetime
    kind: str  # "promise", "schedule" or an AuditEvent kind
    summary: str
    actor: str | None = None
    reason: str = ""
    schedule_version: int | None = None
    quote: str | None = None
    proposal: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def order_for_history(user: User, order_id: int) -> Order | None:
    """The order if the user may read its history (staff: any; customer: its own)."""
    return orders_visible_to(user).filter(pk=order_id).first()


def order_history(order: Order, *, internal: bool = True) -> list[HistoryEntry]:
    """Everything that happened to an order, oldest first: each promise (initial, re-promise;
    old ones stay), each schedule version that changed the order's operations, and the
    workflow decisions behind them (quote committed, proposal created/approved/rejected/stale,
    capacity applied, re-promise, customer date requests), with who, when, why and the quote.

    `internal=False` (for the order's customer) leaves out who did it and the internal
    decisions, keeping the promises, the schedule changes and the customer's own requests."""
    entries: list[HistoryEntry] = []
    quote = Quote.objects.filter(order=order).first()
    quote_label = quote.request_id if quote else None

    for promise in Promise.objects.filter(order=order).select_related(
        "created_by", "schedule_version"
    ):
        entries.append(
            HistoryEntry(
                at=promise.created_at,
                kind="promise",
                summary=f"{promise.get_kind_display()}: due {promise.due:%Y-%m-%d %H:%M} UTC",
                actor=_name(promise.created_by) if internal else None,
                reason=promise.reason if internal else "",
                schedule_version=promise.schedule_version.number,
                quote=quote_label if promise.kind == Promise.Kind.INITIAL else None,
                detail={"due": promise.due.isoformat(), "kind": promise.kind},
            )
        )

    entries.extend(_schedule_changes(order, internal=internal))

    events = AuditEvent.objects.filter(Q(order=order) | (Q(quote=quote) if quote else Q(pk=None)))
    if not internal:
        events = events.filter(kind=AuditEvent.Kind.DATE_REQUESTED)
    for event in events.select_related("actor", "schedule_version", "capacity_option", "quote"):
        detail = dict(event.detail)
        if event.capacity_option is not None:
            detail["capacity_option"] = event.capacity_option.code
        entries.append(
            HistoryEntry(
                at=event.at,
                kind=event.kind,
                summary=event.get_kind_display(),
                actor=_name(event.actor) if internal else None,
                reason=event.reason,
                schedule_version=event.schedule_version.number if event.schedule_version else None,
                quote=event.quote.request_id if event.quote else None,
                proposal=event.proposal_id,
                detail=detail,
            )
        )
    entries.sort(key=lambda entry: (entry.at, entry.kind))
    return entries


def _name(user: AbstractBaseUser | None) -> str | None:
    return user.get_username() if user is not None else None


def _schedule_changes(order: Order, *, internal: bool) -> list[HistoryEntry]:
    """Versions in which the order's slots differ from the previous version that had them."""
    rows = (
        ScheduledOperation.objects.filter(operation__order=order)
        .select_related("version__created_by", "work_center", "operation")
        .order_by("version__number", "operation__sequence")
    )
    by_version: dict[int, list[ScheduledOperation]] = {}
    for row in rows:
        by_version.setdefault(row.version.number, []).append(row)
    entries = []
    previous: dict[int, tuple[str, datetime, datetime]] = {}
    for number in sorted(by_version):
        slots = {
            row.operation.sequence: (row.work_center.code, row.start, row.end)
            for row in by_version[number]
        }
        changed = {seq: slot for seq, slot in slots.items() if previous.get(seq) != slot}
        if changed:
            version = by_version[number][0].version
            moved = [
                {
                    "operation": seq,
                    "work_center": wc,
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                    "from": previous[seq][1].isoformat() if seq in previous else None,
                }
                for seq, (wc, start, end) in sorted(changed.items())
            ]
            last_end = max(end for _, _, end in slots.values())
            entries.append(
                HistoryEntry(
                    at=version.created_at,
                    kind="schedule",
                    summary=f"Schedule v{number} ({version.get_kind_display()}): "
                    f"{len(changed)} operation(s) placed, ends {last_end:%Y-%m-%d %H:%M} UTC"
                    if internal
                    # The customer's words: no version numbers or planning vocabulary.
                    else f"Plan updated: {len(changed)} step(s) rescheduled, expected to finish "
                    f"{last_end:%Y-%m-%d %H:%M} UTC",
                    actor=_name(version.created_by) if internal else None,
                    reason=version.reason if internal else "",
                    schedule_version=number,
                    detail={"operations": moved, "projected_completion": last_end.isoformat()},
                )
            )
        previous.update(slots)
    return entries


def can_quote(user: User) -> bool:
    return role_of(user) in QUOTING_ROLES


def is_staff_role(user: User) -> bool:
    return role_of(user) in STAFF_ROLES
