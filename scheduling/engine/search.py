"""The search behind ``quote`` and ``check``: existing schedule, completion, disruption, options.

Every step starts from a valid schedule and only ever replaces it by another valid one; the
models it builds are restrictions of the problem (windows, frozen work, "later only") except
where it says so, and it only reports a lower bound that holds for the whole problem.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from itertools import chain

from scheduling.engine.budget import (
    BUILD_SECONDS_PER_TASK,
    CHECK_SECONDS_PER_TASK,
    DISPATCH_SECONDS_PER_TASK,
    JUSTIFY_SECONDS_PER_TASK,
    RELOCATION_SECONDS_PER_MOVE,
    Clock,
)
from scheduling.engine.calendars import to_instant
from scheduling.engine.cpmodel import InfeasibleDomain, ScheduleModel
from scheduling.engine.dispatch import Lanes, dispatch, insert_job, place_job
from scheduling.engine.insertion import insert_with_relocation
from scheduling.engine.justify import request_at_bound
from scheduling.engine.model import Board, OptionResult
from scheduling.engine.problem import (
    Placement,
    Problem,
    Solution,
    baseline_solution,
    late_jobs,
    violations,
    with_option,
)
from scheduling.engine.restore import restore_baseline

# Boards with at most this many movable operations are optimised whole from the start: the
# model is small enough that CP-SAT's bound is then a bound for the whole problem.
FULL_MODEL_TASKS = 250
# Up to this many operations the request is also inserted by relocating planned work (about
# 10-80 ms at 1,000 operations; on larger boards it costs more than it finds).
RELOCATION_TASKS = 3000
# Share of the time left that each relocation mode may use (gaps, then shifting).
RELOCATION_SHARE = 0.45
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
# Rounds of priority rebalancing in a repair (about 20 ms each at 850 operations); the
# demo-shop breakdowns measured reached their best within 25.
REBALANCE_ROUNDS = 25


@dataclass
class Existing:
    solution: Solution | None  # valid schedule of the existing orders, or None
    at_fault: list[str]
    message: str = ""
    # Without a valid schedule: the least-late schedule found (the best attempt). Rules 1-4
    # hold, and rule 5 for every order except those it leaves late (the board's projection
    # when reality made them late); None only when nothing could be scheduled at all.
    least_late: Solution | None = None


# -- the existing orders ----------------------------------------------------------------------
def dispatch_priorities(problem: Problem) -> list[dict[int, int]]:
    """Dispatch priorities to try for tasks without a baseline: least slack, first released
    (the order the board lists them in breaks ties), earliest promise."""
    fifo: dict[int, int] = {}
    due: dict[int, int] = {}
    for job in problem.jobs:
        for t in job.tasks:
            if problem.tasks[t].baseline is None:
                fifo[t] = job.ready * 100_000 + job.index
                due[t] = job.deadline if job.deadline is not None else 10**9
    return [slack_priority(problem), fifo, due]


def slack_priority(problem: Problem) -> dict[int, int]:
    """Dispatch priority of tasks without a baseline: latest start by work content (minimum
    slack first); a priority, not a bound, so calendars are ignored here."""
    priority: dict[int, int] = {}
    for job in problem.jobs:
        bound = job.deadline if job.deadline is not None else 10**9
        for t in reversed(job.tasks):
            bound -= problem.tasks[t].minutes
            if problem.tasks[t].baseline is None:
                priority[t] = bound
    return priority


def existing_schedule(
    problem: Problem, clock: Clock, workers: int, seed: int, *, share: float
) -> Existing:
    request = problem.request_job
    skip = frozenset() if request is None else frozenset({request})
    base = baseline_solution(problem)
    if base is not None and not violations(problem, base, ends_known=True):
        return Existing(base, [])
    clock.report("existing")
    hint: Solution | None = None
    score = (0, 0)
    # Time for list scheduling: all of the repair's share when CP-SAT would not fit in it
    # anyway, else half of it.
    variable_count = sum(1 for t in problem.tasks if t.fixed is None and t.job not in skip)
    budget = share * clock.remaining()
    if budget >= 3 * BUILD_SECONDS_PER_TASK * variable_count:
        budget /= 2
    deadline = clock.elapsed() + budget
    best_dispatch: tuple[Solution, dict[int, int]] | None = None  # schedule and its rule
    best_dispatch_score = (0, 0)

    def rounds() -> Iterator[tuple[Solution | None, dict[int, int] | None]]:
        if best_dispatch is not None:
            yield from _rebalanced(problem, skip, *best_dispatch, clock, deadline)

    # Candidates, least disruptive first; the first that keeps every promise wins, else the
    # fewest late orders, then the least lateness; rebalancing rounds from the least late
    # dispatch come last.
    for candidate, rule in chain(
        _repair_candidates(problem, base, skip, clock, deadline), rounds()
    ):
        if candidate is None:
            continue
        candidate_score = lateness(problem, candidate)
        if hint is None or candidate_score < score:
            hint, score = candidate, candidate_score
        if rule is not None and (best_dispatch is None or candidate_score < best_dispatch_score):
            best_dispatch, best_dispatch_score = (candidate, rule), candidate_score
        if not score[0]:
            break
    if hint is None:
        # An order with an operation that no work center of its can ever work on cannot keep
        # its promise; otherwise the running work itself overloads a work center.
        stuck = [
            problem.jobs[task.job].id
            for task in problem.tasks
            if task.fixed is None
            and task.job not in skip
            and all(problem.machines[m].wt.next_working(0) is None for m in task.alts)
        ]
        stuck = list(dict.fromkeys(stuck))
        if stuck:
            return Existing(
                None, stuck, "no working time left on the work centers of " + ", ".join(stuck)
            )
        return Existing(None, [], "running operations overload a work center")
    if not score[0]:
        return Existing(hint, [])
    # Diagnose: every order's promise becomes soft; fewest late orders, then least lateness.
    variable = {t.index for t in problem.tasks if t.fixed is None and t.job not in skip}
    horizon = max(end for _, _, end in hint.values())
    soft = {
        j.index: j.deadline for j in problem.jobs if j.deadline is not None and j.index not in skip
    }
    latest = {j.index: max(horizon, j.deadline or horizon) for j in problem.jobs}
    if share * clock.remaining() < 3 * BUILD_SECONDS_PER_TASK * len(variable):
        return _not_found(problem, hint, "no time was left for the exhaustive search")
    try:
        model = ScheduleModel(problem, hint, variable, latest, soft_deadlines=soft)
    except InfeasibleDomain as error:
        return Existing(
            None, [problem.jobs[error.job].id], "an order cannot be scheduled", least_late=hint
        )
    model.minimize_lateness()
    model.hint(hint)
    result = model.solve(
        time_limit=clock.wall_limit(share * clock.remaining()),
        workers=workers,
        seed=seed,
        cancel=clock.is_cancelled,
        deterministic_limit=clock.work_limit(share),
    )
    clock.spent(result.work, len(model.vars))
    # CP-SAT cut short may return a schedule worse than its hint (or none): keep the better.
    solution = hint
    if result.solution is not None and lateness(problem, result.solution) < score:
        solution = result.solution
    late = late_jobs(problem, solution)
    if not late:
        return Existing(solution, [])
    if result.cancelled or clock.cancelled:
        return Existing(None, [], "cancelled", least_late=solution)
    names = [problem.jobs[j].id for j in late]
    if result.optimal:
        proof = "proven"
    elif result.bound is not None and result.bound >= 0.5:
        # No schedule keeps every promise (the solver's bound on the lateness objective is
        # above zero), though a schedule with fewer late orders may exist.
        proof = "proven; fewer may be late in a schedule not found within the time limit"
    else:
        return _not_found(problem, solution, "the time limit ended the search")
    return Existing(
        None,
        names,
        f"{len(names)} order(s) cannot keep their promise ({proof}): {', '.join(names)}",
        least_late=solution,
    )


def lateness(problem: Problem, solution: Solution) -> tuple[int, int]:
    """(late orders, their total minutes past the promise): what a repair minimises."""
    late = late_jobs(problem, solution)
    deadlines = [problem.jobs[j].deadline or 0 for j in late]
    ends = [solution[problem.jobs[j].tasks[-1]][2] for j in late]
    return len(late), sum(end - deadline for end, deadline in zip(ends, deadlines, strict=True))


def _repair_candidates(
    problem: Problem, base: Solution | None, skip: frozenset[int], clock: Clock, deadline: float
) -> Iterator[tuple[Solution | None, dict[int, int] | None]]:
    """Schedules of the existing orders that are valid but for promises, least disruptive
    first: the plan kept with the unplanned orders inserted into its gaps (when there is a
    plan and its operations still hold); the plan shifted right where it broke (list
    scheduling anchored on it, unplanned work by several dispatch rules); then the same
    sequences left-justified, free to move work earlier (after a breakdown often far fewer
    late orders than shifting alone). Stops early when another dispatch would end after
    ``deadline``."""
    cost = DISPATCH_SECONDS_PER_TASK * len(problem.tasks)
    if base is None and any(t.baseline is not None for t in problem.tasks):
        clock.spent_seconds(cost)
        yield plan_kept(problem, skip), None
    rules = dispatch_priorities(problem)
    rules = [rule for i, rule in enumerate(rules) if rule not in rules[:i]]
    planned = {t.index: t.baseline[1] for t in problem.tasks if t.baseline is not None}
    compact = [{**planned, **rule} for rule in rules] if planned else []
    for n, (rule, left_justified) in enumerate(
        [(r, False) for r in rules] + [(r, True) for r in compact]
    ):
        if n and (clock.elapsed() + cost > deadline or clock.is_cancelled()):
            return  # (the first always runs: it is the fallback that always exists)
        clock.spent_seconds(cost)
        yield dispatch(problem, priority=rule, skip_jobs=skip, compact=left_justified), rule


def _rebalanced(
    problem: Problem,
    skip: frozenset[int],
    schedule: Solution,
    rule: dict[int, int],
    clock: Clock,
    deadline: float,
) -> Iterator[tuple[Solution | None, dict[int, int] | None]]:
    """List scheduling again, each round moving the orders the last round left late forward
    in the priority by their lateness (left-justified, so that they can overtake), until a
    round leaves none late, REBALANCE_ROUNDS have run or ``deadline`` comes. The orders that
    make room change from round to round, so the rounds do not improve steadily: the caller
    keeps the best. After a breakdown in the demo shop (and five other machines down), 25
    rounds left 0-28 % fewer orders late than the best single dispatch (two boards went from
    5-6 late to none); halving the push did no better."""
    priority = dict(rule)
    cost = DISPATCH_SECONDS_PER_TASK * len(problem.tasks)
    for _ in range(REBALANCE_ROUNDS):
        late = late_jobs(problem, schedule)
        if not late or clock.elapsed() + cost > deadline or clock.is_cancelled():
            return
        for j in late:
            job = problem.jobs[j]
            minutes = schedule[job.tasks[-1]][2] - (job.deadline or 0)
            for t in job.tasks:
                priority[t] = priority.get(t, 0) - minutes
        clock.spent_seconds(cost)
        candidate = dispatch(problem, priority=priority, skip_jobs=skip, compact=True)
        yield candidate, None
        if candidate is None:
            return
        schedule = candidate


def plan_kept(problem: Problem, skip: frozenset[int]) -> Solution | None:
    """The planned operations where the plan has them, and the orders (or the tails of orders)
    without a plan inserted into its earliest gaps, least slack first; nothing planned moves.
    None when the planned operations no longer hold by themselves (rules 1-4) or an insertion
    finds no working time. Adding an order to a valid board thus never disturbs it."""
    solution: Solution = {}
    unplanned: list[int] = []
    for job in problem.jobs:
        if job.index in skip:
            continue
        for t in job.tasks:
            task = problem.tasks[t]
            if task.fixed is not None:
                solution[t] = task.fixed
                continue
            end = None if task.baseline is None else problem.end_of(t, *task.baseline)
            if task.baseline is None or end is None:
                unplanned.append(job.index)
                break  # this task and the rest of its order are inserted
            solution[t] = (task.baseline[0], task.baseline[1], end)
    if violations(problem, solution, deadlines=False, ends_known=True, partial=True):
        return None
    # One set of lanes for all insertions (insert_job per order would rebuild them each time).
    lanes = Lanes(problem)
    if not lanes.occupy_all(list(solution.values())):
        return None
    priority = slack_priority(problem)
    for j in sorted(unplanned, key=lambda j: (_latest_start(problem, j, priority), j)):
        job = problem.jobs[j]
        placed = [t for t in job.tasks if t in solution]  # its running or planned head
        ready = max([job.ready] + [solution[t][2] for t in placed])
        for t in job.tasks[len(placed) :]:
            placement = lanes.place(t, ready)
            if placement is None:
                return None
            solution[t] = placement
            ready = placement[2]
    return solution


def _latest_start(problem: Problem, job: int, priority: dict[int, int]) -> int:
    return min((priority[t] for t in problem.jobs[job].tasks if t in priority), default=0)


def _not_found(problem: Problem, best: Solution, why: str) -> Existing:
    """No schedule keeping every promise was found, and none was proven impossible: not
    "infeasible" (that would condemn orders that may well make it), so nobody is at fault;
    the best attempt is the projection, and the message names the orders it leaves late."""
    late = [problem.jobs[j].id for j in late_jobs(problem, best)]
    return Existing(
        None,
        [],
        f"no schedule keeping every promise found ({why}); the best attempt leaves "
        f"{len(late)} order(s) late: {', '.join(late)}",
        least_late=best,
    )


# -- the request's completion -----------------------------------------------------------------
class CompletionSearch:
    """Minimise the request's completion (or, without a request, just hold a schedule)."""

    def __init__(
        self, problem: Problem, existing: Solution, clock: Clock, workers: int, seed: int
    ) -> None:
        self.problem = problem
        self.clock = clock
        self.workers = workers
        self.seed = seed
        self.request = problem.request_job
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
        for level in levels:
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
                min_start = {t: self.best[t][1] for t in chosen} if level.later_only else None
            self.solve_level(
                variable, min_start, deadline, self.clock.work_limit(share / len(levels))
            )

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


def minimise_disruption(
    problem: Problem,
    best: Solution,
    search: CompletionSearch,
    clock: Clock,
    workers: int,
    seed: int,
    *,
    completion_at_most: int | None = None,
) -> Solution:
    """With the request's completion kept (or, given ``completion_at_most``, no later than
    that), move as few planned operations as possible: put back what can simply go back
    (``restore_baseline``, milliseconds), then let CP-SAT minimise the moves around what is
    left in the time remaining, then put back again what its answer still moves needlessly."""
    best = _restored(problem, best, clock)
    if not clock.is_cancelled():
        best = _disruption_model(
            problem, best, search, clock, workers, seed, completion_at_most=completion_at_most
        )
    return _restored(problem, best, clock)


def _restored(problem: Problem, best: Solution, clock: Clock) -> Solution:
    restored, count = restore_baseline(problem, best)
    if count:
        clock.spent_seconds(len(problem.tasks) * CHECK_SECONDS_PER_TASK)
    return restored


def _disruption_model(
    problem: Problem,
    best: Solution,
    search: CompletionSearch,
    clock: Clock,
    workers: int,
    seed: int,
    *,
    completion_at_most: int | None = None,
) -> Solution:
    baseline = {
        t.index: t.baseline for t in problem.tasks if t.baseline is not None and t.fixed is None
    }
    moved = [t for t, (m, s) in baseline.items() if best[t][0] != m or best[t][1] != s]
    if not moved or clock.remaining() < 0.02:
        return best
    clock.report("disruption")
    movable = {t.index for t in problem.tasks if t.fixed is None}
    if search.variable is not None:
        variable = set(search.variable) | set(moved)
    elif len(movable) <= FULL_MODEL_TASKS:
        variable = movable
    else:
        # Moved work and whatever shares its machines while it (or its baseline) runs.
        machines = {best[t][0] for t in moved} | {baseline[t][0] for t in moved}
        lo = min(min(best[t][1], baseline[t][1]) for t in moved)
        hi = max(best[t][2] for t in moved)
        variable = set(moved) | {
            t for t in movable if best[t][0] in machines and best[t][1] < hi and best[t][2] > lo
        }
    if clock.remaining() < BUILD_SECONDS_PER_TASK * len(variable) + 0.05:
        return best
    latest = {j.index: j.deadline for j in problem.jobs if j.deadline is not None}
    if search.request is not None:
        latest[search.request] = best[problem.jobs[search.request].tasks[-1]][2]
        if completion_at_most is not None:
            latest[search.request] = max(latest[search.request], completion_at_most)
    try:
        model = ScheduleModel(problem, best, variable, latest)
    except InfeasibleDomain:
        return best
    final = problem.jobs[search.request].tasks[-1] if search.request is not None else None
    if search.keep_completion and final is not None and final in model.vars:
        # (A request outside the model stays where it is, and so does its completion.)
        model.model.add(model.vars[final].end == best[final][2])
    model.minimize_disruption({t: b for t, b in baseline.items() if t in variable})
    model.hint(best)
    if clock.remaining() < 0.02:
        return best
    result = model.solve(
        time_limit=clock.wall_limit(clock.remaining()),
        workers=workers,
        seed=seed,
        cancel=clock.is_cancelled,
        deterministic_limit=clock.work_limit(0.2),
    )
    clock.spent(result.work, len(model.vars))
    return result.solution if result.solution is not None else best


def evaluate_option(
    board: Board,
    problem: Problem,
    option_id: str,
    search: CompletionSearch,
    clock: Clock,
    workers: int,
    seed: int,
    budget: float,
) -> OptionResult:
    """The completion the request would get with one more capacity option.

    Always a real schedule's completion, never an estimate: the answer's own schedule stays
    valid with the option (starts remain working time, ends can only come earlier), so it is
    the starting point; then the request is re-inserted into the gaps the option opens, then
    relocating planned work (which can move into the option's hours), and, while its share of
    the time lasts, re-optimised.
    """
    assert search.best is not None and search.request is not None
    base_completion = search.completion
    assert base_completion is not None
    option = next(o for o in board.capacity_options or () if o.id == option_id)
    machine = problem.machine_by_id[option.work_center]
    request_job = problem.jobs[search.request]
    request_machines = {m for t in request_job.tasks for m in problem.tasks[t].alts}
    buffer = board.order_buffer(board.request) if board.request else board.buffer_minutes
    out_of_time = clock.remaining() <= 0.01 or clock.is_cancelled()
    if out_of_time or (machine not in request_machines and len(problem.tasks) > WHOLE_BOARD_TASKS):
        # Re-inserting the request would meet the same occupations on its own machines, and
        # a re-optimisation of a board this size does not fit an option's share of the time
        # (or no time is left): report the answer's own completion (gain 0), which the
        # answer's schedule does reach with the option too.
        return OptionResult(
            id=option_id,
            completion=to_instant(base_completion, board.now),
            promise=to_instant(base_completion, board.now) + timedelta(minutes=buffer),
            gain_minutes=0,
        )
    option_problem = with_option(problem, machine, option.extra)

    on_option_machine = search.on_machine(machine)

    def reflowed(solution: Solution, t: int) -> Placement:
        placement = solution[t]
        if placement[0] != machine:
            return placement
        task = option_problem.tasks[t]
        return (
            task.fixed if task.fixed is not None else option_problem.place(t, machine, placement[1])
        )

    # The answer's own schedule with the option: request ends can only come earlier.
    completion_here = reflowed(search.best, request_job.tasks[-1])[2]
    # The request re-inserted into the existing work, which the option may have compacted.
    occupations = [
        reflowed(search.existing, t)
        for m in request_machines
        for t in search.on_machine(m)
        if t in search.existing
    ]
    inserted = place_job(option_problem, occupations, search.request)
    if inserted is not None:
        completion_here = min(completion_here, inserted[-1][2])
    option_completion = completion_here
    if len(problem.tasks) <= WHOLE_BOARD_TASKS and not clock.is_cancelled():
        # Small enough to copy the whole schedule and re-optimise with the option's hours.
        def reflow(solution: Solution) -> Solution:
            result = dict(solution)
            for t in on_option_machine:
                if t in solution:
                    result[t] = reflowed(solution, t)
            return result

        option_search = CompletionSearch(
            option_problem, reflow(search.existing), clock, workers, seed
        )
        hint = reflow(search.best)
        final = request_job.tasks[-1]
        if option_search.best is None or option_search.best[final][2] > hint[final][2]:
            option_search.best = hint
        if len(problem.tasks) <= RELOCATION_TASKS:
            # The request inserted again, relocating planned work, into the plan with the
            # option's hours: where the option adds time on a bottleneck this is what finds
            # the gain in a short share (the windowed search rarely has time to).
            option_search.try_relocation(budget / 2)
        option_search.run(
            deadline=clock.elapsed() + budget,
            share=OPTIONS_SHARE / max(1, len(board.capacity_options or ())),
        )
        option_completion = min(option_completion, option_search.completion or base_completion)
    completion = min(option_completion, base_completion)
    return OptionResult(
        id=option_id,
        completion=to_instant(completion, board.now),
        promise=to_instant(completion, board.now) + timedelta(minutes=buffer),
        gain_minutes=max(0, base_completion - completion),
    )
