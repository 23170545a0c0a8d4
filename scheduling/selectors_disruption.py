"""Reads of a disrupted board: whether the current version still fits reality, and each
order's outlook from the engine's least-late projection when it does not.

Model reads only; the buffer colours built on them live in `scheduling.selectors`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef

from scheduling.models import (
    BoardDisruption,
    DisruptedOrder,
    ScheduledOperation,
    ScheduleVersion,
    WorkCenterDowntime,
)


@dataclass(frozen=True)
class Disrupted:
    """An order's outlook while the current version does not fit reality."""

    projected_completion: datetime | None  # None: the engine gave no projection
    late: bool
    conflict: bool  # an operation of it is planned across a downtime


def conflicting_slots(*, version: ScheduleVersion) -> list[ScheduledOperation]:
    """Slots of `version` (planned or running) that overlap a downtime of their work center:
    operations the plan shows on a machine that is down."""
    down = WorkCenterDowntime.objects.filter(
        work_center=OuterRef("work_center"), start__lt=OuterRef("end"), end__gt=OuterRef("start")
    )
    return list(
        ScheduledOperation.objects.filter(
            version=version, operation__state__in=["planned", "running"]
        )
        .filter(Exists(down))
        .select_related("operation")
    )


def conflicting_order_ids(*, version: ScheduleVersion) -> set[int]:
    return {slot.operation.order_id for slot in conflicting_slots(version=version)}


def open_disruption(version: ScheduleVersion | None = None) -> BoardDisruption | None:
    """The open disruption of the current version (or `version`), if reality broke it."""
    rows = BoardDisruption.objects.filter(closed_at__isnull=True)
    rows = (
        rows.filter(version=version)
        if version is not None
        else rows.filter(version__is_current=True)
    )
    return rows.select_related("version", "created_by").first()


def disrupted_outlooks(
    *, disruption: BoardDisruption | None, order_ids: list[int] | None = None
) -> dict[int, Disrupted]:
    """Order id -> its outlook under `disruption` (empty without one)."""
    if disruption is None:
        return {}
    rows = DisruptedOrder.objects.filter(disruption=disruption)
    if order_ids is not None:
        rows = rows.filter(order_id__in=order_ids)
    return {
        row.order_id: Disrupted(row.projected_completion, row.late, row.conflict) for row in rows
    }
