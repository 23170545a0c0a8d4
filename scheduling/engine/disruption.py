"""With the request's completion settled, move as few planned operations as possible."""

from __future__ import annotations

from scheduling.engine.budget import (
    BUILD_SECONDS_PER_TASK,
    CHECK_SECONDS_PER_TASK,
    Clock,
)
from scheduling.engine.cpmodel import ScheduleModel
from scheduling.engine.domains import InfeasibleDomain
from scheduling.engine.problem import (
    Problem,
    Solution,
)
from scheduling.engine.restore import pulled_towards_plan, restore_baseline
from scheduling.engine.search import FULL_MODEL_TASKS, CompletionSearch


def minimise_disruption(
    problem: Problem,
    best: Solution,
    search: CompletionSearch,
    clock: Clock,
    workers: int,
    seed: int,
    *,
    completion_at_most: int | None = None,
    free_request: bool = False,
) -> Solution:
    """With the request's completion kept (or, given ``completion_at_most``, no later than
    that), move as few planned operations as possible: pull pushed work back towards the plan
    and put back what can simply go back (milliseconds), then let CP-SAT minimise the moves
    around what is left in the time remaining, then put back again what its answer still moves
    needlessly. With ``free_request`` (and ``completion_at_most``) the request's work centers
    are free up to that completion, so that the request can slide later to where it displaces
    less."""
    best = _restored(problem, best, clock, search)
    if not clock.is_cancelled():
        best = _disruption_model(
            problem,
            best,
            search,
            clock,
            workers,
            seed,
            completion_at_most=completion_at_most,
            free_request=free_request,
        )
    return _restored(problem, best, clock, search)


def _restored(problem: Problem, best: Solution, clock: Clock, search: CompletionSearch) -> Solution:
    """``best`` with work pushed later than planned pulled back towards the plan, then every
    operation that can go back put back (milliseconds; restore.py)."""
    keep = set() if search.request is None else set(problem.jobs[search.request].tasks)
    clock.spent_seconds(len(problem.tasks) * 2 * CHECK_SECONDS_PER_TASK)  # pull and check
    restored, count = restore_baseline(problem, pulled_towards_plan(problem, best, keep))
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
    free_request: bool = False,
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
    if free_request and completion_at_most is not None and search.request is not None:
        variable |= _room_for_request(problem, best, search.request, completion_at_most)
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
        model.require_end(final, best[final][2])
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


def _room_for_request(problem: Problem, best: Solution, request: int, until: int) -> set[int]:
    """The request's operations and every movable one on the work centers it may use that
    runs between the request's first start and ``until``: with these free, CP-SAT can slide
    the request later, up to ``until``, to where it displaces less planned work."""
    mine = problem.jobs[request].tasks
    machines = {m for t in mine for m in problem.tasks[t].alts}
    first = min(best[t][1] for t in mine)
    return set(mine) | {
        t.index
        for t in problem.tasks
        if t.fixed is None
        and best[t.index][0] in machines
        and best[t.index][1] < until
        and best[t.index][2] > first
    }
