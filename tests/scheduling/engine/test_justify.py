"""justify: room for the request near now by pushing planned work as late as its promises allow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from scheduling.engine import constructive, quote, verify
from scheduling.engine import search as search_module
from scheduling.engine.budget import Clock
from scheduling.engine.dispatch import Lane, dispatch
from scheduling.engine.justify import latest_fit, request_at_bound
from scheduling.engine.problem import (
    Problem,
    Solution,
    baseline_solution,
    build_problem,
    moved_count,
    violations,
)
from scheduling.engine.search import CompletionSearch
from tests.scheduling.engine.solver_boards import board, op, request, row

# "now" is Monday 06:00 (minute 0); the day shift runs to 22:00 (minute 960).
H = 60
NOW = datetime(2026, 12, 7, 6, tzinfo=UTC)


def _at(minute: int) -> str:
    return (NOW + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _doc(a_due: int, **extra: Any) -> dict[str, Any]:
    # B (promised Monday 16:00) is planned first, A (promised 08:30) second: a forward plan
    # with A's slack used up. The request needs the mill for an hour.
    return dict(
        orders=[
            {"id": "B", "due": _at(600), "operations": [op("10", "MILL", H)]},
            {"id": "A", "due": _at(a_due), "operations": [op("10", "MILL", H)]},
            *extra.pop("orders", []),
        ],
        schedule=[
            row("B", "10", "MILL", _at(0), _at(H)),
            row("A", "10", "MILL", _at(H), _at(2 * H)),
            *extra.pop("schedule", []),
        ],
        request=request([op("10", "MILL", H)]),
        **extra,
    )


def _setup(a_due: int, **extra: Any) -> tuple[Problem, Solution, list[tuple[int, int, int]]]:
    problem = build_problem(board(**_doc(a_due, **extra)))
    planned = baseline_solution(problem)
    assert planned is not None and violations(problem, planned) == []
    assert problem.request_job is not None
    (task,) = problem.jobs[problem.request_job].tasks
    path = [problem.place(task, problem.tasks[task].alts[0], 0)]
    return problem, planned, path


def _placed(problem: Problem, solution: Solution, order: str) -> tuple[int, int]:
    t = next(t.index for t in problem.tasks if t.order == order)
    return solution[t][1], solution[t][2]


def test_latest_fit_ends_before_the_limit_and_the_lanes_work_pausing_overnight() -> None:
    wt = build_problem(board(orders=[])).machines[0].wt
    lane = Lane()
    # Two hours ending by Tuesday 07:00: one hour Monday 21:00-22:00, one Tuesday 06:00-07:00.
    assert latest_fit(wt, lane, 1500, 2 * H, 0) == (900, 1500)
    lane.add(1440, 1500)  # Tuesday 06:00-07:00 is taken: both hours on Monday evening
    assert latest_fit(wt, lane, 1500, 2 * H, 0) == (840, 960)
    assert latest_fit(wt, lane, 1500, 2 * H, 900) is None  # not before minute 900


def test_the_request_goes_first_when_a_loose_order_moves_behind_a_tight_one() -> None:
    problem, planned, path = _setup(a_due=150)
    pinned = dict(zip(problem.jobs[problem.request_job or 0].tasks, path, strict=True))
    # Shifting the plan right behind the request makes A late: the forward repair gives up.
    assert dispatch(problem, anchor=planned, pinned=pinned, stop_when_late=True) is None
    found = request_at_bound(problem, planned, path, afford=lambda: True)
    assert found is not None
    assert violations(problem, found) == []
    assert _placed(problem, found, "A")[1] <= 150
    assert _placed(problem, found, "B")[0] >= 2 * H  # B, the loose order, now goes last


def test_no_schedule_is_claimed_when_the_promises_leave_no_room() -> None:
    # A is planned first and promised for 07:00: the request cannot have the mill before it.
    problem = build_problem(
        board(
            orders=[{"id": "A", "due": _at(H), "operations": [op("10", "MILL", H)]}],
            schedule=[row("A", "10", "MILL", _at(0), _at(H))],
            request=request([op("10", "MILL", H)]),
        )
    )
    planned = baseline_solution(problem)
    assert planned is not None and problem.request_job is not None
    (task,) = problem.jobs[problem.request_job].tasks
    path = [problem.place(task, 0, 0)]
    assert request_at_bound(problem, planned, path, afford=lambda: True) is None


def test_work_planned_beyond_the_horizon_keeps_its_place() -> None:
    far = 12 * 24 * H  # Saturday of the next week is off: planned the Friday after, 06:00
    problem, planned, path = _setup(
        a_due=150,
        orders=[{"id": "C", "due": _at(far + 20 * 24 * H), "operations": [op("10", "MILL", H)]}],
        schedule=[row("C", "10", "MILL", _at(far - 24 * H), _at(far - 23 * H))],
    )
    found = request_at_bound(problem, planned, path, afford=lambda: True)
    assert found is not None
    assert _placed(problem, found, "C") == _placed(problem, planned, "C")


def test_a_pass_is_only_run_when_the_budget_affords_it() -> None:
    problem, planned, path = _setup(a_due=150)
    assert request_at_bound(problem, planned, path, afford=lambda: False) is None


def test_quote_reaches_the_bound_through_it_when_the_other_phases_find_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = []
    real = constructive.request_at_bound

    def spy(*args: Any, **kwargs: Any) -> Solution | None:
        found = real(*args, **kwargs)
        calls.append(found is not None)
        return found

    monkeypatch.setattr(constructive, "request_at_bound", spy)
    # The relocating and the justified insertions and the pinned CP-SAT model would find this
    # schedule too.
    for phase in ("try_relocation", "try_justified_insertion", "try_pinned"):
        monkeypatch.setattr(search_module.CompletionSearch, phase, lambda *a, **k: None)
    the_board = board(**_doc(a_due=150))
    answer = quote(the_board, time_limit=2, workers=1)
    assert calls == [True]
    assert answer.status == "promised" and answer.proven_optimal
    assert answer.completion == answer.lower_bound
    assert verify(the_board, answer) == []


def test_the_request_is_inserted_into_the_right_justified_plan_when_that_is_earlier() -> None:
    # A (promised 08:00) and B (promised 16:00) fill the mill from now: the request's
    # earliest gap is after them (08:00-09:00). B can wait: pushed as late as its promise
    # allows, it leaves the first hour free, and the request completes at 07:00.
    problem, planned, _ = _setup(a_due=2 * H)
    search = CompletionSearch(problem, planned, Clock(10, None, None, NOW), 1, 0)
    assert search.completion == 3 * H
    search.try_justified_insertion()
    assert search.completion == H
    assert search.best is not None and violations(problem, search.best) == []
    assert _placed(problem, search.best, "A") == (H, 2 * H)  # A had no slack: it stays
    assert _placed(problem, search.best, "B")[1] <= 600


def test_what_the_justified_insertion_moved_needlessly_goes_back_to_the_plan() -> None:
    # C, on the lathe, is in nobody's way: right-justifying pushes it towards its promise,
    # and it goes back to its planned hour before the schedule is taken.
    problem, planned, _ = _setup(
        a_due=2 * H,
        centers={"MILL": 1, "LATHE": 1},
        orders=[{"id": "C", "due": _at(900), "operations": [op("10", "LATHE", H)]}],
        schedule=[row("C", "10", "LATHE", _at(0), _at(H))],
    )
    search = CompletionSearch(problem, planned, Clock(10, None, None, NOW), 1, 0)
    search.try_justified_insertion()
    assert search.completion == H and search.best is not None
    assert _placed(problem, search.best, "C") == (0, H)
    assert moved_count(problem, search.best) == 1  # B, which made the room


def test_a_later_target_takes_the_incumbent_that_moved_least() -> None:
    problem, planned, _ = _setup(a_due=2 * H)
    search = CompletionSearch(problem, planned, Clock(10, None, None, NOW), 1, 0)
    first = search.best
    search.try_justified_insertion()
    assert search.completion == H and len(search.trail) == 2 and search.trail[0] is first
    # 09:00 is met by the first insertion, which moved nothing; 08:00 only by the second.
    assert search.fewest_moves(3 * H) == first
    chosen = search.fewest_moves(2 * H)
    assert chosen is not None and moved_count(problem, chosen) == 1
    assert search.fewest_moves(H - 1) is None
    assert search.fewest_moves(H) is search.best  # the incumbent itself, not a copy


def test_the_justified_insertion_is_skipped_when_the_time_left_cannot_pay_for_it() -> None:
    problem, planned, _ = _setup(a_due=2 * H)
    clock = Clock(10, None, None, NOW)
    clock.reserve = 10  # nothing left
    search = CompletionSearch(problem, planned, clock, 1, 0)
    search.try_justified_insertion()
    assert search.completion == 3 * H


def test_after_a_justified_insertion_the_later_only_window_counts_from_the_plan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An incumbent whose loose order B was pushed late (as the justified insertion does):
    # "later only" must still let B move back towards its planned start, or the window has
    # nothing to move.
    problem, planned, _ = _setup(a_due=2 * H)
    search = CompletionSearch(problem, planned, Clock(10, None, None, NOW), 1, 0)
    b = next(t.index for t in problem.tasks if t.order == "B")
    (task,) = problem.jobs[problem.request_job or 0].tasks
    incumbent = dict(planned)
    incumbent[b] = (planned[b][0], 540, 600)
    incumbent[task] = problem.place(task, problem.tasks[task].alts[0], 600)
    assert violations(problem, incumbent) == []
    search.best = incumbent  # later than the first insertion: set, not adopted
    seen: list[dict[int, int] | None] = []
    monkeypatch.setattr(search_module, "FULL_MODEL_TASKS", 0)
    monkeypatch.setattr(
        CompletionSearch, "solve_level", lambda self, window, min_start, *a: seen.append(min_start)
    )
    search.run(deadline=5, share=0.5)
    assert seen[0] is not None and seen[0][b] == planned[b][1] == 0
