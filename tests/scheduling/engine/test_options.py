"""evaluate_option: the request's completion with one more capacity option's hours."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scheduling.engine.budget import Clock
from scheduling.engine.model import Board, OptionResult
from scheduling.engine.options import evaluate_option
from scheduling.engine.problem import baseline_solution, build_problem
from scheduling.engine.search import CompletionSearch
from tests.scheduling.engine.solver_boards import NOW_UTC, H, at, board, op, request, row

# "now" is Monday 06:00 (minute 0); the day shift runs to 22:00 (minute 960).
MONDAY_NIGHT = [["2026-12-07T22:00:00Z", "2026-12-08T00:00:00Z"]]


def _board() -> Board:
    """MILL is full on Monday (A, 06:00-22:00, promised for 22:00); LATHE is idle. The request
    needs an hour of MILL, so it ends Tuesday 07:00. Overtime Monday 22:00-24:00 is offered on
    either work center; the request's own promise buffer is 30 minutes."""
    return board(
        centers={"MILL": 1, "LATHE": 1},
        orders=[{"id": "A", "due": at(16 * H), "operations": [op("10", "MILL", 16 * H)]}],
        schedule=[row("A", "10", "MILL", at(0), at(16 * H))],
        options=[
            {"id": f"OT-{wc}", "work_center": wc, "cost": 300, "extra": MONDAY_NIGHT}
            for wc in ("MILL", "LATHE")
        ],
        request=request([op("10", "MILL", H)], buffer_minutes=30),
    )


def _evaluate(option_id: str, *, cancel: bool = False) -> OptionResult:
    b = _board()
    problem = build_problem(b)
    existing = baseline_solution(problem)
    assert existing is not None
    clock = Clock(1.0, None, (lambda: True) if cancel else None, NOW_UTC)
    clock.deterministic = True
    search = CompletionSearch(problem, existing, clock, 1, 0)
    assert search.completion == 24 * H + H  # Tuesday 07:00
    return evaluate_option(b, problem, option_id, search, clock, 1, 0, budget=0.2)


@pytest.mark.parametrize(
    ("option_id", "completion", "gain"),
    [
        # On the bottleneck: Monday 22:00-23:00 in the overtime, 8 hours before Tuesday 07:00.
        ("OT-MILL", 17 * H, 8 * H),
        # On an idle work center the request does not use: still Tuesday 07:00, no gain.
        ("OT-LATHE", 25 * H, 0),
    ],
)
def test_overtime_gains_on_the_bottleneck_only(option_id: str, completion: int, gain: int) -> None:
    result = _evaluate(option_id)
    assert result.id == option_id
    assert result.completion == NOW_UTC + timedelta(minutes=completion)
    assert result.promise == NOW_UTC + timedelta(minutes=completion + 30)  # the request's buffer
    assert result.gain_minutes == gain


def test_out_of_time_the_answer_s_own_completion_is_reported() -> None:
    result = _evaluate("OT-MILL", cancel=True)
    assert (result.completion, result.gain_minutes) == (NOW_UTC + timedelta(minutes=25 * H), 0)
