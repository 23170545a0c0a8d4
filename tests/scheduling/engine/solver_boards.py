"""Small hand-made boards for the solver tests, built as board/1 documents.

Everything happens in the week of Monday 2026-12-07 (UTC, "now" is Monday 06:00) on a day-shift
calendar (06:00-22:00 Monday to Friday) unless a test says otherwise.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from scheduling.engine import Board, load_board

NOW = "2026-12-07T06:00:00Z"
# The same instant as a datetime (minute 0 of the engine's problem), and an hour in minutes.
NOW_UTC = datetime(2026, 12, 7, 6, tzinfo=UTC)
H = 60


def at(minute: int) -> str:
    """The board timestamp ``minute`` minutes after "now" (Monday 06:00)."""
    return (NOW_UTC + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")


DAY_SHIFT = {
    "timezone": "UTC",
    "weekly": {
        **{day: [["06:00", "22:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
        "sat": [],
        "sun": [],
    },
}


def op(op_id: str, centers: str | list[str], minutes: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": op_id,
        "work_centers": [centers] if isinstance(centers, str) else centers,
        "minutes": minutes,
        **extra,
    }


def row(order: str, operation: str, center: str, start: str, end: str) -> dict[str, Any]:
    return {
        "order": order,
        "operation": operation,
        "work_center": center,
        "start": start,
        "end": end,
    }


def doc(
    *,
    centers: dict[str, int] | None = None,
    orders: list[dict[str, Any]] | None = None,
    schedule: list[dict[str, Any]] | None = None,
    request: dict[str, Any] | None = None,
    options: list[dict[str, Any]] | None = None,
    calendar: dict[str, Any] | None = None,
    buffer_minutes: int = 0,
) -> dict[str, Any]:
    board: dict[str, Any] = {
        "format": "board/1",
        "now": NOW,
        "buffer_minutes": buffer_minutes,
        "calendars": {"day": copy.deepcopy(calendar or DAY_SHIFT)},
        "work_centers": [
            {"id": wc, "capacity": cap, "calendar": "day"}
            for wc, cap in (centers or {"MILL": 1}).items()
        ],
        "orders": orders or [],
    }
    if schedule is not None:
        board["schedule"] = schedule
    if options is not None:
        board["capacity_options"] = options
    if request is not None:
        board["request"] = request
    return board


def board(**kwargs: Any) -> Board:
    return load_board(doc(**kwargs))


def request(operations: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"id": "Q-1", "operations": operations, **extra}


# The end of the week's last shift: a due date with days of slack.
FRIDAY = "2026-12-11T22:00:00Z"


def two_orders_on_mill(
    *,
    a_due: str = FRIDAY,
    b_due: str = FRIDAY,
    b_planned: tuple[str, str] = ("08:00", "10:00"),
    request_minutes: int = 60,
) -> Board:
    """Orders A and B, one 120-minute MILL operation each, planned on Monday at 06:00-08:00
    (A) and ``b_planned`` (B), and a request of ``request_minutes`` on MILL."""
    monday = "2026-12-07T{}:00Z"
    return board(
        orders=[
            {"id": "A", "due": a_due, "operations": [op("10", "MILL", 120)]},
            {"id": "B", "due": b_due, "operations": [op("10", "MILL", 120)]},
        ],
        schedule=[
            row("A", "10", "MILL", monday.format("06:00"), monday.format("08:00")),
            row("B", "10", "MILL", *(monday.format(clock) for clock in b_planned)),
        ],
        request=request([op("10", "MILL", request_minutes)]),
    )
