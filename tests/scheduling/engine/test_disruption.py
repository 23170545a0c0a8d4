"""minimise_disruption: the fewest planned operations moved, the request's completion not later."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from scheduling.engine import disruption
from scheduling.engine.budget import Clock
from scheduling.engine.disruption import minimise_disruption
from scheduling.engine.problem import baseline_solution, build_problem, moved_count, violations
from scheduling.engine.search import CompletionSearch
from tests.scheduling.engine.solver_boards import FRIDAY, NOW_UTC, H, at, board, op, request, row

if TYPE_CHECKING:
    from scheduling.engine.problem import Problem, Solution

# "now" is Monday 06:00 (minute 0); the day shift runs to 22:00 (minute 960).


def _setup(
    b_planned: int, placed: dict[str, int], *, cancel: bool = False
) -> tuple[Problem, Solution, CompletionSearch, Clock]:
    """A (2 h, planned 06:00) and B (2 h, planned at ``b_planned``) on the one MILL, both due
    Friday, and a one-hour request on MILL; ``placed`` gives the start of each of A, B and the
    request ("Q-1") in the schedule to improve (the others stay at their plan)."""
    problem = build_problem(
        board(
            orders=[
                {"id": "A", "due": FRIDAY, "operations": [op("10", "MILL", 2 * H)]},
                {"id": "B", "due": FRIDAY, "operations": [op("10", "MILL", 2 * H)]},
            ],
            schedule=[
                row("A", "10", "MILL", at(0), at(2 * H)),
                row("B", "10", "MILL", at(b_planned), at(b_planned + 2 * H)),
            ],
            request=request([op("10", "MILL", H)]),
        )
    )
    clock = Clock(1.0, None, (lambda: True) if cancel else None, NOW_UTC)
    clock.deterministic = True
    existing = baseline_solution(problem)
    assert existing is not None
    search = CompletionSearch(problem, existing, clock, 1, 0)
    best = dict(existing)
    for t in problem.tasks:
        if t.order in placed:
            best[t.index] = problem.place(t.index, t.alts[0], placed[t.order])
    assert violations(problem, best) == []
    return problem, best, search, clock


def _completion(problem: Problem, solution: Solution) -> int:
    assert problem.request_job is not None
    return solution[problem.jobs[problem.request_job].tasks[-1]][2]


def _minimised(
    problem: Problem,
    best: Solution,
    search: CompletionSearch,
    clock: Clock,
    completion_at_most: int | None = None,
    free_request: bool = False,
) -> Solution:
    result = minimise_disruption(
        problem,
        best,
        search,
        clock,
        1,
        0,
        completion_at_most=completion_at_most,
        free_request=free_request,
    )
    assert violations(problem, result) == []
    return result


def test_a_needless_move_goes_back() -> None:
    # The request runs 10:00-11:00 after A and B, and B was moved to 11:00 for nothing.
    problem, best, search, clock = _setup(2 * H, {"Q-1": 4 * H, "B": 5 * H})
    result = _minimised(problem, best, search, clock)
    assert moved_count(problem, result) == 0
    assert _completion(problem, result) == 5 * H


def test_the_model_moves_fewer_than_the_schedule_it_was_given() -> None:
    # The request runs first (06:00-07:00), pushing A to 07:00 and B to 09:00: neither can
    # simply go back. Keeping the completion, A alone can move (after B): one move, not two.
    problem, best, search, clock = _setup(2 * H, {"Q-1": 0, "A": H, "B": 3 * H})
    assert moved_count(problem, best) == 2
    result = _minimised(problem, best, search, clock)
    assert _completion(problem, result) == H
    assert moved_count(problem, result) == 1
    a, b = (next(t.index for t in problem.tasks if t.order == o) for o in "AB")
    assert result[b][1] == 2 * H and result[a][1] >= 4 * H  # B at its plan, A after it


def test_an_earlier_completion_moving_less_is_taken_unless_the_completion_is_kept() -> None:
    # The plan leaves 08:00-09:00 free (B at 09:00); the request was put at 09:00-10:00,
    # moving B. It may end earlier (08:00-09:00) and move nothing ...
    problem, best, search, clock = _setup(3 * H, {"Q-1": 3 * H, "B": 4 * H})
    assert _completion(problem, best) == 4 * H
    result = _minimised(problem, best, search, clock)
    assert _completion(problem, result) == 3 * H and moved_count(problem, result) == 0
    # ... but a completion already quoted is kept exactly, at the cost of moving B.
    problem, best, search, clock = _setup(3 * H, {"Q-1": 3 * H, "B": 4 * H})
    search.keep_completion = True
    result = _minimised(problem, best, search, clock)
    assert _completion(problem, result) == 4 * H and moved_count(problem, result) == 1


def test_completion_at_most_lets_the_request_end_later_to_move_nothing() -> None:
    problem, best, search, clock = _setup(2 * H, {"Q-1": 0, "A": H, "B": 3 * H})
    # Allowed to end by 11:00, the request goes after B's plan (10:00-11:00), nothing moved.
    result = _minimised(problem, best, search, clock, completion_at_most=5 * H)
    assert _completion(problem, result) == 5 * H and moved_count(problem, result) == 0
    # By 10:30 it cannot get past B: A moves again, but the completion stays at or before 10:30.
    problem, best, search, clock = _setup(2 * H, {"Q-1": 0, "A": H, "B": 3 * H})
    result = _minimised(problem, best, search, clock, completion_at_most=4 * H + 30)
    assert _completion(problem, result) <= 4 * H + 30 and moved_count(problem, result) == 1


def test_cancelled_only_what_can_simply_go_back_goes_back() -> None:
    problem, best, search, clock = _setup(2 * H, {"Q-1": 4 * H, "B": 5 * H}, cancel=True)
    assert moved_count(problem, _minimised(problem, best, search, clock)) == 0
    # No model runs cancelled: a schedule only CP-SAT could improve comes back as it is.
    problem, best, search, clock = _setup(2 * H, {"Q-1": 0, "A": H, "B": 3 * H}, cancel=True)
    assert _minimised(problem, best, search, clock) == best


def test_completion_at_most_frees_the_request_where_it_could_go(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # X (2 h on the LATHE, planned 06:00) was pushed to 07:00 by the request's first
    # operation (LATHE 06:00-07:00); its second runs on the MILL 07:00-08:00. On a board too
    # large to optimise whole, the disruption model frees the moved work and what shares its
    # work center while it runs: the request's LATHE operation, not its MILL one, which held
    # the first in place. Allowed to end by 11:00 and freed (an improvement round), the
    # request's work centers are free up to then, so it goes after X (LATHE 08:00-09:00, MILL
    # 09:00-10:00) and nothing moves.
    monkeypatch.setattr(disruption, "FULL_MODEL_TASKS", 0)
    problem = build_problem(
        board(
            centers={"LATHE": 1, "MILL": 1},
            orders=[{"id": "X", "due": FRIDAY, "operations": [op("10", "LATHE", 2 * H)]}],
            schedule=[row("X", "10", "LATHE", at(0), at(2 * H))],
            request=request([op("10", "LATHE", H), op("20", "MILL", H)]),
        )
    )
    existing = baseline_solution(problem)
    assert existing is not None

    def pushed() -> tuple[Solution, CompletionSearch, Clock]:
        clock = Clock(1.0, None, None, NOW_UTC)
        clock.deterministic = True
        best = dict(existing)
        starts = {("X", "10"): H, ("Q-1", "10"): 0, ("Q-1", "20"): H}
        for t in problem.tasks:
            best[t.index] = problem.place(t.index, t.alts[0], starts[t.order, t.op])
        assert violations(problem, best) == []
        return best, CompletionSearch(problem, existing, clock, 1, 0), clock

    best, search, clock = pushed()
    assert moved_count(problem, best) == 1
    kept = _minimised(problem, best, search, clock)
    assert moved_count(problem, kept) == 1  # the completion kept: X stays pushed
    best, search, clock = pushed()
    held = _minimised(problem, best, search, clock, completion_at_most=5 * H)
    assert moved_count(problem, held) == 1  # allowed to end later, but held in place
    best, search, clock = pushed()
    result = _minimised(problem, best, search, clock, completion_at_most=5 * H, free_request=True)
    assert moved_count(problem, result) == 0
    assert _completion(problem, result) <= 5 * H
