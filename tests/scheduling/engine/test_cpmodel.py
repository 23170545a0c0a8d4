"""The CP-SAT model (``scheduling.engine.cpmodel``): domains, fixed occupations, pauses.

Boards are on the day shift (06:00-22:00 Monday to Friday, minute 0 = Monday 06:00, see
``solver_boards``): a night between two shifts is 480 minutes long.
"""

from __future__ import annotations

from typing import Any

import pytest

from scheduling.engine.cpmodel import InfeasibleDomain, ScheduleModel, _fixed_profile, time_windows
from scheduling.engine.problem import Problem, build_problem

from .solver_boards import FRIDAY, board, op

MILL = 0


def _one_order(due: str, *operations: dict[str, Any]) -> Problem:
    return build_problem(board(orders=[{"id": "A", "due": due, "operations": list(operations)}]))


def test_a_domain_that_cannot_meet_its_latest_end_raises_infeasible_domain() -> None:
    problem = _one_order("2026-12-07T07:00:00Z", op("10", "MILL", 120))
    # Two hours of work cannot end by 07:00 (minute 60), nor by any latest end before 08:00.
    with pytest.raises(InfeasibleDomain) as raised:
        time_windows(problem, {}, {0}, {0: 60})
    assert raised.value.job == 0
    with pytest.raises(InfeasibleDomain):
        ScheduleModel(problem, {}, {0}, {0: 119})


def test_time_windows_give_the_starts_that_still_meet_the_latest_end() -> None:
    problem = _one_order("2026-12-07T07:00:00Z", op("10", "MILL", 120))
    # Ending by 08:00 leaves one start (06:00); by 11:00, starts 06:00-09:00.
    assert time_windows(problem, {}, {0}, {0: 120}) == ({0: 0}, {0: {MILL: (0, 0)}})
    assert time_windows(problem, {}, {0}, {0: 300}) == ({0: 0}, {0: {MILL: (0, 180)}})


def test_fixed_occupations_merge_into_runs_on_a_machine_of_capacity_one() -> None:
    assert _fixed_profile([(30, 40), (0, 10), (5, 20)], 1) == [(0, 20, 1), (30, 40, 1)]
    assert _fixed_profile([(20, 30), (0, 20)], 1) == [(0, 30, 1)]  # touching runs too


def test_fixed_occupations_give_the_step_profile_on_a_machine_of_capacity_two() -> None:
    assert _fixed_profile([(0, 10), (5, 20)], 2) == [(0, 5, 1), (5, 10, 2), (10, 20, 1)]
    # One after the other is one occupation of demand 1, not two pieces.
    assert _fixed_profile([(0, 10), (10, 20)], 2) == [(0, 20, 1)]


def test_an_operation_spanning_a_night_ends_after_the_pause() -> None:
    # 1,200 working minutes from Monday 06:00: 960 on Monday, the night (480) off, 240 on
    # Tuesday, so it ends Tuesday 10:00 (minute 1,680); the next operation follows at once.
    problem = _one_order(FRIDAY, op("10", "MILL", 1200), op("20", "MILL", 60))
    model = ScheduleModel(problem, {}, {0, 1}, {0: problem.jobs[0].deadline or 0})
    model.minimize_job_end(0)
    result = model.solve(time_limit=5.0, workers=1, seed=0)
    assert result.optimal
    assert result.solution == {0: (MILL, 0, 1680), 1: (MILL, 1680, 1740)}
    assert result.objective == 1740
