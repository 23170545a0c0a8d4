"""Recording that the current schedule version no longer fits reality.

Called by the shop-floor services inside their transaction (the current version's row is
locked) when the engine's check found no schedule keeping every promise that could become
current. Nothing here commits a schedule: it writes what the pages need to stop showing the
stale plan as the truth (see `scheduling.models.BoardDisruption`).
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.utils import timezone

from orders.models import Order
from scheduling.engine.model import Answer
from scheduling.models import BoardDisruption, DisruptedOrder, ScheduleVersion
from scheduling.selectors_disruption import conflicting_order_ids


def board_disruption_record(
    *,
    version: ScheduleVersion,
    answer: Answer,
    event: str,
    user: User | None,
    message: str = "",
) -> BoardDisruption:
    """Record that `version` (current, locked by the caller) no longer fits reality.

    Writes: closes the version's open disruption (a later event supersedes it), a new
    BoardDisruption with the engine's status and words, and one DisruptedOrder per open order
    the answer or the board names: with a least-late projection (`answer.projection`), every
    open order it schedules, with its projected completion and whether that misses its
    promise; without one, the orders the answer names (at fault, or late in its message) and
    the orders with an operation planned across a downtime, their completion unknown.
    Enqueues nothing. The caller runs inside `transaction.atomic` (it holds the version's
    lock)."""
    now = timezone.now()
    BoardDisruption.objects.filter(version=version, closed_at__isnull=True).update(closed_at=now)
    disruption = BoardDisruption.objects.create(
        version=version,
        event=event[:500],
        created_by=user,
        answer_status=answer.status,
        message=message or answer.message,
        has_projection=bool(answer.projection),
    )
    open_orders = {
        o.code: o
        for o in Order.objects.filter(status__in=[Order.Status.OPEN, Order.Status.IN_PROGRESS])
    }
    conflicts = conflicting_order_ids(version=version)
    # Proven late ("infeasible": at fault) or late in the best attempt found (at risk).
    at_fault = set(answer.at_fault) | set(answer.at_risk)
    completions: dict[str, datetime] = {}
    for row in answer.projection:
        if row.order not in completions or row.end > completions[row.order]:
            completions[row.order] = row.end
    if answer.projection:
        named = set(completions)
    else:
        named = at_fault | {code for code, o in open_orders.items() if o.pk in conflicts}
    DisruptedOrder.objects.bulk_create(
        DisruptedOrder(
            disruption=disruption,
            order=order,
            projected_completion=completions.get(code),
            late=code in at_fault
            or (code in completions and completions[code] > order.promised_due),
            conflict=order.pk in conflicts,
        )
        for code in sorted(named)
        if (order := open_orders.get(code)) is not None
    )
    return disruption
