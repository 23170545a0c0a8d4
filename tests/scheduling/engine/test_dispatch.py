"""Greedy schedules (``scheduling.engine.dispatch``): inserting a job and dispatching a board.

MILL (capacity 1, day shift from Monday 06:00 = minute 0) holds A at 06:00-08:00 (minutes
0-120) and B at 10:00-12:00 (240-360), leaving a two-hour gap; the request needs MILL.
"""

from __future__ import annotations

from scheduling.engine.dispatch import dispatch, insert_job
from scheduling.engine.problem import (
    Problem,
    Solution,
    baseline_solution,
    build_problem,
    violations,
)

from .solver_boards import FRIDAY, two_orders_on_mill

A, B, REQUEST = 0, 1, 2  # task indices: one task per job, in board order, the request last
MILL = 0
PLANNED = {A: (MILL, 0, 120), B: (MILL, 240, 360)}


def _board(request_minutes: int = 60, a_due: str = FRIDAY) -> tuple[Problem, Solution]:
    problem = build_problem(
        two_orders_on_mill(
            a_due=a_due, b_planned=("10:00", "12:00"), request_minutes=request_minutes
        )
    )
    existing = baseline_solution(problem)
    assert existing == PLANNED
    return problem, existing


def test_insert_job_takes_the_earliest_gap_and_moves_nothing_placed() -> None:
    problem, existing = _board()
    assert problem.request_job == 2
    inserted = insert_job(problem, existing, problem.request_job)
    assert inserted == {**PLANNED, REQUEST: (MILL, 120, 180)}
    assert violations(problem, inserted) == []


def test_insert_job_goes_after_the_planned_work_when_no_gap_is_long_enough() -> None:
    problem, existing = _board(request_minutes=180)
    inserted = insert_job(problem, existing, 2)
    assert inserted == {**PLANNED, REQUEST: (MILL, 360, 540)}
    assert violations(problem, inserted) == []


def test_insert_job_after_the_queue_skips_the_gaps() -> None:
    problem, existing = _board()
    inserted = insert_job(problem, existing, 2, after_queue=True)
    assert inserted == {**PLANNED, REQUEST: (MILL, 360, 420)}


def test_dispatch_reproduces_a_valid_plan() -> None:
    problem, _ = _board()
    assert dispatch(problem, skip_jobs=frozenset({REQUEST})) == PLANNED


def test_dispatch_shifts_work_right_around_a_pinned_job() -> None:
    problem, existing = _board()
    schedule = dispatch(problem, anchor=existing, pinned={REQUEST: (MILL, 0, 60)})
    # A moves behind the request; B, still free at 10:00, stays where it was.
    assert schedule == {REQUEST: (MILL, 0, 60), A: (MILL, 60, 180), B: (MILL, 240, 360)}
    assert schedule is not None and violations(problem, schedule) == []


def test_dispatch_stops_at_the_first_late_order_when_asked() -> None:
    problem, existing = _board(a_due="2026-12-07T08:00:00Z")
    pinned = {REQUEST: (MILL, 0, 60)}
    assert dispatch(problem, anchor=existing, pinned=pinned, stop_when_late=True) is None
    late = dispatch(problem, anchor=existing, pinned=pinned)
    assert late is not None and violations(problem, late) == ["order A late"]
