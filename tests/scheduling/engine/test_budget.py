"""Clock: the time limit, the reserve kept for the answer, the virtual clock, cancel, progress."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from scheduling.engine.budget import (
    BUILD_SECONDS_PER_TASK,
    WORK_PER_SECOND,
    Clock,
    Progress,
)
from scheduling.engine.problem import Problem, build_problem
from tests.scheduling.engine.solver_boards import FRIDAY, board, op

NOW = datetime(2026, 12, 7, 6, tzinfo=UTC)


def _clock(
    time_limit: float = 2.0, *, deterministic: bool = True, cancel: list[bool] | None = None
) -> Clock:
    """A clock; ``cancel`` (a one-item list) is the switch its cancel callback reads."""
    clock = Clock(time_limit, None, (lambda: cancel[0]) if cancel is not None else None, NOW)
    clock.deterministic = deterministic
    return clock


def _problem(operations: int) -> Problem:
    return build_problem(
        board(
            orders=[
                {"id": f"O{i}", "due": FRIDAY, "operations": [op("10", "MILL", 60)]}
                for i in range(operations)
            ]
        )
    )


def test_the_time_limit_has_a_floor_of_fifty_milliseconds() -> None:
    assert _clock(0.0).time_limit == 0.05
    assert _clock(-3).time_limit == 0.05
    assert _clock(1.5).time_limit == 1.5


def test_the_virtual_clock_counts_only_work_reported() -> None:
    clock = _clock(2.0)
    time.sleep(0.02)  # wall time passes, the virtual clock does not
    assert clock.elapsed() == 0.0 and clock.remaining() == 2.0
    clock.spent(0.03, tasks=100)  # 0.03 work units and a model of 100 operations
    expected = 0.03 / WORK_PER_SECOND + 100 * BUILD_SECONDS_PER_TASK
    assert clock.elapsed() == pytest.approx(expected)
    clock.spent_seconds(0.25)
    assert clock.elapsed() == pytest.approx(expected + 0.25)
    assert clock.remaining() == pytest.approx(2.0 - expected - 0.25)


def test_remaining_subtracts_the_reserve_and_never_goes_below_zero() -> None:
    clock = _clock(1.0)
    clock.reserve = 0.25
    clock.spent_seconds(0.5)
    assert clock.remaining() == pytest.approx(0.25)
    clock.spent_seconds(0.5)
    assert clock.remaining() == 0.0


def test_without_determinism_work_is_not_counted_and_the_wall_clock_runs() -> None:
    clock = _clock(2.0, deterministic=False)
    clock.spent(10.0, tasks=10_000)
    clock.spent_seconds(10.0)
    assert clock.elapsed() < 1.0  # only the (short) wall time, none of the work above
    time.sleep(0.02)
    assert clock.elapsed() >= 0.02 and clock.remaining() <= 2.0 - 0.02


def test_work_and_wall_limits_depend_on_determinism() -> None:
    deterministic, free = _clock(2.0), _clock(2.0, deterministic=False)
    assert deterministic.work_limit(0.5) == pytest.approx(WORK_PER_SECOND * 0.5 * 2.0)
    assert free.work_limit(0.5) is None
    # Deterministic: the work limit must strike first, the wall limit is a safety net.
    assert deterministic.wall_limit(0.25) == pytest.approx(4 * 0.25 + 0.5)
    assert free.wall_limit(0.25) == 0.25


def test_the_reserve_grows_with_the_board_and_the_machine_load_up_to_a_cap() -> None:
    clock = _clock(10.0, deterministic=False)
    problem = _problem(100)
    assert len(problem.tasks) == 100
    # Building "took" a second (a loaded machine): the slowdown is capped at 3.
    clock.started = time.monotonic() - 1.0
    clock.keep_for_answer(problem)
    assert clock.reserve == pytest.approx(0.02 + 0.00015 * 100 * 3)
    # No more than 60 % of a short time limit.
    short = _clock(0.05, deterministic=False)
    short.started = time.monotonic() - 1.0
    short.keep_for_answer(problem)
    assert short.reserve == pytest.approx(0.6 * 0.05)
    # An empty board counts as one operation.
    empty = _clock(10.0, deterministic=False)
    empty.started = time.monotonic() - 1.0
    empty.keep_for_answer(Problem(machines=[], tasks=[], jobs=[]))
    assert empty.reserve == pytest.approx(0.02 + 0.00015 * 3)


def test_a_deterministic_reserve_does_not_depend_on_the_machine_load() -> None:
    problem = _problem(100)
    idle, loaded = _clock(10.0), _clock(10.0)
    loaded.started = time.monotonic() - 1.0  # building "took" a second
    idle.keep_for_answer(problem)
    loaded.keep_for_answer(problem)
    assert idle.reserve == loaded.reserve == pytest.approx(0.02 + 0.00015 * 100)
    assert idle.remaining() == loaded.remaining()


def test_cancel_is_sticky_once_seen() -> None:
    switch = [False]
    clock = _clock(cancel=switch)
    assert clock.is_cancelled() is False and clock.cancelled is False
    switch[0] = True
    assert clock.is_cancelled() is True and clock.cancelled is True
    switch[0] = False  # the caller cannot take a cancel back
    assert clock.is_cancelled() is True
    assert _clock().is_cancelled() is False  # no callback: never cancelled


def test_progress_reports_the_fraction_used_and_the_best_and_bound_as_instants() -> None:
    seen: list[Progress] = []
    clock = Clock(2.0, seen.append, None, NOW)
    clock.deterministic = True
    clock.spent_seconds(0.5)
    clock.report("completion", best=120, lower=60)
    clock.report("options")  # keeps the last best and bound
    clock.spent_seconds(5.0)
    clock.report("done")
    assert [p.phase for p in seen] == ["completion", "options", "done"]
    assert seen[0].fraction == pytest.approx(0.25)
    assert seen[0].best_completion == NOW + timedelta(minutes=120)
    assert seen[0].lower_bound == NOW + timedelta(minutes=60)
    assert (seen[1].best_completion, seen[1].lower_bound) == (
        seen[0].best_completion,
        seen[0].lower_bound,
    )
    assert seen[2].fraction == 1.0  # capped at the whole time limit
    assert (clock.best, clock.lower) == (120, 60)
    quiet = _clock()
    quiet.report("done", best=5)  # no progress callback: only remembered
    assert quiet.best == 5 and quiet.lower is None
