"""time_windows: each operation's earliest start and its working-time starts per work center."""

from __future__ import annotations

from typing import Any

import pytest

from scheduling.engine.domains import InfeasibleDomain, time_windows
from scheduling.engine.problem import Problem, build_problem
from tests.scheduling.engine.solver_boards import H, at, board, op

# "now" is Monday 06:00 (minute 0); the day shift runs to 22:00 (minute 960).


def _problem(*orders: dict[str, Any]) -> Problem:
    return build_problem(board(centers={"MILL": 1, "LATHE": 1}, orders=list(orders)))


def _order(order_id: str, due: int, *operations: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": order_id, "due": at(due), "operations": list(operations), **extra}


def _windows(
    problem: Problem, latest: dict[int, int], **kwargs: Any
) -> tuple[dict[int, int], dict[int, dict[int, tuple[int, int]]]]:
    """All tasks variable, the latest ends given per job."""
    return time_windows(problem, {}, {t.index for t in problem.tasks}, latest, **kwargs)


def test_a_routing_gets_heads_from_predecessors_and_tails_from_the_promise() -> None:
    # MILL 60 then LATHE 60, promised Monday 12:00 (minute 360).
    problem = _problem(_order("A", 360, op("10", "MILL", H), op("20", "LATHE", H)))
    mill, lathe = problem.machine_by_id["MILL"], problem.machine_by_id["LATHE"]
    earliest, ranges = _windows(problem, {0: 360})
    assert earliest == {0: 0, 1: H}
    assert ranges == {0: {mill: (0, 240)}, 1: {lathe: (H, 300)}}


def test_ranges_are_working_starts_on_the_calendar() -> None:
    # Released Monday 22:30 (after the shift): the first start is Tuesday 06:00. Promised
    # Tuesday 08:00 with 120 minutes: the latest start is Tuesday 06:00 too.
    problem = _problem(_order("A", 1560, op("10", "MILL", 2 * H), release=at(990)))
    earliest, ranges = _windows(problem, {0: 1560})
    assert earliest == {0: 990}  # the release itself; the range starts at working time
    assert ranges == {0: {problem.machine_by_id["MILL"]: (1440, 1440)}}
    # Promised Tuesday 07:00 instead: from Monday 06:00, the two hours may pause overnight
    # (one hour Monday 21:00-22:00, one Tuesday 06:00-07:00).
    problem = _problem(_order("B", 1500, op("10", "MILL", 2 * H)))
    _, ranges = _windows(problem, {0: 1500})
    assert ranges == {0: {problem.machine_by_id["MILL"]: (0, 900)}}


def test_each_alternative_work_center_gets_its_own_range() -> None:
    problem = _problem(_order("A", 360, op("10", ["MILL", "LATHE"], H)))
    _, ranges = _windows(problem, {0: 360})
    assert ranges == {
        0: {problem.machine_by_id["MILL"]: (0, 300), problem.machine_by_id["LATHE"]: (0, 300)}
    }


def test_a_task_outside_the_variable_set_stays_at_its_base_and_bounds_its_neighbours() -> None:
    problem = _problem(
        _order("A", 600, op("10", "MILL", H), op("20", "LATHE", H), op("30", "MILL", H))
    )
    lathe = problem.machine_by_id["LATHE"]
    mill = problem.machine_by_id["MILL"]
    base = {1: (lathe, 180, 240)}  # the LATHE operation sits at 09:00-10:00
    earliest, ranges = time_windows(problem, base, {0, 2}, {0: 600})
    assert earliest == {0: 0, 2: 240}  # after the frozen operation's end
    assert ranges == {0: {mill: (0, 120)}, 2: {mill: (240, 540)}}  # ends by its start
    assert 1 not in ranges


def test_min_start_only_restricts() -> None:
    problem = _problem(_order("A", 600, op("10", "MILL", H)))
    earliest, ranges = _windows(problem, {0: 600}, min_start={0: 200})
    assert earliest == {0: 200} and ranges == {0: {problem.machine_by_id["MILL"]: (200, 540)}}
    earliest, _ = _windows(problem, {0: 600}, min_start={0: -50})  # not before the release
    assert earliest == {0: 0}


def test_a_promise_no_start_can_keep_raises_for_that_job() -> None:
    problem = _problem(
        _order("A", 600, op("10", "MILL", H)),
        _order("B", H, op("10", "MILL", 2 * H)),  # two hours by 07:00
    )
    with pytest.raises(InfeasibleDomain) as raised:
        _windows(problem, {0: 600, 1: H})
    assert raised.value.job == 1
    # Only jobs given restrict: leaving B out (jobs=) gives A's windows.
    earliest, ranges = _windows(problem, {0: 600}, jobs=[problem.jobs[0]])
    assert earliest == {0: 0} and set(ranges) == {0}


def test_a_job_needs_a_latest_end() -> None:
    problem = _problem(_order("A", 600, op("10", "MILL", H)))
    with pytest.raises(ValueError, match="no latest end"):
        _windows(problem, {})


def test_a_job_missing_from_both_variable_and_base_is_left_out() -> None:
    problem = _problem(_order("A", 600, op("10", "MILL", H)), _order("B", 600, op("10", "MILL", H)))
    earliest, ranges = time_windows(problem, {}, {0}, {0: 600})
    assert earliest == {0: 0} and set(ranges) == {0}  # B neither modelled nor checked
