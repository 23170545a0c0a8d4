"""check() when the plan no longer covers the board: an order added without a schedule, or a
breakdown. A valid plan is kept and the new order inserted around it; a broken one is repaired
to the least-late schedule found, shown as a projection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from scheduling.engine import check, load_board, verify

from .solver_boards import doc, op, row

ALWAYS = {
    "timezone": "UTC",
    "weekly": {
        day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    },
}
NOW = datetime(2026, 12, 7, 6, tzinfo=UTC)
PAIRS = 120


def _at(minutes: int) -> str:
    return (NOW + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def _tight_plan_and_a_new_order() -> dict[str, Any]:
    """Every other hour, P (on LATHE or MILL) runs on MILL while Q (LATHE only) runs on LATHE,
    each due at the end of its hour: the plan is valid, but only as it stands (a dispatch that
    puts P on LATHE, the first of its work centers, makes Q late). NEW, due in a month, has
    no schedule rows; the first idle hour is free for it."""
    orders, schedule = [], []
    for i in range(PAIRS):
        start, end = _at(120 * i), _at(120 * i + 60)
        orders.append({"id": f"P{i}", "due": end, "operations": [op("10", ["LATHE", "MILL"], 60)]})
        orders.append({"id": f"Q{i}", "due": end, "operations": [op("10", "LATHE", 60)]})
        schedule += [
            row(f"P{i}", "10", "MILL", start, end),
            row(f"Q{i}", "10", "LATHE", start, end),
        ]
    orders.append(
        {"id": "NEW", "due": _at(30 * 1440), "operations": [op("10", ["LATHE", "MILL"], 60)]}
    )
    return doc(centers={"LATHE": 1, "MILL": 1}, orders=orders, schedule=schedule, calendar=ALWAYS)


def test_an_order_added_to_a_valid_plan_is_inserted_and_nothing_planned_moves() -> None:
    board = load_board(_tight_plan_and_a_new_order())
    answer = check(board, time_limit=0.5, workers=1)
    assert answer.status == "promised", answer.message
    assert answer.moved == ()
    assert verify(board, answer) == []
    planned = {(r.order, r.operation): r for r in board.schedule or ()}
    for placed in answer.schedule:
        if placed.order != "NEW":
            assert placed == planned[(placed.order, placed.operation)]
    new = next(r for r in answer.schedule if r.order == "NEW")
    assert new.start == NOW + timedelta(minutes=60)  # the first gap
