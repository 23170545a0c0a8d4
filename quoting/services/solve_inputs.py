"""What a solve runs on: a consistent board snapshot, the quote's request and board, the
capacity options offered, and the background repair of a disrupted board."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from orders.models import Operation
from quoting.models import Quote, RepairProposal
from quoting.services.answers import (
    board_without_order,
)
from scheduling.boards import BoardSnapshot, board_snapshot, request_operations
from scheduling.engine import model as engine_model


def consistent_snapshot(**kwargs: Any) -> BoardSnapshot:
    """board_snapshot read in one REPEATABLE READ transaction on PostgreSQL, so the version,
    the orders and the slots all come from the same committed state. (A torn read would only
    be caught later as a stale commit; this avoids the wasted solve.)"""
    with transaction.atomic():
        if connection.vendor == "postgresql" and not _in_outer_transaction():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return board_snapshot(**kwargs)


def _in_outer_transaction() -> bool:
    # atomic() just opened one level; more than one means someone else's transaction is open.
    return len(connection.savepoint_ids) > 0 or connection.needs_rollback


def with_options(board: engine_model.Board, codes: list[str]) -> engine_model.Board:
    """Offer only the requested capacity options (all available ones when none requested)."""
    if not codes:
        return board
    import dataclasses

    kept = tuple(o for o in board.capacity_options or () if o.id in codes)
    return dataclasses.replace(board, capacity_options=kept)


def background_repair(snapshot: BoardSnapshot) -> tuple[engine_model.ScheduledOperation, ...]:
    """The schedule of the latest repair solved in the background for the snapshot's version,
    if it is waiting for approval: a quote on a disrupted board is made against it when it
    leaves less lateness than the quote's own repair (the engine checks it holds)."""
    if not snapshot.disrupted or snapshot.version is None:
        return ()
    repair = (
        RepairProposal.objects.filter(
            schedule_version=snapshot.version, status=RepairProposal.Status.PENDING
        )
        .order_by("-id")
        .first()
    )
    if repair is None or not repair.answer:
        return ()
    return repair.engine_answer().schedule


def quote_request(quote: Quote) -> engine_model.Request:
    """The engine request of a quote: the product's routing for a new order, or, for a
    customer's date request, the existing order's own operations, release and buffer."""
    requested_due = _minute_ceil(quote.requested_due) if quote.requested_due else None
    order = quote.repromise_order
    if order is None:
        return engine_model.Request(
            id=quote.request_id,
            operations=request_operations(product_id=quote.product_id, quantity=quote.quantity),
            requested_due=requested_due,
            buffer_minutes=settings.QUOTE_BUFFER_MINUTES,
        )
    started = order.operations.exclude(state=Operation.State.PLANNED).exists()
    if started:
        raise ValueError(
            f"order {order.code} is already in production; its date can only be changed by "
            "the scheduler's re-promise"
        )
    return engine_model.Request(
        id=quote.request_id,
        operations=tuple(
            engine_model.Operation(
                id=str(op.sequence),
                work_centers=tuple(sorted(wc.code for wc in op.work_centers.all())),
                minutes=op.minutes,
            )
            for op in order.operations.order_by("sequence").prefetch_related("work_centers")
        ),
        release=order.release,
        requested_due=requested_due,
        buffer_minutes=order.buffer_minutes,
    )


def quote_board(quote: Quote, board: engine_model.Board) -> engine_model.Board:
    """The board a quote is solved on: without the order it re-promises, if any."""
    return board_without_order(board, quote.order_code if quote.repromise_order_id else None)


def _minute_ceil(value: datetime) -> datetime:
    floored = value.astimezone(UTC).replace(second=0, microsecond=0)
    return floored if floored == value else floored + timedelta(minutes=1)
