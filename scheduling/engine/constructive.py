"""The request inserted by rearranging planned work without CP-SAT, in milliseconds: relocating
what it displaces, shifting the plan right behind it, or pushing the plan as late as its
promises allow (docs/engine.md, "How the pieces work"). Phases of ``search.CompletionSearch``;
each only ever replaces the incumbent by a valid schedule that completes earlier."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scheduling.engine.budget import (
    CHECK_SECONDS_PER_TASK,
    DISPATCH_SECONDS_PER_TASK,
    JUSTIFY_SECONDS_PER_TASK,
    RELOCATION_SECONDS_PER_MOVE,
    Clock,
)
from scheduling.engine.dispatch import dispatch, insert_job
from scheduling.engine.insertion import insert_with_relocation
from scheduling.engine.justify import request_at_bound, right_justified
from scheduling.engine.problem import Placement, Problem, Solution, late_jobs, violations
from scheduling.engine.restore import pulled_towards_plan, restore_baseline

# Share of the time left that each relocation mode may use (gaps, then shifting).
RELOCATION_SHARE = 0.45
# Minutes past the incumbent's completion up to which planned work is right-justified before
# the request is inserted (try_justified_insertion), tried in turn.
JUSTIFIED_HORIZONS = (0, 1440)


class ConstructivePhases:
    """The constructive phases of the completion search (mixed into CompletionSearch)."""

    problem: Problem
    clock: Clock
    request: int | None
    existing: Solution
    lower: int
    proven: bool
    _by_machine: dict[int, list[int]] | None

    if TYPE_CHECKING:

        @property
        def best(self) -> Solution | None: ...

        @best.setter
        def best(self, solution: Solution | None) -> None: ...

        @property
        def completion(self) -> int | None: ...

        def adopt(self, solution: Solution) -> None: ...

    def try_relocation(self, budget: float | None = None) -> None:
        """Insert the request displacing planned work (into other gaps, or shifted right on
        its lane; see ``insertion``) and keep the better of the two if it beats the
        incumbent. Planned work on a tightly promised board leaves few gaps as they are, but
        making room near now is often possible; this finds such room in milliseconds where
        CP-SAT would need seconds on the same window.

        Each mode may use RELOCATION_SHARE of the time left, or half of ``budget`` seconds
        when given; counted in moves, so that a deterministic run stays deterministic."""
        if self.request is None or self.best is None:
            return
        final = self.problem.jobs[self.request].tasks[-1]
        for shift in (False, True):
            seconds = RELOCATION_SHARE * self.clock.remaining()
            if budget is not None:
                seconds = min(seconds, budget / 2)
            max_work = int(seconds / RELOCATION_SECONDS_PER_MOVE)
            work: list[int] = []
            candidate = insert_with_relocation(
                self.problem,
                self.existing,
                self.request,
                shift=shift,
                max_work=max_work,
                work_done=work,
            )
            self.clock.spent_seconds(sum(work) * RELOCATION_SECONDS_PER_MOVE)
            if candidate is None:
                continue
            self.clock.spent_seconds(len(self.problem.tasks) * CHECK_SECONDS_PER_TASK)
            if violations(self.problem, candidate):
                continue
            if candidate[final][2] < (self.completion or 0):
                self.best = candidate
                self._by_machine = None

    def try_request_first(self, path: list[Placement]) -> None:
        """Pin the request on ``path`` (its lower-bound path) and shift the existing work right
        around it; keep the result if every promise still holds. When it does, the request
        completes at its lower bound: optimal without a search."""
        if self.request is None or self.best is None:
            return
        tasks = self.problem.jobs[self.request].tasks
        pinned = dict(zip(tasks, path, strict=True))
        # Existing work only shifts later (least disruption); give up at the first late order.
        candidate = dispatch(self.problem, anchor=self.existing, pinned=pinned, stop_when_late=True)
        if candidate is None or late_jobs(self.problem, candidate):
            return
        if candidate[tasks[-1]][2] < (self.completion or 0):
            self.best = candidate

    def try_justified(self, path: list[Placement]) -> None:
        """Pin the request on ``path`` (its lower-bound path) and push the planned work before
        it as late as the promises allow (``justify``); when that keeps every promise, the
        request completes at its lower bound."""
        if self.request is None or self.best is None:
            return
        cost = JUSTIFY_SECONDS_PER_TASK * len(self.problem.tasks)

        def afford() -> bool:
            if self.clock.is_cancelled() or self.clock.remaining() < 2 * cost:
                return False
            self.clock.spent_seconds(cost)
            return True

        candidate = request_at_bound(self.problem, self.existing, path, afford=afford)
        if candidate is not None:
            self.adopt(candidate)
            self.proven = (self.completion or 0) <= self.lower

    def try_justified_insertion(self) -> None:
        """Push the planned work before the incumbent's completion as late as its promises
        allow (``justify.right_justified``: the most room near now that keeping every work
        center's order gives), then insert the request into the earliest gaps of that
        schedule. Where the lower-bound path cannot be cleared (``try_justified``) this still
        finds an intermediate completion, in milliseconds, and the neighbourhoods that follow
        start from it (their windows are the work planned before the completion: smaller)."""
        if self.request is None or self.best is None:
            return
        # A backward pass, an insertion, a pull back and a put back (each about as costly as
        # a check) and two checks per horizon: on 10,000 operations about 0.25 s, which a 1 s
        # quote cannot spare (its other phases find more in that time).
        per_task = JUSTIFY_SECONDS_PER_TASK + DISPATCH_SECONDS_PER_TASK + 4 * CHECK_SECONDS_PER_TASK
        cost = per_task * len(self.problem.tasks)
        for horizon in JUSTIFIED_HORIZONS:
            if self.clock.is_cancelled() or self.clock.remaining() < 4 * cost:
                return
            self.clock.spent_seconds(cost)
            completion = self.completion or 0
            justified, too_early = right_justified(
                self.problem, self.existing, {}, horizon=completion + horizon
            )
            if justified is None or too_early:
                continue
            candidate = insert_job(self.problem, justified, self.request)
            if candidate is None or violations(self.problem, candidate):
                continue
            # Right-justifying moved every operation before the horizon: pull what runs later
            # than planned back towards its plan, then put back what can go.
            keep = set(self.problem.jobs[self.request].tasks)
            pulled = pulled_towards_plan(self.problem, candidate, keep)
            restored, _ = restore_baseline(self.problem, pulled)
            self.adopt(restored)
