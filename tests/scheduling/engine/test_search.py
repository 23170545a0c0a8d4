"""The request's completion search (``scheduling.engine.search.CompletionSearch``).

The board of every test: MILL (capacity 1, day shift from Monday 06:00 = minute 0) holds A at
06:00-08:00 (minutes 0-120) and B at 08:00-10:00 (120-240); the request needs MILL for an hour.
Inserted into the plan's gaps it completes at 11:00 (minute 300).
"""

from __future__ import annotations

import pytest

from scheduling.engine import search
from scheduling.engine.budget import Clock
from scheduling.engine.problem import Problem, baseline_solution, build_problem, violations
from scheduling.engine.search import CompletionSearch, Level

from .solver_boards import FRIDAY, two_orders_on_mill

MONDAY_08 = "2026-12-07T08:00:00Z"
MONDAY_10 = "2026-12-07T10:00:00Z"
A, B, REQUEST = 0, 1, 2  # task indices: one task per job, in board order, the request last
MILL = 0


def _search(*, a_due: str = FRIDAY, b_due: str = FRIDAY) -> tuple[Problem, CompletionSearch]:
    board = two_orders_on_mill(a_due=a_due, b_due=b_due)
    problem = build_problem(board)
    existing = baseline_solution(problem)
    assert existing is not None
    clock = Clock(5.0, None, None, board.now)
    return problem, CompletionSearch(problem, existing, clock, workers=1, seed=0)


def test_the_search_starts_from_the_request_inserted_into_the_plans_gaps() -> None:
    _, completion_search = _search()
    assert completion_search.best == {
        A: (MILL, 0, 120),
        B: (MILL, 120, 240),
        REQUEST: (MILL, 240, 300),
    }
    assert completion_search.completion == 300


def test_levels_is_the_whole_problem_on_a_small_board() -> None:
    _, completion_search = _search()
    assert completion_search.levels() == [Level(None, False)]


def test_levels_are_windows_of_the_work_planned_before_the_completion_on_a_large_board(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Three movable operations count as "large" once FULL_MODEL_TASKS is below three.
    monkeypatch.setattr(search, "FULL_MODEL_TASKS", 2)
    _, completion_search = _search()
    # A and B (planned before 11:00), earliest first, later-only, then free, then the whole
    # board because it is still small enough to model at once.
    assert completion_search.levels() == [
        Level([A, B], True),
        Level([A, B], False),
        Level(None, False),
    ]
    monkeypatch.setattr(search, "WHOLE_BOARD_TASKS", 2)
    assert completion_search.levels() == [Level([A, B], True), Level([A, B], False)]
    completion_search.strategy = 1  # the work just before the completion first
    assert completion_search.levels() == [Level([B, A], False)]


def test_run_finds_and_proves_the_earliest_completion() -> None:
    problem, completion_search = _search()
    completion_search.run(deadline=5.0, share=0.5)
    assert completion_search.completion == 60
    assert completion_search.proven and completion_search.lower == 60
    assert completion_search.best is not None
    assert violations(problem, completion_search.best) == []


@pytest.mark.parametrize(
    ("a_due", "b_due", "earliest"),
    [(MONDAY_08, FRIDAY, 180), (MONDAY_08, MONDAY_10, 300)],
)
def test_run_never_makes_the_completion_later(a_due: str, b_due: str, earliest: int) -> None:
    problem, completion_search = _search(a_due=a_due, b_due=b_due)
    completion_search.run(deadline=5.0, share=0.5)
    # At best the request follows the orders due at once: 180 with A tight, 300 with both.
    assert completion_search.completion == earliest
    assert completion_search.best is not None
    assert completion_search.best[A] == (MILL, 0, 120)  # the tight order is not moved late
    assert violations(problem, completion_search.best) == []


def test_after_a_window_level_gains_the_next_one_is_cut_at_the_new_completion(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(search, "FULL_MODEL_TASKS", 2)
    problem, completion_search = _search()
    seen: list[set[int] | None] = []

    def level(self: CompletionSearch, window: set[int] | None, *args: object) -> None:
        seen.append(window)
        if len(seen) == 1:  # the later-only level: the request goes first, B moves behind it
            self.best = {A: (MILL, 60, 180), B: (MILL, 180, 300), REQUEST: (MILL, 0, 60)}

    monkeypatch.setattr(CompletionSearch, "solve_level", level)
    completion_search.run(deadline=5, share=0.5)
    assert violations(problem, completion_search.best or {}) == []
    # The free level gets the work planned before 07:00 in the new incumbent (none but the
    # request), not A and B, which the first window held.
    assert seen[0] == {A, B, REQUEST}
    assert seen[1] == {REQUEST}
    assert seen[2] is None  # the whole board, as before
