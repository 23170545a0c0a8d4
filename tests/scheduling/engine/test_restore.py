"""restore_baseline: moved operations go back to the committed plan wherever that stays valid."""

from __future__ import annotations

from typing import Any

from scheduling.engine.problem import Problem, Solution, build_problem, violations
from scheduling.engine.restore import pulled_towards_plan, restore_baseline
from tests.scheduling.engine.solver_boards import DAY_SHIFT, board, op, request, row

# "now" is Monday 06:00 (minute 0); the day shift runs to 22:00 (minute 960).
H = 60


def _at(minute: int) -> str:
    return f"2026-12-07T{6 + minute // 60:02d}:{minute % 60:02d}:00Z"


def _problem(capacity: int = 1, **kwargs: Any) -> Problem:
    return build_problem(board(centers={"MILL": capacity, "LATHE": 1}, **kwargs))


def _task(problem: Problem, order: str, operation: str) -> int:
    return next(t.index for t in problem.tasks if (t.order, t.op) == (order, operation))


def _moved(problem: Problem, solution: Solution) -> set[tuple[str, str]]:
    return {
        (t.order, t.op)
        for t in problem.tasks
        if t.baseline is not None and (solution[t.index][0], solution[t.index][1]) != t.baseline
    }


def _place(problem: Problem, solution: Solution, order: str, operation: str, start: int) -> None:
    t = _task(problem, order, operation)
    machine = solution[t][0] if t in solution else problem.tasks[t].alts[0]
    solution[t] = problem.place(t, machine, start)


def _two_orders(**kwargs: Any) -> Problem:
    # A: MILL 08:00-09:00 then LATHE 09:00-10:00; B: MILL 10:00-11:00. Due Monday night.
    return _problem(
        orders=[
            {"id": "A", "due": _at(960), "operations": [op("10", "MILL", H), op("20", "LATHE", H)]},
            {"id": "B", "due": _at(960), "operations": [op("10", "MILL", H)]},
        ],
        schedule=[
            row("A", "10", "MILL", _at(2 * H), _at(3 * H)),
            row("A", "20", "LATHE", _at(3 * H), _at(4 * H)),
            row("B", "10", "MILL", _at(4 * H), _at(5 * H)),
        ],
        **kwargs,
    )


def _baseline(problem: Problem) -> Solution:
    solution: Solution = {}
    for task in problem.tasks:
        if task.baseline is not None:
            solution[task.index] = problem.place(task.index, *task.baseline)
    return solution


def test_a_needless_move_goes_back() -> None:
    problem = _two_orders()
    solution = _baseline(problem)
    _place(problem, solution, "B", "10", 6 * H)  # moved later for no reason
    restored, count = restore_baseline(problem, solution)
    assert count == 1 and _moved(problem, restored) == set()
    assert violations(problem, restored) == []


def test_a_whole_order_moved_later_or_earlier_goes_back_over_several_passes() -> None:
    problem = _two_orders()
    later = _baseline(problem)
    _place(problem, later, "A", "10", 5 * H)
    _place(problem, later, "A", "20", 6 * H)
    earlier = _baseline(problem)
    _place(problem, earlier, "A", "10", 0)
    _place(problem, earlier, "A", "20", H)
    for solution in (later, earlier):  # earlier: the last operation must go back first
        restored, count = restore_baseline(problem, solution)
        assert count == 2 and _moved(problem, restored) == set()


def test_a_slot_taken_by_the_request_stays_taken() -> None:
    problem = _two_orders(request=request([op("10", "MILL", H)]))
    solution = _baseline(problem)
    q = _task(problem, "Q-1", "10")
    solution[q] = problem.place(q, problem.machine_by_id["MILL"], 4 * H)
    _place(problem, solution, "B", "10", 5 * H)
    restored, count = restore_baseline(problem, solution)
    assert count == 0 and restored == solution and _moved(problem, restored) == {("B", "10")}


def test_capacity_two_takes_back_one_but_not_a_third() -> None:
    # C shares B's hour on the two-unit MILL in the plan; the request now takes that hour too.
    problem = _problem(
        capacity=2,
        orders=[
            {"id": "B", "due": _at(960), "operations": [op("10", "MILL", H)]},
            {"id": "C", "due": _at(960), "operations": [op("10", "MILL", H)]},
        ],
        schedule=[
            row("B", "10", "MILL", _at(4 * H), _at(5 * H)),
            row("C", "10", "MILL", _at(4 * H), _at(5 * H)),
        ],
        request=request([op("10", "MILL", H)]),
    )
    q = _task(problem, "Q-1", "10")
    solution = _baseline(problem)
    _place(problem, solution, "C", "10", 6 * H)
    solution[q] = problem.place(q, problem.machine_by_id["MILL"], 4 * H)
    _place(problem, solution, "B", "10", 5 * H)
    restored, count = restore_baseline(problem, solution)
    # One of B and C goes back beside the request; the other cannot (no third unit).
    assert count == 1 and len(_moved(problem, restored)) == 1
    assert violations(problem, restored) == []


def test_a_successor_that_cannot_go_back_holds_its_predecessor() -> None:
    # The request took A's LATHE hour; A's second operation moved before it, its first earlier.
    problem = _two_orders(request=request([op("10", "LATHE", H)]))
    q = _task(problem, "Q-1", "10")
    solution = _baseline(problem)
    solution[q] = problem.place(q, problem.machine_by_id["LATHE"], 3 * H)
    _place(problem, solution, "A", "10", 0)
    _place(problem, solution, "A", "20", H)
    assert restore_baseline(problem, solution) == (solution, 0)


def test_a_promise_blocks_the_way_back() -> None:
    # B is promised for the end of its planned hour; a stoppage since put inside that hour means
    # the planned start would now pause and finish late, so B stays where it was moved.
    calendar = {**DAY_SHIFT, "closed": [[_at(4 * H + 30), _at(4 * H + 40)]]}
    problem = _problem(
        orders=[{"id": "B", "due": _at(5 * H), "operations": [op("10", "MILL", H)]}],
        schedule=[row("B", "10", "MILL", _at(4 * H), _at(5 * H))],
        calendar=calendar,
    )
    solution = {_task(problem, "B", "10"): problem.place(_task(problem, "B", "10"), 0, 2 * H)}
    assert restore_baseline(problem, solution) == (solution, 0)


def _chain_on_the_mill(count: int) -> Problem:
    # One-hour orders O1..On back to back on the mill from 06:00, listed last first (so that
    # putting back one at a time in board order needs a pass per order), due Friday.
    orders = [
        {"id": f"O{k}", "due": "2026-12-11T22:00:00Z", "operations": [op("10", "MILL", H)]}
        for k in range(count, 0, -1)
    ]
    schedule = [
        row(f"O{k}", "10", "MILL", _at((k - 1) * H), _at(k * H)) for k in range(count, 0, -1)
    ]
    return _problem(orders=orders, schedule=schedule, request=request([op("10", "MILL", H)]))


def test_a_pushed_chain_is_pulled_back_to_the_plan_in_one_pass() -> None:
    problem = _chain_on_the_mill(6)
    assert problem.request_job is not None
    (req,) = problem.jobs[problem.request_job].tasks
    pushed = _baseline(problem)
    for k in range(1, 7):  # every order an hour later, the request after them
        _place(problem, pushed, f"O{k}", "10", k * H)
    pushed[req] = problem.place(req, 0, 7 * H)
    assert violations(problem, pushed) == []
    # One at a time, each order's planned hour is held by the one before it: four passes
    # put back only four of six.
    _, restored = restore_baseline(problem, pushed)
    assert restored == 4
    pulled = pulled_towards_plan(problem, pushed, {req})
    assert _moved(problem, pulled) == set() and violations(problem, pulled) == []
    assert pulled[req] == pushed[req]  # what is kept stays


def test_pulling_back_stops_at_the_request_and_moves_nothing_later() -> None:
    problem = _chain_on_the_mill(3)
    assert problem.request_job is not None
    (req,) = problem.jobs[problem.request_job].tasks
    solution = _baseline(problem)
    solution[req] = problem.place(req, 0, 0)  # the request first, the orders behind it
    for k in range(1, 4):  # two hours later than they need to be, in the plan's order
        _place(problem, solution, f"O{k}", "10", k * H + 2 * H)
    assert violations(problem, solution) == []
    pulled = pulled_towards_plan(problem, solution, {req})
    assert violations(problem, pulled) == [] and pulled[req] == solution[req]
    # O1 cannot have its planned hour (the request's); each goes to the earliest hour left.
    starts = {order: pulled[_task(problem, order, "10")][1] for order in ("O1", "O2", "O3")}
    assert starts == {"O1": H, "O2": 2 * H, "O3": 3 * H}
    assert all(pulled[t][1] <= solution[t][1] for t in solution)
