"""Reading board/1 documents into ``Board`` and ``Request`` (the decisions are listed in
``boardio/__init__``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from os import PathLike
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scheduling.engine.boardio.fields import (
    BOARD_FORMAT,
    OPERATION_STATES,
    expect_clock,
    expect_id,
    expect_list,
    expect_minutes,
    expect_number,
    expect_object,
    expect_scheduled_operation,
    expect_spans,
    expect_string,
    fail,
    format_clock,
    format_instant,
    kind,
    optional_instant,
    parse_instant,
    read_json_file,
)
from scheduling.engine.model import (
    WEEKDAYS,
    Board,
    Calendar,
    CapacityOption,
    Operation,
    Order,
    Request,
    ScheduledOperation,
    WorkCenter,
)


def load_board(doc: Any) -> Board:
    """Validate a board/1 document (a parsed JSON object) and return the engine's ``Board``."""
    root = expect_object(
        doc,
        "",
        ("format", "now", "buffer_minutes", "calendars", "work_centers", "orders"),
        ("schedule", "capacity_options", "request"),
    )
    if root["format"] != BOARD_FORMAT:
        fail("format", f"must be {BOARD_FORMAT!r}, got {root['format']!r}")
    now = parse_instant(root["now"], "now")
    buffer_minutes = expect_minutes(root["buffer_minutes"], "buffer_minutes", minimum=0)
    calendars = _calendars(root["calendars"])
    work_centers = _work_centers(root["work_centers"], {c.id for c in calendars})
    wc_by_id = {wc.id: wc for wc in work_centers}
    orders = _orders(root["orders"], now, wc_by_id)
    schedule = None
    if "schedule" in root:
        schedule = _schedule(root["schedule"], orders, wc_by_id)
    capacity_options = None
    if "capacity_options" in root:
        capacity_options = _capacity_options(root["capacity_options"], wc_by_id)
    request = None
    if "request" in root:
        request = _request(root["request"], now, wc_by_id, {order.id for order in orders})
    return Board(
        now=now,
        buffer_minutes=buffer_minutes,
        calendars=calendars,
        work_centers=work_centers,
        orders=orders,
        schedule=schedule,
        capacity_options=capacity_options,
        request=request,
    )


def load_board_file(path: str | PathLike[str]) -> Board:
    """Read a board/1 JSON file; unreadable or non-JSON files raise ``BoardError`` too."""
    return load_board(read_json_file(path))


def _calendars(value: Any) -> tuple[Calendar, ...]:
    if not isinstance(value, Mapping):
        fail("calendars", f"must be an object keyed by calendar id, got {kind(value)}")
    calendars = []
    for calendar_id, body in value.items():
        path = f"calendars.{calendar_id}"
        expect_id(calendar_id, path)
        body = expect_object(body, path, ("timezone", "weekly"), ("closed", "extra"))
        timezone = expect_string(body["timezone"], f"{path}.timezone")
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            fail(f"{path}.timezone", f"unknown IANA time zone {timezone!r} ({error})")
        weekly = _weekly(body["weekly"], f"{path}.weekly")
        closed = expect_spans(body.get("closed", []), f"{path}.closed")
        extra = expect_spans(body.get("extra", []), f"{path}.extra")
        calendars.append(
            Calendar(id=calendar_id, timezone=timezone, weekly=weekly, closed=closed, extra=extra)
        )
    return tuple(calendars)


def _weekly(value: Any, path: str) -> tuple[tuple[tuple[int, int], ...], ...]:
    body = expect_object(value, path, WEEKDAYS)
    days = []
    for day in WEEKDAYS:
        day_path = f"{path}.{day}"
        windows: list[tuple[int, int]] = []
        for index, item in enumerate(expect_list(body[day], day_path)):
            window_path = f"{day_path}[{index}]"
            pair = expect_list(item, window_path)
            if len(pair) != 2:
                fail(window_path, f'must be a ["HH:MM", "HH:MM"] pair, got {len(pair)} elements')
            start = expect_clock(pair[0], f"{window_path}[0]")
            end = expect_clock(pair[1], f"{window_path}[1]")
            if not start < end:
                fail(window_path, f"start {pair[0]} must be before end {pair[1]}")
            if windows and start < windows[-1][1]:
                fail(
                    window_path,
                    f"window {pair[0]}-{pair[1]} overlaps or precedes the previous one "
                    f"ending {format_clock(windows[-1][1])}: list windows sorted, not overlapping",
                )
            windows.append((start, end))
        days.append(tuple(windows))
    return tuple(days)


def _work_centers(value: Any, calendar_ids: set[str]) -> tuple[WorkCenter, ...]:
    work_centers = []
    seen: set[str] = set()
    for index, item in enumerate(expect_list(value, "work_centers")):
        path = f"work_centers[{index}]"
        body = expect_object(item, path, ("id", "capacity", "calendar"))
        wc_id = expect_id(body["id"], f"{path}.id")
        if wc_id in seen:
            fail(f"{path}.id", f"duplicate work center id {wc_id!r}")
        seen.add(wc_id)
        capacity = expect_minutes(body["capacity"], f"{path}.capacity", minimum=1)
        calendar = expect_id(body["calendar"], f"{path}.calendar")
        if calendar not in calendar_ids:
            fail(f"{path}.calendar", f"unknown calendar {calendar!r}")
        work_centers.append(WorkCenter(id=wc_id, capacity=capacity, calendar=calendar))
    return tuple(work_centers)


def _operations(
    value: Any,
    path: str,
    now: datetime,
    wc_by_id: Mapping[str, WorkCenter],
    *,
    is_request: bool,
) -> tuple[Operation, ...]:
    operations = []
    seen: set[str] = set()
    phase = 0  # 0: only done so far, 1: a running one seen, 2: a planned one seen
    for index, item in enumerate(expect_list(value, path, non_empty=True)):
        op_path = f"{path}[{index}]"
        body = expect_object(
            item, op_path, ("id", "work_centers", "minutes"), ("state", "start", "work_center")
        )
        op_id = expect_id(body["id"], f"{op_path}.id")
        if op_id in seen:
            fail(f"{op_path}.id", f"duplicate operation id {op_id!r} in this routing")
        seen.add(op_id)
        allowed: list[str] = []
        for wc_index, wc in enumerate(
            expect_list(body["work_centers"], f"{op_path}.work_centers", non_empty=True)
        ):
            wc_path = f"{op_path}.work_centers[{wc_index}]"
            wc = expect_id(wc, wc_path)
            if wc not in wc_by_id:
                fail(wc_path, f"unknown work center {wc!r}")
            if wc in allowed:
                fail(wc_path, f"work center {wc!r} listed twice")
            allowed.append(wc)
        minutes = expect_minutes(body["minutes"], f"{op_path}.minutes", minimum=1)
        state = body.get("state")
        if state is not None and state not in OPERATION_STATES:
            fail(f"{op_path}.state", f"must be one of {', '.join(OPERATION_STATES)}; got {state!r}")
        effective = state or "planned"
        if is_request and effective != "planned":
            fail(f"{op_path}.state", "a request's operations are not started: must be 'planned'")
        if effective == "planned":
            for key in ("start", "work_center"):
                if key in body:
                    fail(f"{op_path}.{key}", "only running or done operations carry this key")
        if effective == "running":
            for key in ("start", "work_center"):
                if key not in body:
                    fail(f"{op_path}.{key}", "required for a running operation")
        start = optional_instant(body.get("start"), f"{op_path}.start")
        if "start" in body and start is None:
            fail(f"{op_path}.start", "must be an instant, not null")
        if start is not None and start > now:
            fail(f"{op_path}.start", f"{format_instant(start)} is after now {format_instant(now)}")
        work_center = None
        if "work_center" in body:
            work_center = expect_id(body["work_center"], f"{op_path}.work_center")
            if work_center not in allowed:
                fail(
                    f"{op_path}.work_center",
                    f"{work_center!r} is not one of the operation's work_centers {allowed}",
                )
        rank = {"done": 0, "running": 1, "planned": 2}[effective]
        if rank < phase or (rank == 1 and phase == 1):
            previous = {1: "a running", 2: "a planned"}[phase]
            fail(
                f"{op_path}.state",
                f"{effective} operation after {previous} one: along a routing the states go "
                f"done, then at most one running, then planned",
            )
        phase = max(phase, rank)
        operations.append(
            Operation(
                id=op_id,
                work_centers=tuple(allowed),
                minutes=minutes,
                state=state,
                start=start,
                work_center=work_center,
            )
        )
    return tuple(operations)


def _orders(value: Any, now: datetime, wc_by_id: Mapping[str, WorkCenter]) -> tuple[Order, ...]:
    orders = []
    seen: set[str] = set()
    running: dict[str, list[str]] = {}
    for index, item in enumerate(expect_list(value, "orders")):
        path = f"orders[{index}]"
        body = expect_object(item, path, ("id", "due", "operations"), ("buffer_minutes", "release"))
        order_id = expect_id(body["id"], f"{path}.id")
        if order_id in seen:
            fail(f"{path}.id", f"duplicate order id {order_id!r}")
        seen.add(order_id)
        due = parse_instant(body["due"], f"{path}.due")
        buffer_minutes = None
        if "buffer_minutes" in body:
            buffer_minutes = expect_minutes(
                body["buffer_minutes"], f"{path}.buffer_minutes", minimum=0
            )
        release = None
        if "release" in body:
            release = parse_instant(body["release"], f"{path}.release")
        operations = _operations(
            body["operations"], f"{path}.operations", now, wc_by_id, is_request=False
        )
        for op_index, op in enumerate(operations):
            if op.effective_state != "running":
                continue
            assert op.work_center is not None  # checked by _operations
            names = running.setdefault(op.work_center, [])
            names.append(f"{order_id}/{op.id}")
            capacity = wc_by_id[op.work_center].capacity
            if len(names) > capacity:
                fail(
                    f"{path}.operations[{op_index}].work_center",
                    f"overlapping running operations: {len(names)} running on {op.work_center} "
                    f"({', '.join(names)}) exceed its capacity {capacity}",
                )
        orders.append(
            Order(
                id=order_id,
                due=due,
                operations=operations,
                buffer_minutes=buffer_minutes,
                release=release,
            )
        )
    return tuple(orders)


def _schedule(
    value: Any, orders: tuple[Order, ...], wc_by_id: Mapping[str, WorkCenter]
) -> tuple[ScheduledOperation, ...]:
    operations = {(o.id, op.id): op for o in orders for op in o.operations}
    order_ids = {o.id for o in orders}
    rows = []
    seen: dict[tuple[str, str], int] = {}
    for index, item in enumerate(expect_list(value, "schedule")):
        path = f"schedule[{index}]"
        row = expect_scheduled_operation(item, path)
        if row.order not in order_ids:
            fail(f"{path}.order", f"unknown order {row.order!r}")
        op = operations.get((row.order, row.operation))
        if op is None:
            fail(f"{path}.operation", f"order {row.order!r} has no operation {row.operation!r}")
        if row.work_center not in wc_by_id:
            fail(f"{path}.work_center", f"unknown work center {row.work_center!r}")
        if row.work_center not in op.work_centers:
            fail(
                f"{path}.work_center",
                f"{row.work_center!r} is not one of {row.order}/{row.operation}'s work_centers "
                f"{list(op.work_centers)}",
            )
        key = (row.order, row.operation)
        if key in seen:
            fail(path, f"{row.order}/{row.operation} is already scheduled in schedule[{seen[key]}]")
        seen[key] = index
        rows.append(row)
    return tuple(rows)


def _capacity_options(value: Any, wc_by_id: Mapping[str, WorkCenter]) -> tuple[CapacityOption, ...]:
    options = []
    seen: set[str] = set()
    for index, item in enumerate(expect_list(value, "capacity_options")):
        path = f"capacity_options[{index}]"
        body = expect_object(item, path, ("id", "work_center", "extra", "cost"))
        option_id = expect_id(body["id"], f"{path}.id")
        if option_id in seen:
            fail(f"{path}.id", f"duplicate capacity option id {option_id!r}")
        seen.add(option_id)
        work_center = expect_id(body["work_center"], f"{path}.work_center")
        if work_center not in wc_by_id:
            fail(f"{path}.work_center", f"unknown work center {work_center!r}")
        options.append(
            CapacityOption(
                id=option_id,
                work_center=work_center,
                extra=expect_spans(body["extra"], f"{path}.extra"),
                cost=expect_number(body["cost"], f"{path}.cost", minimum=0),
            )
        )
    return tuple(options)


def _request(
    value: Any, now: datetime, wc_by_id: Mapping[str, WorkCenter], order_ids: set[str]
) -> Request:
    body = expect_object(
        value, "request", ("id", "operations"), ("release", "requested_due", "buffer_minutes")
    )
    request_id = expect_id(body["id"], "request.id")
    if request_id in order_ids:
        fail("request.id", f"{request_id!r} is already the id of an order on the board")
    buffer_minutes = None
    if "buffer_minutes" in body:
        buffer_minutes = expect_minutes(body["buffer_minutes"], "request.buffer_minutes", minimum=0)
    return Request(
        id=request_id,
        operations=_operations(
            body["operations"], "request.operations", now, wc_by_id, is_request=True
        ),
        release=parse_instant(body["release"], "request.release") if "release" in body else None,
        requested_due=(
            parse_instant(body["requested_due"], "request.requested_due")
            if "requested_due" in body
            else None
        ),
        buffer_minutes=buffer_minutes,
    )


class _EveryWorkCenter(dict[str, WorkCenter]):
    """Work centers of a request read without its board: any id is taken as known (a planned
    operation needs nothing more of it; the board it is later solved on checks them)."""

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str)


def load_request(value: Any) -> Request:
    """A board/1 ``request`` object read on its own (as stored beside a quote): every check a
    board makes of its request except those that need the board (that its work centers exist,
    that its id is not an order's). Optional fields written as null count as absent."""
    if isinstance(value, dict):
        value = {key: item for key, item in value.items() if item is not None}
    return _request(value, datetime.now().astimezone(), _EveryWorkCenter(), set())
