"""Rolling the job board forward: planned starts that passed without a report.

Left alone, an operation whose planned start passed unreported would make every quote carry
its repair as "moved operations". `schedule_roll_forward` (Celery beat, `quoting.roll_forward`)
re-validates the board like a shop-floor event instead (`revalidation.board_revalidate`). What
it commits, the grace and why a disrupted board is left alone: docs/import-export.md ("Rolling
forward").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from orders.models import Operation, Order
from scheduling.boards import board_now
from scheduling.models import ScheduledOperation, ScheduleVersion
from scheduling.selectors_disruption import open_disruption
from scheduling.services.revalidation import ShopFloorResult, board_lock, board_revalidate

# How many overdue operations the version's reason names before "and N more".
NAMED_IN_REASON = 8


@dataclass(frozen=True)
class RollForward:
    """What a roll forward found and did."""

    overdue: tuple[str, ...]  # "ORDER/operation" whose planned start passed beyond the grace
    result: ShopFloorResult | None  # None when nothing was rolled
    skipped: str = ""  # why nothing was rolled, when something was overdue


def overdue_slots(
    *, version: ScheduleVersion, now: datetime, grace: timedelta
) -> list[ScheduledOperation]:
    """Slots of `version` for planned (unreported) operations of open orders whose planned
    start is more than `grace` before `now`."""
    return list(
        ScheduledOperation.objects.filter(
            version=version,
            start__lt=now - grace,
            operation__state=Operation.State.PLANNED,
            operation__order__status__in=[Order.Status.OPEN, Order.Status.IN_PROGRESS],
        )
        .select_related("operation__order")
        .order_by("start", "operation__order__code", "operation__sequence")
    )


def schedule_roll_forward(*, grace: timedelta) -> RollForward:
    """Move the current version's operations whose planned start passed more than `grace` ago
    without a report to now, keeping every promise (see the module docstring).

    Writes, when something is overdue and the version is not disrupted, what a shop-floor event
    writes: a new current version of kind "roll_forward" (no promise row, no promise changed),
    or, when rolling forward breaks a promise, the least-late projection with the orders at
    risk, or a BoardDisruption of the current version. Writes nothing otherwise. Enqueues
    nothing. Holds the current version's row lock for the check, like a shop-floor event."""
    with transaction.atomic():
        current = board_lock()
        if current is None:
            return RollForward(overdue=(), result=None)
        slots = overdue_slots(version=current, now=board_now(), grace=grace)
        overdue = tuple(f"{slot.operation.order.code}/{slot.operation.sequence}" for slot in slots)
        if not overdue:
            return RollForward(overdue=(), result=None)
        if open_disruption(current) is not None:
            return RollForward(
                overdue=overdue,
                result=None,
                skipped="the current version is disrupted: the repair plans from now",
            )
        named = ", ".join(overdue[:NAMED_IN_REASON])
        if len(overdue) > NAMED_IN_REASON:
            named += f" and {len(overdue) - NAMED_IN_REASON} more"
        minutes = int(grace.total_seconds() // 60)
        reason = (
            f"Rolled forward: {len(overdue)} operation(s) not reported started more than "
            f"{minutes} min after their planned start ({named})"
        )
        result = board_revalidate(
            current=current,
            user=None,
            reason=reason,
            kind=ScheduleVersion.Kind.ROLL_FORWARD,
        )
        return RollForward(overdue=overdue, result=result)
