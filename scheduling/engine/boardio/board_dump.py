"""Writing ``Board`` and ``Request`` as board/1 documents (optional keys that are ``None`` are
left out, so a document read and written back is unchanged)."""

from __future__ import annotations

from typing import Any

from scheduling.engine.boardio.fields import (
    BOARD_FORMAT,
    dump_scheduled_operation,
    dump_spans,
    format_clock,
    format_instant,
)
from scheduling.engine.model import WEEKDAYS, Board, Operation, Request


def _dump_operation(op: Operation) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": op.id,
        "work_centers": list(op.work_centers),
        "minutes": op.minutes,
    }
    if op.state is not None:
        doc["state"] = op.state
    if op.start is not None:
        doc["start"] = format_instant(op.start)
    if op.work_center is not None:
        doc["work_center"] = op.work_center
    return doc


def dump_board(board: Board) -> dict[str, Any]:
    """The board/1 document for ``board``; optional keys that are ``None`` are left out."""
    calendars: dict[str, Any] = {}
    for calendar in board.calendars:
        body: dict[str, Any] = {
            "timezone": calendar.timezone,
            "weekly": {
                day: [[format_clock(a), format_clock(b)] for a, b in calendar.weekly[i]]
                for i, day in enumerate(WEEKDAYS)
            },
        }
        if calendar.closed:
            body["closed"] = dump_spans(calendar.closed)
        if calendar.extra:
            body["extra"] = dump_spans(calendar.extra)
        calendars[calendar.id] = body
    orders = []
    for order in board.orders:
        order_doc: dict[str, Any] = {"id": order.id, "due": format_instant(order.due)}
        if order.buffer_minutes is not None:
            order_doc["buffer_minutes"] = order.buffer_minutes
        if order.release is not None:
            order_doc["release"] = format_instant(order.release)
        order_doc["operations"] = [_dump_operation(op) for op in order.operations]
        orders.append(order_doc)
    doc: dict[str, Any] = {
        "format": BOARD_FORMAT,
        "now": format_instant(board.now),
        "buffer_minutes": board.buffer_minutes,
        "calendars": calendars,
        "work_centers": [
            {"id": wc.id, "capacity": wc.capacity, "calendar": wc.calendar}
            for wc in board.work_centers
        ],
        "orders": orders,
    }
    if board.schedule is not None:
        doc["schedule"] = [dump_scheduled_operation(row) for row in board.schedule]
    if board.capacity_options is not None:
        doc["capacity_options"] = [
            {
                "id": option.id,
                "work_center": option.work_center,
                "extra": dump_spans(option.extra),
                "cost": option.cost,
            }
            for option in board.capacity_options
        ]
    if board.request is not None:
        doc["request"] = dump_request(board.request)
    return doc


def dump_request(request: Request) -> dict[str, Any]:
    """The board/1 ``request`` object (optional fields omitted when absent)."""
    doc: dict[str, Any] = {"id": request.id}
    if request.release is not None:
        doc["release"] = format_instant(request.release)
    if request.requested_due is not None:
        doc["requested_due"] = format_instant(request.requested_due)
    if request.buffer_minutes is not None:
        doc["buffer_minutes"] = request.buffer_minutes
    doc["operations"] = [_dump_operation(op) for op in request.operations]
    return doc
