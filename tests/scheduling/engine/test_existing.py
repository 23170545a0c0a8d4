"""existing_schedule: the plan itself when it keeps every promise, else the least-late repair."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scheduling.engine.budget import Clock
from scheduling.engine.existing import Existing, existing_schedule, lateness
from scheduling.engine.problem import baseline_solution, build_problem, moved_count, violations
from tests.scheduling.engine.solver_boards import FRIDAY, NOW_UTC, H, at, board, op, request, row

if TYPE_CHECKING:
    from scheduling.engine.problem import Problem, Solution

# "now" is Monday 06:00 (minute 0); the day shift runs to 22:00 (minute 960).


def _mill_board(
    orders: dict[str, tuple[int, str]], planned: dict[str, int], **extra: Any
) -> Problem:
    """One MILL operation per order: ``orders`` maps an order to (minutes, due); ``planned``
    maps the orders with a plan to their planned start (minute)."""
    return build_problem(
        board(
            orders=[
                {"id": order, "due": due, "operations": [op("10", "MILL", minutes)]}
                for order, (minutes, due) in orders.items()
            ],
            schedule=[
                row(order, "10", "MILL", at(start), at(start + orders[order][0]))
                for order, start in planned.items()
            ],
            **extra,
        )
    )


def _existing(problem: Problem, cancel: bool = False) -> Existing:
    clock = Clock(1.0, None, (lambda: True) if cancel else None, NOW_UTC)
    clock.deterministic = True
    return existing_schedule(problem, clock, 1, 0, share=0.6)


def _spans(problem: Problem, solution: Solution | None) -> dict[str, tuple[int, int]]:
    assert solution is not None
    return {t.order: solution[t.index][1:] for t in problem.tasks if t.index in solution}


def test_a_plan_that_keeps_every_promise_is_returned_as_it_is() -> None:
    problem = _mill_board(
        {"A": (2 * H, FRIDAY), "B": (2 * H, FRIDAY)},
        {"A": 0, "B": 3 * H},
        request=request([op("10", "MILL", H)]),  # the request is left out
    )
    existing = _existing(problem)
    assert existing.solution == baseline_solution(problem)
    assert (existing.at_fault, existing.message, existing.least_late) == ([], "", None)
    assert _spans(problem, existing.solution) == {"A": (0, 2 * H), "B": (3 * H, 5 * H)}


def test_an_unplanned_order_goes_into_the_gaps_and_the_plan_does_not_move() -> None:
    # A is planned 08:00-10:00; C (no plan) fits before it and B (no plan) after.
    problem = _mill_board(
        {"A": (2 * H, FRIDAY), "B": (3 * H, FRIDAY), "C": (H, FRIDAY)}, {"A": 2 * H}
    )
    existing = _existing(problem)
    assert existing.solution is not None and existing.at_fault == []
    assert violations(problem, existing.solution) == []
    assert moved_count(problem, existing.solution) == 0
    assert _spans(problem, existing.solution) == {
        "A": (2 * H, 4 * H),
        "C": (0, H),
        "B": (4 * H, 7 * H),
    }


def test_a_broken_plan_is_repaired_keeping_every_promise() -> None:
    # A and B are both planned at 06:00 on the one-unit MILL; both are due Friday.
    problem = _mill_board({"A": (2 * H, FRIDAY), "B": (2 * H, FRIDAY)}, {"A": 0, "B": 0})
    planned = baseline_solution(problem)
    assert planned is not None and violations(problem, planned) == ["MILL over capacity"]
    existing = _existing(problem)
    assert existing.solution is not None and existing.at_fault == []
    assert violations(problem, existing.solution) == []
    assert lateness(problem, existing.solution) == (0, 0)
    assert moved_count(problem, existing.solution) == 1  # one of the two stays


def test_without_a_valid_schedule_the_least_late_repair_is_proven_and_named() -> None:
    # Five hours of MILL work planned at once; A (2 h) is due 08:00, C (1 h) 09:00, B (2 h)
    # 10:00. A, C, B leaves only B late, by an hour; any other order leaves more late.
    problem = _mill_board(
        {"A": (2 * H, at(2 * H)), "B": (2 * H, at(4 * H)), "C": (H, at(3 * H))},
        {"A": 0, "B": 0, "C": 0},
    )
    existing = _existing(problem)
    assert existing.solution is None
    assert existing.at_fault == ["B"]
    assert existing.message == "1 order(s) cannot keep their promise (proven): B"
    assert existing.least_late is not None
    assert violations(problem, existing.least_late) == ["order B late"]
    assert lateness(problem, existing.least_late) == (1, H)
    assert _spans(problem, existing.least_late) == {
        "A": (0, 2 * H),
        "C": (2 * H, 3 * H),
        "B": (3 * H, 5 * H),
    }


def test_cancelled_the_repair_still_returns_its_best_attempt_unnamed() -> None:
    problem = _mill_board(
        {"A": (2 * H, at(2 * H)), "B": (2 * H, at(4 * H)), "C": (H, at(3 * H))},
        {"A": 0, "B": 0, "C": 0},
    )
    existing = _existing(problem, cancel=True)
    assert (existing.solution, existing.at_fault, existing.message) == (None, [], "cancelled")
    assert existing.least_late is not None
    late, minutes = lateness(problem, existing.least_late)
    assert late >= 1 and minutes >= H  # never better than the optimum
    assert [v for v in violations(problem, existing.least_late) if "late" not in v] == []


def test_lateness_counts_late_orders_and_their_minutes_past_the_promise() -> None:
    # A is due 07:00 but planned to 08:00: the plan's own end counts as its promise.
    problem = _mill_board(
        {"A": (2 * H, at(H)), "B": (H, at(4 * H)), "C": (H, at(4 * H))},
        {"A": 0, "B": 2 * H, "C": 3 * H},
    )
    planned = baseline_solution(problem)
    assert planned is not None and lateness(problem, planned) == (0, 0)
    moved = dict(planned)
    for order, start in (("A", 4 * H), ("C", 5 * H)):
        t = next(t.index for t in problem.tasks if t.order == order)
        moved[t] = problem.place(t, moved[t][0], start)
    # A now ends at 12:00 (4 h past 08:00), C at 12:00 too (2 h past 10:00); B is on time.
    assert lateness(problem, moved) == (2, 4 * H + 2 * H)
