"""The engine's request and answer as stored on quote and proposal rows, and the replan diff.

A quote stores the exact request it solved (its operations come from the product's routing at
that moment) so that an accept or a re-solve uses the same operations even if the routing is
edited in between.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from scheduling.engine import model as engine_model
from scheduling.engine.boardio import (
    dump_answer,
    dump_request,
    format_instant,
    load_request,
)


def request_to_doc(request: engine_model.Request) -> dict[str, Any]:
    """The request as stored beside its quote: the board/1 `request` object, by the engine."""
    return dump_request(request)


def request_from_doc(doc: dict[str, Any]) -> engine_model.Request:
    """A stored request (older rows wrote absent fields as null; the engine reads both)."""
    return load_request(doc)


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _last_ends(
    rows: tuple[engine_model.ScheduledOperation, ...] | None, orders: dict[str, engine_model.Order]
) -> dict[str, datetime]:
    """End of each order's last operation in `rows`."""
    ends: dict[str, datetime] = {}
    for order_id, order in orders.items():
        last = order.operations[-1].id
        for row in rows or ():
            if row.order == order_id and row.operation == last:
                ends[order_id] = row.end
    return ends


def replan_diff(board: engine_model.Board, answer: engine_model.Answer) -> dict[str, Any]:
    """What the answer changes for everyone else, as the scheduler reviews it.

    `moved`: each existing operation whose start moved, by how many minutes (positive = later).
    `orders`: for each order with a moved operation, its slack before and after, in minutes:
    protected date (due - buffer) minus the end of its last operation; negative means late."""
    orders = {o.id: o for o in board.orders}
    moved = [
        {
            "order": move.order,
            "operation": move.operation,
            "from": format_instant(move.from_start),
            "to": format_instant(move.to_start),
            "minutes": _minutes(move.to_start - move.from_start),
        }
        for move in answer.moved
    ]
    touched = {orders[m["order"]].id: orders[m["order"]] for m in moved if m["order"] in orders}
    before = _last_ends(board.schedule, touched)
    after = _last_ends(answer.schedule, touched)
    slack = []
    for order_id, order in sorted(touched.items()):
        protected = order.due - timedelta(minutes=board.order_buffer(order))
        slack.append(
            {
                "order": order_id,
                "protected": format_instant(protected),
                "slack_before": _minutes(protected - before[order_id])
                if order_id in before
                else None,
                "slack_after": _minutes(protected - after[order_id]) if order_id in after else None,
            }
        )
    return {"moved": moved, "orders": slack}


# --- a customer's date request: the existing order solved again as the request --------------


def board_without_order(board: engine_model.Board, order_code: str | None) -> engine_model.Board:
    """The board with one order taken off (its operations and its slots), so a quote for that
    same order's new date is solved as its request instead of beside it. None: unchanged."""
    if order_code is None:
        return board
    orders = tuple(o for o in board.orders if o.id != order_code)
    schedule = board.schedule
    if schedule is not None:
        schedule = tuple(row for row in schedule if row.order != order_code)
    return dataclasses.replace(board, orders=orders, schedule=schedule)


def answer_for_order(
    answer: engine_model.Answer, request_id: str, order_code: str
) -> engine_model.Answer:
    """A re-promise quote's answer as a plan for the existing order: the request's slots
    renamed to the order (whose operation ids are the same sequence numbers), no request."""
    schedule = tuple(
        dataclasses.replace(row, order=order_code) if row.order == request_id else row
        for row in answer.schedule
    )
    return dataclasses.replace(answer, request=None, schedule=schedule)


def answer_columns(answer: engine_model.Answer) -> dict[str, Any]:
    """A quote's columns for a new answer: the answer/1 document, and the parts of it that
    are also columns for queries and lists (see `Quote`)."""
    return {
        "answer_status": answer.status,
        "completion": answer.completion,
        "promise": answer.promise,
        "requested_due_feasible": answer.requested_due_feasible,
        "moved_count": len(answer.moved),
        "solve_seconds": answer.solve_seconds,
        "answer": dump_answer(answer),
    }
