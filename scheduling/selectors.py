"""Reads of the job board for the pages: the Gantt over a window and each order's buffer status.

`job_board_for` reads the schedule version's slots, the orders' projections and the calendars
(one query for the slots on a 1,000-operation board) and lays them out with the geometry in
`scheduling.gantt`; the shop floor's queue, the orders at risk and the board's health follow.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Max, Q
from django.utils import timezone

from orders.models import Operation, Order
from scheduling.boards import work_center_calendars
from scheduling.engine.calendars import calendar_windows, to_minute
from scheduling.gantt import (
    WINDOW_DAYS,
    Bar,
    BoardRow,
    JobBoard,
    assign_lanes,
    axis_ticks,
    bar_extent,
    downtime_shade,
    off_shift_shades,
    percent_of_window,
    window_bounds,
)

# scheduling/views.py draws a proposal on the board with this; it moved to scheduling.gantt and
# is re-exported until the views (moved in a separate change) import it from there.
from scheduling.models import (
    BoardDisruption,
    ScheduledOperation,
    ScheduleVersion,
    WorkCenter,
    WorkCenterDowntime,
)
from scheduling.selectors_disruption import (
    Disrupted,
    conflicting_slots,
    disrupted_outlooks,
    open_disruption,
)

# Buffer status. A valid plan finishes every order by its protected date (promise minus
# buffer), so any consumption of the buffer means reality (a breakdown, an overrun) got in the
# way: yellow from the first minute, red from two thirds (the usual buffer-management
# line for "act now") or when the promise itself is missed.
RED_FROM = 2 / 3


@dataclass(frozen=True)
class BufferStatus:
    """How much of an order's safety buffer its projected completion consumes.

    The buffer is the time between the planned completion target (promise minus buffer) and
    the promise. `consumed` is 0 when the projection finishes before the buffer starts, 1 at
    the promised date, more than 1 when the order is projected late."""

    color: str  # green / yellow / red; grey when nothing is left on the schedule
    consumed: float | None
    slack_minutes: int | None  # promise minus projected completion; negative = late
    label: str
    # Planned on a work center that is down (the current plan no longer holds for it).
    breakdown: bool = False

    @property
    def at_risk(self) -> bool:
        return self.color == "red"


def buffer_status(
    *, promised_due: datetime, buffer_minutes: int, projected_completion: datetime | None
) -> BufferStatus:
    if projected_completion is None:
        return BufferStatus("grey", None, None, "Not scheduled")
    slack = int((promised_due - projected_completion).total_seconds() // 60)
    buffer = max(buffer_minutes, 1)
    consumed = max(0.0, (buffer - slack) / buffer)
    if slack < 0:
        return BufferStatus("red", consumed, slack, "Late")
    if consumed >= RED_FROM:
        return BufferStatus("red", consumed, slack, "At risk")
    if consumed > 0:
        return BufferStatus("yellow", consumed, slack, "Eating buffer")
    return BufferStatus("green", consumed, slack, "On track")


def protected_slack(status: BufferStatus, buffer_minutes: int) -> int | None:
    """The order's slack in the scheduler's sense (the job board, a proposal's diff): minutes
    from its projected completion to its protected date (promise minus safety buffer), where
    `status.slack_minutes` runs to the promise itself (a customer's margin)."""
    return None if status.slack_minutes is None else status.slack_minutes - buffer_minutes


def outlook_status(
    *,
    promised_due: datetime,
    buffer_minutes: int,
    projected_completion: datetime | None,
    disrupted: Disrupted | None,
) -> BufferStatus:
    """An order's buffer status, honest about a disrupted board: with `disrupted` (the current
    version no longer fits reality) the completion is the engine's least-late projection, not
    the stale plan's; unknown when the engine gave none, which is never "on track"."""
    if disrupted is None:
        return buffer_status(
            promised_due=promised_due,
            buffer_minutes=buffer_minutes,
            projected_completion=projected_completion,
        )
    if disrupted.projected_completion is None:
        return BufferStatus(
            "red", None, None, "At risk: completion unknown", breakdown=disrupted.conflict
        )
    status = buffer_status(
        promised_due=promised_due,
        buffer_minutes=buffer_minutes,
        projected_completion=disrupted.projected_completion,
    )
    if disrupted.late and status.color != "red":
        return BufferStatus(
            "red", status.consumed, status.slack_minutes, "Late", breakdown=disrupted.conflict
        )
    if disrupted.conflict and status.color == "green":
        # Planned on a machine that is down: only a replan the scheduler has not approved yet
        # keeps it on time.
        return BufferStatus(
            "yellow", status.consumed, status.slack_minutes, "Hit by a breakdown", breakdown=True
        )
    return dataclasses.replace(status, breakdown=disrupted.conflict)


def projected_completions(
    *, version: ScheduleVersion | None, order_ids: list[int] | None = None
) -> dict[int, datetime]:
    """Order id -> end of its last operation on `version`."""
    if version is None:
        return {}
    rows = ScheduledOperation.objects.filter(version=version)
    if order_ids is not None:
        rows = rows.filter(operation__order_id__in=order_ids)
    return {
        row["operation__order_id"]: row["last"]
        for row in rows.values("operation__order_id").annotate(last=Max("end"))
    }


# ---------------------------------------------------------------------------------------------
# The Gantt's reads (its geometry is scheduling.gantt)


def working_windows(
    *, work_centers: list[WorkCenter], start: datetime, end: datetime
) -> dict[str, list[tuple[datetime, datetime]]]:
    """Work center code -> its working windows within [start, end), as the engine sees them
    (weekly shifts in the calendar's zone, holidays, applied capacity options, downtime)."""
    calendars, calendar_of = work_center_calendars(work_centers)
    by_id = {c.id: c for c in calendars}
    horizon = to_minute(end, start)
    return {
        wc.code: [
            (start + timedelta(minutes=a), start + timedelta(minutes=b))
            for a, b in calendar_windows(by_id[calendar_of[wc.pk]], start, 0, horizon)
        ]
        for wc in work_centers
    }


# One row per bar, as plain tuples: a 1,000-operation board would otherwise build 5,000 model
# instances per request (slot, operation, order, customer, work center).
_SLOT_FIELDS = (
    "start",
    "end",
    "work_center__code",
    "operation_id",
    "operation__sequence",
    "operation__name",
    "operation__state",
    "operation__order_id",
    "operation__order__code",
    "operation__order__promised_due",
    "operation__order__buffer_minutes",
    "operation__order__customer__name",
)


def _slots(version: ScheduleVersion, start: datetime, end: datetime) -> list[tuple[Any, ...]]:
    return list(
        ScheduledOperation.objects.filter(version=version, end__gt=start, start__lt=end)
        .order_by("start")
        .values_list(*_SLOT_FIELDS)
    )


def job_board_for(
    *,
    window: str = "week",
    start: datetime | None = None,
    version: ScheduleVersion | None = None,
) -> JobBoard:
    """The current schedule (or `version`) over a day / week window, ready to draw."""
    window, start, end = window_bounds(window, start)
    span = (end - start).total_seconds()
    if version is None:
        version = ScheduleVersion.objects.filter(is_current=True).first()

    work_centers = list(WorkCenter.objects.select_related("calendar").order_by("code"))
    rows = {wc.code: BoardRow(wc.code, wc.name, wc.capacity) for wc in work_centers}

    # Off-shift shading from the same calendars the engine plans with.
    working = working_windows(work_centers=work_centers, start=start, end=end)
    for wc in work_centers:
        rows[wc.code].shades.extend(off_shift_shades(working[wc.code], start, end))
    for down in WorkCenterDowntime.objects.filter(end__gt=start, start__lt=end).select_related(
        "work_center"
    ):
        rows[down.work_center.code].shades.append(
            downtime_shade(down.start, down.end, down.reason, start, end)
        )

    bars: list[Bar] = []
    counts: dict[str, int] = defaultdict(int)
    if version is not None:
        slots = _slots(version, start, end)
        order_ids = list({row[7] for row in slots})
        projection = projected_completions(version=version, order_ids=order_ids)
        disruption = open_disruption(version)
        disrupted = disrupted_outlooks(disruption=disruption, order_ids=order_ids)
        # Only a version that no longer fits reality has conflicts: one verified after the
        # downtime was recorded plans around it (a running operation is paused across it).
        conflicts = (
            {slot.operation_id for slot in conflicting_slots(version=version)}
            if disruption is not None
            else set()
        )
        statuses: dict[int, BufferStatus] = {}
        for (
            slot_start,
            slot_end,
            wc_code,
            operation_id,
            sequence,
            name,
            state,
            order_id,
            order_code,
            promised_due,
            buffer_minutes,
            customer,
        ) in slots:
            status = statuses.get(order_id)
            if status is None:
                status = statuses[order_id] = outlook_status(
                    promised_due=promised_due,
                    buffer_minutes=buffer_minutes,
                    projected_completion=projection.get(order_id),
                    disrupted=disrupted.get(order_id),
                )
                counts[status.color] += 1
            left, width = bar_extent(slot_start, slot_end, start, end)
            bar = Bar(
                pk=operation_id,
                order_code=order_code,
                sequence=str(sequence),
                customer=customer,
                operation=f"{sequence} {name}",
                work_center=wc_code,
                start=slot_start,
                end=slot_end,
                left=left,
                width=width,
                color=status.color,
                state=state,
                promise=promised_due,
                slack_minutes=protected_slack(status, buffer_minutes),
                status_label=status.label,
            )
            if operation_id in conflicts:
                # Never drawn as fine: the plan puts it where the work center is down.
                bar.css = "conflict"
                bar.note = "planned while its work center is down: this plan no longer holds"
            bars.append(bar)
            rows[bar.work_center].bars.append(bar)
    for row in rows.values():
        row.lanes = assign_lanes(row.bars)

    now = timezone.now()
    return JobBoard(
        version=version,
        start=start,
        end=end,
        window=window,
        rows=list(rows.values()),
        ticks=axis_ticks(start, end, window),
        now_left=percent_of_window(now, start, span) if start <= now < end else None,
        operation_count=len(bars),
        status_counts=dict(counts),
        previous_start=start - timedelta(days=WINDOW_DAYS[window]),
        next_start=end,
    )


# ---------------------------------------------------------------------------------------------
# Shop floor


@dataclass(frozen=True)
class FloorOperation:
    operation: Operation
    slot: ScheduledOperation | None
    buffer: BufferStatus


def shop_floor_queue(
    *, now: datetime | None = None, hours: int = 48, work_center: str | None = None
) -> list[FloorOperation]:
    """Operations running now, then those planned to start within `hours` on the current
    schedule, earliest first: what the floor will report on next. With `work_center` (a code),
    only that work center's: planned there, or running there."""
    now = now or timezone.now()
    version = ScheduleVersion.objects.filter(is_current=True).first()
    if version is None:
        return []
    slots_query = ScheduledOperation.objects.filter(version=version)
    if work_center:
        slots_query = slots_query.filter(
            Q(operation__state=Operation.State.RUNNING, operation__work_center__code=work_center)
            | Q(operation__state=Operation.State.PLANNED, work_center__code=work_center)
        )
    slots = list(
        slots_query.filter(_running_or_starting_before(now + timedelta(hours=hours)))
        .select_related("operation__order__customer", "operation__work_center", "work_center")
        .prefetch_related("operation__work_centers")
        .order_by("start")
    )
    order_ids = list({s.operation.order_id for s in slots})
    projection = projected_completions(version=version, order_ids=order_ids)
    disrupted = disrupted_outlooks(disruption=open_disruption(version), order_ids=order_ids)
    rows = []
    for slot in slots:
        order = slot.operation.order
        rows.append(
            FloorOperation(
                slot.operation,
                slot,
                outlook_status(
                    promised_due=order.promised_due,
                    buffer_minutes=order.buffer_minutes,
                    projected_completion=projection.get(order.id),
                    disrupted=disrupted.get(order.id),
                ),
            )
        )
    rows.sort(
        key=lambda r: (
            r.operation.state != Operation.State.RUNNING,
            r.slot.start if r.slot else now,
        )
    )
    return rows


def _running_or_starting_before(until: datetime) -> Q:
    """Running now, or planned to start before `until` (a planned slot in the past is late
    news the floor must report too)."""
    return Q(operation__state=Operation.State.RUNNING) | Q(
        operation__state=Operation.State.PLANNED, start__lt=until
    )


@dataclass(frozen=True)
class OrderAtRisk:
    order: Order
    projected_completion: datetime | None  # from the projection while the board is disrupted
    buffer: BufferStatus


def orders_at_risk(*, order_ids: list[int] | None = None) -> list[OrderAtRisk]:
    """Open orders whose projected completion eats into their buffer (or misses the promise),
    or that the current version records as put at risk by a shop-floor event, worst first
    (unknown completions first of all). While the current version is disrupted the projection
    is the engine's least-late one, never the stale plan."""
    version = ScheduleVersion.objects.filter(is_current=True).first()
    flagged = set(version.at_risk or []) if version is not None else set()
    orders = Order.objects.filter(
        status__in=[Order.Status.OPEN, Order.Status.IN_PROGRESS]
    ).select_related("customer", "product")
    if order_ids is not None:
        orders = orders.filter(pk__in=order_ids)
    orders_list = list(orders)
    scope = [o.pk for o in orders_list] if order_ids is not None else None
    projection = projected_completions(version=version, order_ids=scope)
    disrupted = disrupted_outlooks(
        disruption=open_disruption(version) if version else None, order_ids=scope
    )
    result = []
    for order in orders_list:
        outlook = disrupted.get(order.pk)
        completion = outlook.projected_completion if outlook else projection.get(order.pk)
        status = outlook_status(
            promised_due=order.promised_due,
            buffer_minutes=order.buffer_minutes,
            projected_completion=projection.get(order.pk),
            disrupted=outlook,
        )
        if status.color in ("yellow", "red") or order.code in flagged:
            result.append(OrderAtRisk(order, completion, status))
    result.sort(
        key=lambda r: r.buffer.slack_minutes if r.buffer.slack_minutes is not None else -(10**9)
    )
    return result


@dataclass(frozen=True)
class BoardHealth:
    """What every scheduler and manager page says first: does the plan still hold?"""

    version: ScheduleVersion | None
    disruption: BoardDisruption | None  # open: the current version no longer fits reality
    at_risk: list[OrderAtRisk]

    @property
    def broken(self) -> bool:
        return self.disruption is not None

    @property
    def late(self) -> list[OrderAtRisk]:
        return [r for r in self.at_risk if r.buffer.color == "red"]


def board_health() -> BoardHealth:
    version = ScheduleVersion.objects.filter(is_current=True).first()
    return BoardHealth(
        version=version,
        disruption=open_disruption(version) if version is not None else None,
        at_risk=orders_at_risk(),
    )
