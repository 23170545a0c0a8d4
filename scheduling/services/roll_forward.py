"""Rolling the job board forward: planned starts that passed without a report.

Nobody reported that an operation started, and its planned start is well behind us: the plan
is no longer the truth (the operation did not start then). Left alone, every quote would have
to move it to make its own plan valid and carry that repair as "moved operations" for the
scheduler to approve. A periodic task (`quoting.roll_forward`, Celery beat) calls
`schedule_roll_forward` instead, which re-validates the board exactly as a shop-floor event
does (`revalidation.board_revalidate`): the engine's check plans the overdue operations from now,
moving as little else as it can, and

- if every promise still holds, the result becomes the current version (kind "roll_forward")
  through `schedule_commit`, verified like any other; no promise changes;
- if rolling forward proves a promise unkeepable, the least-late projection is committed with
  those orders flagged at risk, or, when nothing verified can be committed, the version is
  marked as no longer fitting reality (`BoardDisruption`): the same disruption path as a
  breakdown (banner, at-risk everywhere, repair).

Only operations whose planned start passed more than `grace` ago are rolled: within the grace
a start is still expected to be reported (the board snapshot reads such an unreported first
operation as started at its planned time). While the current version is disrupted nothing is
rolled: the repair the scheduler runs plans from now anyway, and re-checking a broken board on
every beat would only supersede its disruption over and over.
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
