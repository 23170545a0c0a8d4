"""The request's completion: the search behind ``quote`` (the existing schedule is existing.py's,
moving less disruption.py's, capacity options options.py's).

Every step starts from a valid schedule and only ever replaces it by another valid one; the
models it builds are restrictions of the problem (windows, frozen work, "later only") except
where it says so, and it only reports a lower bound that holds for the whole problem.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scheduling.engine.budget import BUILD_SECONDS_PER_TASK, Clock
from scheduling.engine.constructive import ConstructivePhases
from scheduling.engine.cpmodel import ScheduleModel
from scheduling.engine.dispatch import insert_job
from scheduling.engine.domains import InfeasibleDomain
from scheduling.engine.problem import Placement, Problem, Solution, moved_count
from scheduling.engine.restore import restore_baseline

# Boards with at most this many movable operations are optimised whole from the start: the
# model is small enough that CP-SAT's bound is then a bound for the whole problem.
FULL_MODEL_TASKS = 250
# Up to this many operations the request is also inserted by relocating planned work (about
# 10-80 ms at 1,000 operations; on larger boards it costs more than it finds).
RELOCATION_TASKS = 3000
# Beyond this many movable operations the whole board is never modelled at once (CP-SAT's
# presolve alone would eat the time limit); windows around the request are.
WHOLE_BOARD_TASKS = 3000
MAX_WINDOW_TASKS = 1500
# Share of the time limit for finding the best completion when options are evaluated too,
# and for the options themselves (the rest goes to minimising disruption). At 0.15 for the
# options, a 1 s demo quote left each of its four options ~20 ms and none showed a gain; at
# 0.3 the two on the bottleneck show a day each, and the 1k bench's completions do not change.
PHASE1_SHARE = 0.5
OPTIONS_SHARE = 0.3
# Pinning the request on its lower-bound path: windows (minutes either side of the path) in
# which existing work may move to make room, and the share of the time limit they may use.
PINNED_WINDOWS = (480, 1440)
PINNED_SHARE = 0.35
# After a window level brings the completion earlier, the levels that follow get windows cut
# at the new completion (less work before it: faster to build and to search). Measured at 10 s,
# seeds 0 and 1, without / with: p6 1.42 / 0.62 and 2.62 / 0.62 (below the best known lead),
# p5 1.39 / 1.15 and 1.39 / 1.39, p2-p4 within the run-to-run spread (docs/benchmarks-search.md).
ADAPTIVE_LEVELS = True
# Incumbents kept for ``fewest_moves`` (the oldest after the first are dropped beyond this).
TRAIL_LENGTH = 40


# -- the request's completion -----------------------------------------------------------------
class CompletionSearch(ConstructivePhases):
    """Minimise the request's completion (or, without a request, just hold a schedule); the
    constructive phases (relocation, request first, right-justified) are ConstructivePhases'."""

    def __init__(
        self, problem: Problem, existing: Solution, clock: Clock, workers: int, seed: int
    ) -> None:
        self.problem = problem
        self.clock = clock
        self.workers = workers
        self.seed = seed
        self.request = problem.request_job
        # Every incumbent in turn (``best``'s setter): a requested date later than the best
        # completion may be kept by an earlier one that moved far less (``fewest_moves``).
        self.trail: list[Solution] = []
        self._best: Solution | None = None
        self.proven = False
        self.lower = 0
        self.variable: set[int] | None = None  # last window searched
        # The request's completion is given (a promise already quoted): the disruption phase
        # keeps it exactly instead of taking an earlier one that moves fewer operations.
        self.keep_completion = False
        # Which neighbourhoods `levels` searches (STRATEGIES): a portfolio of quotes runs
        # several at once, 0 is the default.
        self.strategy = 0
        if self.request is None:
            self.best: Solution | None = existing
            return
        self.best = insert_job(problem, existing, self.request)
        self.existing = existing
        self._by_machine: dict[int, list[int]] | None = None

    def on_machine(self, machine: int) -> list[int]:
        """Tasks placed on ``machine`` in the incumbent (or in the existing schedule)."""
        if self._by_machine is None:
            self._by_machine = {}
            assert self.best is not None
            for t, (m, _, _) in self.best.items():
                self._by_machine.setdefault(m, []).append(t)
            for t, (m, _, _) in self.existing.items():
                if self.best.get(t, (None,))[0] != m:
                    self._by_machine.setdefault(m, []).append(t)
        return self._by_machine.get(machine, [])

    def try_pinned(self, path: list[Placement], deadline: float) -> None:
        """Pin the request on its lower-bound path and let CP-SAT move the existing work
        around it, in growing time windows around the path (work outside stays put).

        The window is a restriction, but the target is the *global* lower bound: a schedule
        found here is optimal, whatever was frozen. Each window's model is small (the work
        planned near the request's path), so this usually settles a quote in well under a
        second when the request can go straight through.
        """
        if self.request is None or self.best is None:
            return
        problem = self.problem
        tasks = problem.jobs[self.request].tasks
        pinned = dict(zip(tasks, path, strict=True))
        base = dict(self.existing)
        base.update(pinned)
        hull_lo = min(start for _, start, _ in path)
        hull_hi = max(end for _, _, end in path)
        movable = [t.index for t in problem.tasks if t.fixed is None and t.index in self.existing]
        latest = {j.index: j.deadline for j in problem.jobs if j.deadline is not None}
        baseline = {
            t.index: t.baseline for t in problem.tasks if t.baseline is not None and t.fixed is None
        }
        previous = -1
        for width in PINNED_WINDOWS:
            lo, hi = hull_lo - width, hull_hi + width
            variable = {t for t in movable if self.existing[t][1] < hi and self.existing[t][2] > lo}
            if len(variable) == previous:
                continue
            previous = len(variable)
            budget = deadline - self.clock.elapsed()
            if budget < 3 * BUILD_SECONDS_PER_TASK * len(variable) + 0.05:
                return
            try:
                model = ScheduleModel(problem, base, variable, latest)
            except InfeasibleDomain:
                continue
            # Least disruption of the board's plan among the schedules that reach the bound.
            model.minimize_disruption({t: b for t, b in baseline.items() if t in variable})
            budget = deadline - self.clock.elapsed()
            if budget <= 0.02:
                return
            result = model.solve(
                time_limit=self.clock.wall_limit(budget),
                workers=self.workers,
                seed=self.seed,
                cancel=self.clock.is_cancelled,
                deterministic_limit=self.clock.work_limit(PINNED_SHARE / len(PINNED_WINDOWS)),
            )
            self.clock.spent(result.work, len(model.vars))
            if result.solution is not None:
                self.best = result.solution
                self.proven = (self.completion or 0) <= self.lower
                return
            if result.status != "INFEASIBLE" or self.clock.is_cancelled():
                return  # out of time in this window: a wider one would not fare better

    def adopt(self, solution: Solution) -> None:
        """Take a valid ``solution`` (checked by the caller) as the incumbent if it completes
        the request earlier."""
        if self.request is None:
            return
        final = self.problem.jobs[self.request].tasks[-1]
        if self.best is None or solution[final][2] < (self.completion or 0):
            self.best = solution
            self._by_machine = None

    @property
    def best(self) -> Solution | None:
        """The incumbent: the schedule with the earliest completion found so far."""
        return self._best

    @best.setter
    def best(self, solution: Solution | None) -> None:
        self._best = solution
        if solution is not None and self.request is not None:
            if len(self.trail) >= TRAIL_LENGTH:
                del self.trail[1]  # the first (nothing moved) stays
            self.trail.append(solution)

    def fewest_moves(self, target: int) -> Solution | None:
        """Of the incumbents found whose request completes by ``target``, the one that moves
        the fewest planned operations once what can go back has gone back (``restore``); the
        incumbent itself (``best``, not a copy) when it is that one."""
        if self.request is None:
            return None
        final = self.problem.jobs[self.request].tasks[-1]
        chosen: tuple[int, int, Solution] | None = None
        for k, solution in enumerate(self.trail):
            if solution[final][2] > target:
                continue
            restored, _ = restore_baseline(self.problem, solution)
            moved = moved_count(self.problem, restored)
            if chosen is None or (moved, -k) < (chosen[0], -chosen[1]):
                chosen = (moved, k, restored)
        if chosen is None:
            return None
        if chosen[1] == len(self.trail) - 1 and self.trail[-1] is self.best:
            return self.best  # the incumbent itself (its moves are minimised after)
        return chosen[2]

    @property
    def completion(self) -> int | None:
        if self.best is None or self.request is None:
            return None
        return self.best[self.problem.jobs[self.request].tasks[-1]][2]

    def levels(self) -> list[Level]:
        """Growing neighbourhoods of the incumbent to re-optimise, the whole problem last.

        Small boards are optimised whole at once (the bound is then global). On larger ones
        CP-SAT first gets the work planned before the incumbent's completion, allowed only to
        move later (within its promise): small domains, fast to build and to search; then the
        same window free to move both ways; the whole board only while it stays tractable.
        Windows list their operations earliest planned first, so that ``run`` can cut them to
        what the time left allows.
        """
        problem, best = self.problem, self.best
        assert best is not None and self.request is not None
        movable = [t for t in problem.tasks if t.fixed is None]
        if len(movable) <= FULL_MODEL_TASKS:
            return [Level(None, False)]
        completion = self.completion or 0
        request_tasks = set(problem.jobs[self.request].tasks)
        early = [
            t
            for _, t in sorted(
                (best[t.index][1], t.index)
                for t in movable
                if best[t.index][1] < completion and t.index not in request_tasks
            )
        ]
        if self.strategy == 1:
            # The work planned just before the request's completion first (what holds it
            # back), free to move both ways: the time left cuts the window from the far end.
            return [Level(early[::-1][:MAX_WINDOW_TASKS], False)]
        if self.strategy == 2:
            # One free window, the earliest-planned work first, with all the time.
            return [Level(early[:MAX_WINDOW_TASKS], False)]
        window = early[:MAX_WINDOW_TASKS]
        levels = [Level(window, True), Level(window, False)]
        if len(movable) <= WHOLE_BOARD_TASKS:
            levels.append(Level(None, False))
        return levels

    def run(self, *, deadline: float, share: float) -> None:
        if self.request is None or self.best is None:
            return
        if deadline - self.clock.elapsed() <= BUILD_SECONDS_PER_TASK * 50 + 0.03:
            return  # not even a small model fits in the time left
        levels = self.levels()
        request_tasks = self.problem.jobs[self.request].tasks
        count = len(levels)
        k = 0
        while k < len(levels):
            level = levels[k]
            k += 1
            if self.proven or self.clock.is_cancelled():
                return
            budget = deadline - self.clock.elapsed()
            # Building the model may take at most a third of the time left: cut the window
            # to its earliest-planned operations when needed.
            affordable = int((budget - 0.03) / (3 * BUILD_SECONDS_PER_TASK))
            if level.window is None:
                if len(self.problem.tasks) > affordable:
                    continue
                variable = None
                min_start = None
            else:
                if affordable < 20:
                    return
                chosen = level.window[:affordable]
                variable = set(chosen) | set(request_tasks)
                # "Later" than the plan (or the incumbent, where that is earlier): an incumbent
                # whose work was right-justified would otherwise leave nothing to move.
                min_start = (
                    {t: min(self.best[t][1], self.existing.get(t, self.best[t])[1]) for t in chosen}
                    if level.later_only
                    else None
                )
            before = self.completion
            self.solve_level(variable, min_start, deadline, self.clock.work_limit(share / count))
            improved = (self.completion or 0) < (before or 0)
            if ADAPTIVE_LEVELS and level.window is not None and improved:
                # The windows were cut at the old completion: the next level gets the work
                # planned before the new one (smaller, so faster to build and to search).
                levels = levels[:k] + self.levels()[k:]

    def solve_level(
        self,
        window: set[int] | None,
        min_start: dict[int, int] | None,
        deadline: float,
        work: float | None,
    ) -> None:
        problem, best = self.problem, self.best
        assert best is not None and self.request is not None
        movable = {t.index for t in problem.tasks if t.fixed is None}
        variable = movable if window is None else window
        restricted = variable != movable or bool(min_start)
        completion = self.completion
        assert completion is not None
        latest = {j.index: j.deadline for j in problem.jobs if j.deadline is not None}
        latest[self.request] = completion
        try:
            model = ScheduleModel(problem, best, variable, latest, min_start=min_start)
        except InfeasibleDomain:
            return  # the incumbent itself fits, so this only means "nothing better here"
        model.minimize_job_end(self.request)
        model.hint(best)

        def listener(objective: int, bound: float) -> None:
            lower = None if restricted else max(self.lower, math.ceil(bound - 1e-6))
            self.clock.report("completion", min(objective, self.completion or objective), lower)

        budget = deadline - self.clock.elapsed()  # what is left once the model is built
        if budget <= 0.02:
            return
        result = model.solve(
            time_limit=self.clock.wall_limit(budget),
            workers=self.workers,
            seed=self.seed,
            listener=listener,
            cancel=self.clock.is_cancelled,
            deterministic_limit=work,
        )
        self.clock.spent(result.work, len(model.vars))
        self.variable = variable
        if result.solution is not None and result.objective is not None:
            if result.objective < completion:
                self.best = result.solution
        if not restricted and result.bound is not None and not result.cancelled:
            self.lower = max(self.lower, math.ceil(result.bound - 1e-6))
            if result.optimal:
                self.proven = True
        if (self.completion or 0) <= self.lower:
            self.proven = True


# Completion-search strategies (``quote(strategy=...)``): 0 later-only then free window
# (then the whole board when small), 1 a free window of the work planned just before the
# request's completion, 2 one free window of the earliest-planned work.
STRATEGIES = 3


@dataclass
class Level:
    window: list[int] | None  # existing tasks to free, earliest planned first; None: all
    later_only: bool  # planned work may only move later
