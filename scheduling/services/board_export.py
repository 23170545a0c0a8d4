"""The current schedule as a board/1 document, in the canonical form described in
docs/import-export.md (the same shop always gives the same document)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from django.conf import settings

from scheduling import engine
from scheduling.boards import board_now, board_snapshot
from scheduling.engine import model as engine_model


def _sequence_key(operation_id: str) -> tuple[int, str]:
    return (int(operation_id), "") if operation_id.isdigit() else (0, operation_id)


def board_canonical(
    board: engine_model.Board, *, buffer_minutes: int | None = None
) -> engine_model.Board:
    """`board` in the export's canonical form (see docs/import-export.md). With
    `buffer_minutes`, that is the board's default and orders equal to it omit theirs."""
    default = board.buffer_minutes if buffer_minutes is None else buffer_minutes

    def order(o: engine_model.Order) -> engine_model.Order:
        own = o.buffer_minutes if o.buffer_minutes is not None else board.buffer_minutes
        return dataclasses.replace(o, buffer_minutes=None if own == default else own)

    schedule = (
        None
        if board.schedule is None
        else tuple(sorted(board.schedule, key=lambda r: (r.order, _sequence_key(r.operation))))
    )
    options = tuple(sorted(board.capacity_options or (), key=lambda o: o.id)) or None
    return dataclasses.replace(
        board,
        buffer_minutes=default,
        calendars=tuple(sorted(board.calendars, key=lambda c: c.id)),
        work_centers=tuple(sorted(board.work_centers, key=lambda w: w.id)),
        orders=tuple(sorted((order(o) for o in board.orders), key=lambda o: o.id)),
        schedule=schedule,
        capacity_options=options,
    )


def board_export(
    *, now: datetime | None = None, buffer_minutes: int | None = None
) -> dict[str, Any]:
    """The current schedule as a board/1 document (reads only).

    `now` defaults to the current minute; `buffer_minutes` is the board default written at the
    top (settings.QUOTE_BUFFER_MINUTES unless given); orders whose buffer equals it omit theirs.
    """
    snapshot = board_snapshot(now=now if now is not None else board_now(), assume_started=False)
    default = settings.QUOTE_BUFFER_MINUTES if buffer_minutes is None else buffer_minutes
    return engine.dump_board(board_canonical(snapshot.board, buffer_minutes=default))
