"""check() on a board that reality has made infeasible: it names the orders at fault and gives
the least-late projection, which keeps every rule but rule 5 for exactly those orders."""

from __future__ import annotations

from typing import Any

from scheduling.engine import check, dump_answer, load_board, verify
from scheduling.engine.model import Answer

DAY = [["06:00", "22:00"]]


def _board() -> dict[str, Any]:
    # OVEN is down all of Tuesday; A (due Tuesday night) cannot make it, B (due Friday) can.
    return {
        "format": "board/1",
        "now": "2026-12-07T06:00:00Z",
        "buffer_minutes": 0,
        "calendars": {
            "shop": {
                "timezone": "UTC",
                "weekly": {d: DAY for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
                "closed": [["2026-12-07T06:00:00Z", "2026-12-09T06:00:00Z"]],
            }
        },
        "work_centers": [{"id": "OVEN", "capacity": 1, "calendar": "shop"}],
        "orders": [
            {
                "id": "A",
                "due": "2026-12-08T22:00:00Z",
                "operations": [{"id": "10", "work_centers": ["OVEN"], "minutes": 240}],
            },
            {
                "id": "B",
                "due": "2026-12-11T22:00:00Z",
                "operations": [{"id": "10", "work_centers": ["OVEN"], "minutes": 240}],
            },
        ],
    }


def test_infeasible_check_names_the_late_order_and_projects_it() -> None:
    board = load_board(_board())
    answer = check(board, time_limit=2, workers=1)

    assert answer.status == "infeasible"
    assert answer.at_fault == ("A",)
    assert answer.schedule == ()  # never a schedule that breaks a rule
    rows = {row.order: row for row in answer.projection}
    assert set(rows) == {"A", "B"}
    # The projection is the least late: A runs first thing after the outage.
    assert rows["A"].start.isoformat() == "2026-12-09T06:00:00+00:00"
    as_plan = Answer(status="promised", schedule=answer.projection)
    assert verify(board, as_plan, accept_late=answer.at_fault) == []
    assert any(v.startswith("rule 5: order A") for v in verify(board, as_plan))
    assert dump_answer(answer)["projection"]


def test_a_feasible_check_has_no_projection() -> None:
    doc = _board()
    doc["orders"][0]["due"] = "2026-12-09T22:00:00Z"
    answer = check(load_board(doc), time_limit=2, workers=1)
    assert answer.status == "promised" and answer.projection == ()
    assert answer.at_fault == () and {row.order for row in answer.schedule} == {"A", "B"}
