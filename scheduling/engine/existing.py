"""The existing orders' schedule: the plan kept, repaired, or the least-late one (``check``'s
search, and the first step of every quote). See docs/board-format.md for what a repair may do."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain

from scheduling.engine.budget import (
    BUILD_SECONDS_PER_TASK,
    DISPATCH_SECONDS_PER_TASK,
    Clock,
)
from scheduling.engine.cpmodel import ScheduleModel
from scheduling.engine.dispatch import Lanes, dispatch
from scheduling.engine.domains import InfeasibleDomain
from scheduling.engine.problem import (
    Problem,
    Solution,
    baseline_solution,
    late_jobs,
    violations,
)

# Share of the time left that repairing a board whose plan no longer holds may take.
EXISTING_SHARE = 0.6
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
