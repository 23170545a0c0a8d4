"""Time for one engine call: the limit, what is kept back for the answer, progress, cancel.

A quote must return within its time limit *including* building models in Python and verifying
the answer, so every phase asks the clock what is left, and model sizes adapt to it. With one
worker and a fixed seed the clock is virtual (advanced by CP-SAT's deterministic work and by
Python work priced from counts: operations modelled, relocations tried, schedules checked),
which makes every such decision, and so the answer, reproducible.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from scheduling.engine.calendars import to_instant
from scheduling.engine.problem import Problem

# Python-side model building cost (measured 0.15-0.3 ms per modelled operation), so that a solve
# is not started when building its model alone would overrun the time limit.
BUILD_SECONDS_PER_TASK = 0.0003
# Greedy dispatch cost per operation (a full-board repair or request-first attempt).
DISPATCH_SECONDS_PER_TASK = 0.00004
# One right-justifying pass over the board (``justify``), per operation (measured 4-6 us at
# 1,000-10,000 operations).
JUSTIFY_SECONDS_PER_TASK = 0.000008
# Relocating insertion, per planned operation taken out of its lane in a trial (measured
# 9-12 us on 1,000-3,000-operation boards): its work is capped by counting these, which keeps
# it within its share of the time and deterministic.
RELOCATION_SECONDS_PER_MOVE = 0.000015
# The engine's own rule check of a whole schedule (``problem.violations``), per operation
# (measured 3-4 us at 1,000-3,000 operations).
CHECK_SECONDS_PER_TASK = 0.000004
# Converting a board into the engine's problem, per operation, on an idle core.
BUILD_PROBLEM_SECONDS_PER_TASK = 0.00004
# Deterministic mode: CP-SAT work units granted per second of time limit. Measured on the
# engine's models with one worker: a solve that runs to its work limit takes 7-17 s of wall
# clock per work unit (presolve and loading come on top, charged per modelled operation with
# BUILD_SECONDS_PER_TASK). At 0.25, deterministic quotes took 1.5-3x their time limit; at
# 0.08, up to 1.4x at 5 s on 1,000 operations; at 0.06, up to 1.04x at 0.5-5 s.
WORK_PER_SECOND = 0.06


@dataclass(frozen=True)
class Progress:
    fraction: float  # 0..1 of the time limit used
    best_completion: datetime | None
    lower_bound: datetime | None
    phase: str  # "existing", "completion", "options", "disruption", "done"


class Clock:
    def __init__(
        self,
        time_limit: float,
        progress: Callable[[Progress], None] | None,
        cancel: Callable[[], bool] | None,
        now: datetime,
    ) -> None:
        self.started = time.monotonic()
        self.time_limit = max(0.05, time_limit)
        self.progress = progress
        self.cancel_fn = cancel
        self.now = now
        self.best: int | None = None
        self.lower: int | None = None
        self.cancelled = False
        self.deterministic = False  # set with workers == 1: solves get fixed work limits
        self.reserve = 0.0  # seconds kept back for assembling and verifying the answer
        self.virtual = 0.0

    def work_limit(self, share: float) -> float | None:
        """A deterministic work limit of ``share`` of the time limit, when determinism is on
        (WORK_PER_SECOND converts: CP-SAT's deterministic time runs well behind the wall
        clock on these models)."""
        return WORK_PER_SECOND * share * self.time_limit if self.deterministic else None

    def elapsed(self) -> float:
        """Seconds used. In deterministic mode a *virtual* clock that only counted work
        advances (``spent``, ``spent_seconds``), so that every decision taken on "time left"
        (window sizes, whether a phase still fits) is the same from run to run; the
        wall-clock limit is then only approximately respected."""
        if self.deterministic:
            return self.virtual
        return self.wall()

    def wall(self) -> float:
        return time.monotonic() - self.started

    def wall_limit(self, budget: float) -> float:
        """CP-SAT's wall-clock limit for a solve with ``budget`` seconds: in deterministic
        mode the work limit must strike first, so the wall limit is only a safety net."""
        return 4 * budget + 0.5 if self.deterministic else budget

    def spent(self, work: float, tasks: int = 0) -> None:
        """Account for a solve's deterministic work on the virtual clock, and for building,
        presolving and loading its model of ``tasks`` operations (counted, not timed)."""
        if self.deterministic:
            self.virtual += work / WORK_PER_SECOND + tasks * BUILD_SECONDS_PER_TASK

    def spent_seconds(self, seconds: float) -> None:
        """Account for Python work whose cost is estimated from a count (deterministic)."""
        if self.deterministic:
            self.virtual += seconds

    def remaining(self) -> float:
        return max(0.0, self.time_limit - self.reserve - self.elapsed())

    def keep_for_answer(self, problem: Problem) -> None:
        """Keep back the time that building and verifying an answer of this size takes, so
        a quote returns within its time limit. verify() costs ~0.1 ms per operation on an
        idle core; how long building the problem just took (~20 ms + 0.04 ms per operation
        when idle) tells how loaded the machine is, and the reserve grows with that. In
        deterministic mode the load is not looked at: every decision taken on the time left
        must be the same from run to run."""
        tasks = max(1, len(problem.tasks))
        slowdown = 1.0
        if not self.deterministic:
            slowdown = max(1.0, self.wall() / (0.02 + BUILD_PROBLEM_SECONDS_PER_TASK * tasks))
        self.reserve = min(0.6 * self.time_limit, 0.02 + 0.00015 * tasks * min(slowdown, 3.0))

    def is_cancelled(self) -> bool:
        if not self.cancelled and self.cancel_fn is not None and self.cancel_fn():
            self.cancelled = True
        return self.cancelled

    def report(self, phase: str, best: int | None = None, lower: int | None = None) -> None:
        if best is not None:
            self.best = best
        if lower is not None:
            self.lower = lower
        if self.progress is not None:
            self.progress(
                Progress(
                    fraction=min(1.0, self.elapsed() / self.time_limit),
                    best_completion=None if self.best is None else to_instant(self.best, self.now),
                    lower_bound=None if self.lower is None else to_instant(self.lower, self.now),
                    phase=phase,
                )
            )
