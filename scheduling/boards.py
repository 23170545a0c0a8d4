"""Adapter between the ORM and the engine: the database's job board as an engine `Board`.

Engine identifiers are the shop's codes: an order's id is `Order.code`, an operation's id is its
routing sequence as text ("10", "20"), work centers and calendars use their codes. A work center
whose working time differs from its calendar (an applied capacity option, a recorded downtime)
gets a calendar of its own, `<calendar code>@<work center code>`, so the engine sees exactly the
time the shop has.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from orders.models import Operation as OperationRow
from orders.models import Order as OrderRow
from scheduling import engine
from scheduling.engine import model as engine_model
from scheduling.instants import minute_ceil, minute_floor
from scheduling.models import (
    CalendarException,
    CapacityOption,
    CapacityOptionWindow,
    ScheduledOperation,
    ScheduleVersion,
    WorkCenter,
    WorkCenterDowntime,
)
from scheduling.selectors_disruption import open_disruption

# An operation planned to start at most this long ago whose start nobody has reported yet is
# taken as started on time (the report is on its way): a plan stays a plan for the minutes
# between a planned start and the shop floor's click. Older unreported starts are the roll
# forward's business; a committed plan whose new or moved work should have started longer ago
# than this is re-solved rather than committed (quoting.services.accepting.check_fresh).
PLAN_START_GRACE = timedelta(minutes=15)


def board_now() -> datetime:
    """'Now' for a new board: the current minute, rounded up so nothing is planned in the past."""
    return minute_ceil(timezone.now())


def _clock_minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def weekly_to_engine(weekly: dict[str, list[list[str]]]) -> tuple[tuple[tuple[int, int], ...], ...]:
    return tuple(
        tuple((_clock_minutes(a), _clock_minutes(b)) for a, b in weekly.get(day, []))
        for day in engine_model.WEEKDAYS
    )


def weekly_from_engine(
    weekly: tuple[tuple[tuple[int, int], ...], ...],
) -> dict[str, list[list[str]]]:
    def clock(minutes: int) -> str:
        return "24:00" if minutes == 1440 else time(minutes // 60, minutes % 60).strftime("%H:%M")

    return {
        day: [[clock(a), clock(b)] for a, b in windows]
        for day, windows in zip(engine_model.WEEKDAYS, weekly, strict=True)
    }


@dataclass(frozen=True)
class BoardSnapshot:
    """An engine board plus what is needed to map the engine's answer back to rows."""

    board: engine_model.Board
    version: ScheduleVersion | None
    # (order code, operation id) -> orders.Operation primary key
    operation_pks: dict[tuple[str, str], int] = field(default_factory=dict)
    work_center_pks: dict[str, int] = field(default_factory=dict)
    option_pks: dict[str, int] = field(default_factory=dict)
    # The version no longer fits reality (an open BoardDisruption): quotes are made against
    # the engine's repair of it (engine.quote(..., against_repair=True)).
    disrupted: bool = False


def current_version() -> ScheduleVersion | None:
    return ScheduleVersion.objects.filter(is_current=True).first()


def work_center_calendars(
    work_centers: list[WorkCenter],
) -> tuple[tuple[engine_model.Calendar, ...], dict[int, str]]:
    """Engine calendars, and the calendar id each work center uses."""
    exceptions: dict[int, list[CalendarException]] = defaultdict(list)
    calendar_ids = {wc.calendar_id for wc in work_centers}
    for exc in CalendarException.objects.filter(calendar_id__in=calendar_ids).order_by("start"):
        exceptions[exc.calendar_id].append(exc)
    applied: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for window in CapacityOptionWindow.objects.filter(
        option__status=CapacityOption.Status.APPLIED
    ).select_related("option"):
        applied[window.option.work_center_id].append(
            (minute_floor(window.start), minute_floor(window.end))
        )
    down: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for downtime in WorkCenterDowntime.objects.all():
        down[downtime.work_center_id].append(
            (minute_floor(downtime.start), minute_floor(downtime.end))
        )

    calendars: dict[str, engine_model.Calendar] = {}
    uses: dict[int, str] = {}
    for wc in work_centers:
        cal = wc.calendar
        closed = tuple(
            (minute_floor(x.start), minute_floor(x.end))
            for x in exceptions[cal.pk]
            if x.kind == CalendarException.Kind.CLOSED
        )
        extra = tuple(
            (minute_floor(x.start), minute_floor(x.end))
            for x in exceptions[cal.pk]
            if x.kind == CalendarException.Kind.EXTRA
        )
        calendar_id = cal.code
        if applied[wc.pk] or down[wc.pk]:
            calendar_id = f"{cal.code}@{wc.code}"
            closed = tuple(sorted(closed + tuple(down[wc.pk])))
            extra = tuple(sorted(extra + tuple(applied[wc.pk])))
        uses[wc.pk] = calendar_id
        calendars.setdefault(
            calendar_id,
            engine_model.Calendar(
                id=calendar_id,
                timezone=cal.timezone,
                weekly=weekly_to_engine(cal.weekly),
                closed=closed,
                extra=extra,
            ),
        )
    return tuple(sorted(calendars.values(), key=lambda c: c.id)), uses


def _operation(
    sequence: int,
    minutes: int,
    state: str,
    actual_start: datetime | None,
    work_center_id: int | None,
    allowed: list[str],
    work_center_codes: dict[int, str],
) -> engine_model.Operation:
    if state == OperationRow.State.PLANNED:
        return engine_model.Operation(
            id=str(sequence), work_centers=tuple(allowed), minutes=minutes
        )
    if state == OperationRow.State.RUNNING:
        # The DB constraint: a running operation has both.
        assert actual_start is not None and work_center_id is not None
    # A done operation may have no recorded history (imported from a board that said only
    # "done"); the engine needs none for it.
    return engine_model.Operation(
        id=str(sequence),
        work_centers=tuple(allowed),
        minutes=minutes,
        state=state,  # type: ignore[arg-type]
        start=minute_floor(actual_start) if actual_start is not None else None,
        work_center=work_center_codes[work_center_id] if work_center_id is not None else None,
    )


def board_snapshot(
    *,
    version: ScheduleVersion | None = None,
    now: datetime | None = None,
    request: engine_model.Request | None = None,
    include_options: bool = True,
    assume_started: bool = True,
) -> BoardSnapshot:
    """The open orders on `version` (default: the current one) as an engine board.

    `now` defaults to the current minute. Orders done or cancelled are left out; their done
    operations are history. Available capacity options are offered to the engine.

    With `assume_started` (the default; exports of the database's own words turn it off), an
    order's first open operation that `version` plans to start within PLAN_START_GRACE before
    `now`, and that nobody has reported started, is given to the engine as running from its
    planned start on its planned work center: without it, every tightly promised order whose
    work was due to start a minute ago would read as late, and every quote would fail."""
    if version is None:
        version = current_version()
    if now is None:
        now = board_now()
    work_centers = list(WorkCenter.objects.select_related("calendar").order_by("code"))
    work_center_codes = {wc.pk: wc.code for wc in work_centers}
    calendars, calendar_of = work_center_calendars(work_centers)

    # Plain value rows, not model instances: on a 1,000-operation board instantiating the
    # orders, operations and slots took ~0.4 s of every quote (the engine itself needs less).
    open_orders = OrderRow.objects.filter(
        status__in=[OrderRow.Status.OPEN, OrderRow.Status.IN_PROGRESS]
    )
    order_rows = list(
        open_orders.order_by("code").values_list(
            "pk", "code", "promised_due", "buffer_minutes", "release"
        )
    )
    allowed_of: dict[int, list[str]] = defaultdict(list)
    through = OperationRow.work_centers.through
    for operation_id, work_center_id in through.objects.filter(
        operation__order__in=open_orders
    ).values_list("operation_id", "workcenter_id"):
        allowed_of[operation_id].append(work_center_codes[work_center_id])
    operations_of: dict[int, list[tuple]] = defaultdict(list)
    for values in (
        OperationRow.objects.filter(order__in=open_orders)
        .order_by("order_id", "sequence")
        .values_list(
            "order_id", "pk", "sequence", "minutes", "state", "actual_start", "work_center_id"
        )
    ):
        operations_of[values[0]].append(values[1:])
    operation_pks: dict[tuple[str, str], int] = {}
    engine_orders: list[engine_model.Order] = []
    for order_pk, code, promised_due, buffer_minutes, release in order_rows:
        operations = []
        for pk, sequence, minutes, state, actual_start, work_center_id in operations_of[order_pk]:
            allowed = sorted(allowed_of[pk])
            operations.append(
                _operation(
                    sequence,
                    minutes,
                    state,
                    actual_start,
                    work_center_id,
                    allowed,
                    work_center_codes,
                )
            )
            operation_pks[(code, str(sequence))] = pk
        if all(op.effective_state == "done" for op in operations):
            continue
        engine_orders.append(
            engine_model.Order(
                id=code,
                due=minute_floor(promised_due),
                operations=tuple(operations),
                buffer_minutes=buffer_minutes,
                release=minute_floor(release) if release else None,
            )
        )

    schedule: tuple[engine_model.ScheduledOperation, ...] | None = None
    if version is not None:
        rows = (
            ScheduledOperation.objects.filter(version=version, operation__order__in=open_orders)
            .exclude(operation__state=OperationRow.State.DONE)
            .order_by("start", "operation__order__code", "operation__sequence")
            .values_list(
                "operation__order__code",
                "operation__sequence",
                "work_center_id",
                "start",
                "end",
            )
        )
        schedule = tuple(
            engine_model.ScheduledOperation(
                order=order_code,
                operation=str(sequence),
                work_center=work_center_codes[work_center_id],
                start=minute_floor(start),
                end=minute_floor(end),
            )
            for order_code, sequence, work_center_id, start, end in rows
        )

    if assume_started and schedule:
        engine_orders = _assume_started(engine_orders, schedule, now)

    option_pks: dict[str, int] = {}
    options: list[engine_model.CapacityOption] = []
    if include_options:
        for option in CapacityOption.objects.filter(
            status=CapacityOption.Status.AVAILABLE
        ).prefetch_related("windows"):
            spans = tuple(
                (minute_floor(w.start), minute_floor(w.end)) for w in option.windows.all()
            )
            if not spans:
                continue
            option_pks[option.code] = option.pk
            options.append(
                engine_model.CapacityOption(
                    id=option.code,
                    work_center=work_center_codes[option.work_center_id],
                    extra=spans,
                    cost=float(option.cost),
                )
            )

    board = engine_model.Board(
        now=now,
        buffer_minutes=settings.QUOTE_BUFFER_MINUTES,
        calendars=calendars,
        work_centers=tuple(
            engine_model.WorkCenter(id=wc.code, capacity=wc.capacity, calendar=calendar_of[wc.pk])
            for wc in work_centers
        ),
        orders=tuple(engine_orders),
        schedule=schedule,
        capacity_options=tuple(options),
        request=request,
    )
    return BoardSnapshot(
        board=board,
        version=version,
        disrupted=version is not None and open_disruption(version) is not None,
        operation_pks=operation_pks,
        work_center_pks={wc.code: wc.pk for wc in work_centers},
        option_pks=option_pks,
    )


def _assume_started(
    orders: list[engine_model.Order],
    schedule: tuple[engine_model.ScheduledOperation, ...],
    now: datetime,
) -> list[engine_model.Order]:
    """`orders` with each first open operation planned to start in [now - grace, now) and not
    reported running, as running from its planned start (see `board_snapshot`)."""
    planned = {(row.order, row.operation): row for row in schedule}
    oldest = now - PLAN_START_GRACE
    result = []
    for order in orders:
        first = next((op for op in order.operations if op.effective_state != "done"), None)
        row = planned.get((order.id, first.id)) if first is not None else None
        if first is None or row is None or first.effective_state != "planned":
            result.append(order)
            continue
        if not (oldest <= row.start < now) or row.work_center not in first.work_centers:
            result.append(order)
            continue
        started = dataclasses.replace(
            first, state="running", start=row.start, work_center=row.work_center
        )
        operations = tuple(started if op is first else op for op in order.operations)
        result.append(dataclasses.replace(order, operations=operations))
    return result


def request_operations(*, product_id: int, quantity: int) -> tuple[engine_model.Operation, ...]:
    """A product's routing for a quantity, as the operations of a quote request."""
    from orders.models import RoutingStep

    steps: Iterable[RoutingStep] = (
        RoutingStep.objects.filter(product_id=product_id)
        .order_by("sequence")
        .prefetch_related("work_centers")
    )
    return tuple(
        engine_model.Operation(
            id=str(step.sequence),
            work_centers=tuple(sorted(wc.code for wc in step.work_centers.all())),
            minutes=step.minutes_for(quantity),
        )
        for step in steps
    )


def board_with_due(
    board: engine_model.Board, dues: dict[str, tuple[datetime, int | None]]
) -> engine_model.Board:
    """The board with these orders (code -> (new due, new buffer or None to keep it)) at their
    new dates. A re-dated order loses its baseline rows: rule 5's "an order already late is
    never made later" would otherwise let a new date earlier than its current end pass."""
    if not dues:
        return board
    orders = tuple(
        dataclasses.replace(
            o,
            due=dues[o.id][0],
            buffer_minutes=o.buffer_minutes if dues[o.id][1] is None else dues[o.id][1],
        )
        if o.id in dues
        else o
        for o in board.orders
    )
    schedule = board.schedule
    if schedule is not None:
        schedule = tuple(row for row in schedule if row.order not in dues)
    return dataclasses.replace(board, orders=orders, schedule=schedule)


def board_quote(
    board: engine_model.Board, *, time_limit: float | None = None, seed: int = 0, **kwargs: Any
) -> engine_model.Answer:
    """`engine.quote` with the shop's engine limits (settings.ENGINE_TIME_LIMIT / WORKERS);
    ``kwargs`` go to the engine as they are."""
    return engine.quote(
        board,
        time_limit=settings.ENGINE_TIME_LIMIT if time_limit is None else time_limit,
        workers=settings.ENGINE_WORKERS,
        seed=seed,
        **kwargs,
    )


def board_check(
    board: engine_model.Board, *, time_limit: float | None = None, seed: int = 0
) -> engine_model.Answer:
    """`engine.check` with the shop's engine limits (settings.ENGINE_TIME_LIMIT / WORKERS)."""
    return engine.check(
        dataclasses.replace(board, request=None),
        time_limit=settings.ENGINE_TIME_LIMIT if time_limit is None else time_limit,
        workers=settings.ENGINE_WORKERS,
        seed=seed,
    )
