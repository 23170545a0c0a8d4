"""The CP-SAT model (``scheduling.engine.cpmodel``): domains, fixed occupations, pauses.

Boards are on the day shift (06:00-22:00 Monday to Friday, minute 0 = Monday 06:00, see
``solver_boards``): a night between two shifts is 480 minutes long.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from scheduling.engine import cpmodel, load_board
from scheduling.engine.cpmodel import InfeasibleDomain, ScheduleModel, _fixed_profile, time_windows
from scheduling.engine.problem import Problem, build_problem, violations

from .solver_boards import FRIDAY, H, at, board, doc, op, row

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


def _earliest_end(problem: Problem, job: int, base: dict[int, Any] | None = None) -> Any:
    """Minimise ``job``'s end with every other task of ``base`` fixed (all variable if none)."""
    base = base or {}
    variable = {t.index for t in problem.tasks if t.index not in base}
    latest = {j.index: j.deadline or 10**6 for j in problem.jobs}
    model = ScheduleModel(problem, base, variable, latest)
    model.minimize_job_end(job)
    return model, model.solve(time_limit=10.0, workers=1, seed=0)


def test_one_calendar_counts_working_minutes_and_answers_in_minutes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every work center on the day shift: the model counts time in its working minutes, so
    # the 1,200-minute operation has one size (no choice of pause); its answer, objective and
    # bound come back as minutes on the wall clock, the same as the pause-size model's.
    problem = _one_order(FRIDAY, op("10", "MILL", 1200), op("20", "MILL", 60))
    model, result = _earliest_end(problem, 0)
    assert model.axes is not None and isinstance(model.vars[0].size, int)
    assert result.optimal and result.objective == 1740 and result.bound == 1740
    assert result.solution == {0: (MILL, 0, 1680), 1: (MILL, 1680, 1740)}
    monkeypatch.setattr(cpmodel, "WORKING_AXIS", False)
    plain, same = _earliest_end(problem, 0)
    assert plain.axes is None and not isinstance(plain.vars[0].size, int)
    assert same.solution == result.solution and same.objective == result.objective


def test_an_end_required_in_minutes_holds_on_the_working_axis() -> None:
    # Ending exactly at Tuesday 08:00 (minute 1,560): the 120-minute operation starts
    # Tuesday 06:00, not in the night before.
    problem = _one_order(FRIDAY, op("10", "MILL", 120))
    model = ScheduleModel(problem, {}, {0}, {0: problem.jobs[0].deadline or 0})
    model.require_end(0, 1560)
    result = model.solve(time_limit=5.0, workers=1, seed=0)
    assert result.solution == {0: (MILL, 1440, 1560)}


def _two_calendars(orders: list[dict[str, Any]], **kwargs: Any) -> Problem:
    """MILL on the day shift, LATHE round the clock, DRILL (capacity 2) on the day shift."""
    document = doc(centers={"MILL": 1, "LATHE": 1, "DRILL": 2}, orders=orders, **kwargs)
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    document["calendars"]["always"] = {
        "timezone": "UTC",
        "weekly": {day: [["00:00", "24:00"]] for day in days},
    }
    document["work_centers"][1]["calendar"] = "always"
    return build_problem(load_board(document))


@pytest.fixture
def cross_calendar(monkeypatch: pytest.MonkeyPatch) -> None:
    """Several calendars on the working-minute axes (off by default: no faster measured)."""
    monkeypatch.setattr(cpmodel, "CROSS_CALENDAR_AXES", True)


def test_several_calendars_keep_pause_dependent_sizes_by_default() -> None:
    problem = _two_calendars(
        [{"id": "A", "due": FRIDAY, "operations": [op("10", "LATHE", 1200), op("20", "MILL", 60)]}]
    )
    model, result = _earliest_end(problem, 0)
    assert model.axes is None
    assert result.solution == {0: (1, 0, 1200), 1: (0, 1440, 1500)}


@pytest.mark.usefixtures("cross_calendar")
def test_two_calendars_count_each_operation_on_its_own() -> None:
    # 1,200 minutes on the round-the-clock LATHE end Monday 02:00 (minute 1,200) with no
    # pause; then 60 minutes on the day-shift MILL: the routing crosses calendars, so the
    # MILL operation waits for its shift, Tuesday 06:00 (minute 1,440).
    problem = _two_calendars(
        [{"id": "A", "due": FRIDAY, "operations": [op("10", "LATHE", 1200), op("20", "MILL", 60)]}]
    )
    model, result = _earliest_end(problem, 0)
    assert model.axes is not None and model.axes[0] is not model.axes[1]
    assert result.optimal and result.solution == {0: (1, 0, 1200), 1: (0, 1440, 1500)}
    assert result.objective == 1500 and result.bound == 1500


@pytest.mark.usefixtures("cross_calendar")
def test_alternatives_on_two_calendars_keep_pause_dependent_sizes() -> None:
    problem = _two_calendars(
        [{"id": "A", "due": FRIDAY, "operations": [op("10", ["MILL", "LATHE"], 1200)]}]
    )
    model, result = _earliest_end(problem, 0)
    assert model.axes is None
    assert result.solution == {0: (1, 0, 1200)}  # round the clock is sooner


@pytest.mark.parametrize("seed", range(6))
def test_both_time_axes_find_the_same_optimum(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # Small random shops on the day shift (operations spanning nights and weekends, a work
    # center of capacity 2, alternatives, planned work held fixed): the working-minute model
    # and the pause-size model prove the same earliest end of an order, and both schedules
    # are valid.
    rng = random.Random(seed)
    centers = ["MILL", "LATHE", "DRILL"]
    orders = []
    schedule = []
    for k in range(4):
        operations = []
        for n in range(rng.randint(1, 3)):
            center = rng.choice(centers)
            alternatives = [center] if rng.random() < 0.6 else centers[:2]
            operations.append(op(f"{10 * (n + 1)}", alternatives, rng.choice([90, 400, 1100])))
        orders.append({"id": f"O{k}", "due": "2026-12-25T22:00:00Z", "operations": operations})
    # One planned order, fixed in the model: 10 hours on the DRILL from Monday 10:00.
    orders.append({"id": "P", "due": FRIDAY, "operations": [op("10", "DRILL", 600)]})
    schedule.append(row("P", "10", "DRILL", at(4 * H), at(4 * H + 600)))
    document = doc(centers={"MILL": 1, "LATHE": 2, "DRILL": 1}, orders=orders, schedule=schedule)
    problem = build_problem(load_board(document))
    planned = next(t for t in problem.tasks if t.order == "P")
    base = {planned.index: (2, 4 * H, 4 * H + 600)}
    results = []
    for axis in (True, False):
        monkeypatch.setattr(cpmodel, "WORKING_AXIS", axis)
        variable = {t.index for t in problem.tasks if t.index not in base}
        latest = {j.index: j.deadline or 10**6 for j in problem.jobs}
        model = ScheduleModel(problem, base, variable, latest)
        assert (model.axes is not None) == axis
        model.minimize_job_end(seed % 4)
        result = model.solve(time_limit=20.0, workers=1, seed=0)
        assert result.optimal and result.solution is not None
        assert violations(problem, result.solution) == []
        assert result.bound is not None and result.bound <= (result.objective or 0) + 1e-6
        results.append(result.objective)
    assert results[0] == results[1]


@pytest.mark.usefixtures("cross_calendar")
@pytest.mark.parametrize("seed", range(6))
def test_both_time_axes_agree_across_two_calendars(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Routings that cross from the day shift to round the clock and back, a planned order
    # held fixed, a work center of capacity 2: the same earliest end on both axes.
    rng = random.Random(100 + seed)
    orders = []
    for k in range(4):
        operations = [
            op(
                f"{10 * (n + 1)}",
                rng.choice(["MILL", "LATHE", "DRILL"]),
                rng.choice([90, 400, 1100]),
            )
            for n in range(rng.randint(2, 3))
        ]
        orders.append({"id": f"O{k}", "due": "2026-12-25T22:00:00Z", "operations": operations})
    orders.append({"id": "P", "due": FRIDAY, "operations": [op("10", "LATHE", 600)]})
    problem = _two_calendars(orders, schedule=[row("P", "10", "LATHE", at(4 * H), at(4 * H + 600))])
    planned = next(t for t in problem.tasks if t.order == "P")
    base = {planned.index: (1, 4 * H, 4 * H + 600)}
    results = []
    for axis in (True, False):
        monkeypatch.setattr(cpmodel, "WORKING_AXIS", axis)
        model, result = _earliest_end(problem, seed % 4, base)
        assert (model.axes is not None) == axis
        assert not axis or model.crossings  # some routing steps change calendar
        assert result.optimal and result.solution is not None
        assert violations(problem, result.solution) == []
        assert result.bound is not None and result.bound <= (result.objective or 0) + 1e-6
        results.append(result.objective)
    assert results[0] == results[1]
