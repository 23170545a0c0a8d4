"""Make room near now by pushing planned work as late as its promises allow (right-justifying).

``request_at_bound`` pins the request on its lower-bound path and places the other planned work
backwards from it; the result is checked with ``violations``. How and why: docs/engine.md
("Right-justifying repair").
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Callable

from scheduling.engine.calendars import WorkingTime
from scheduling.engine.dispatch import Lane, Lanes
from scheduling.engine.problem import Placement, Problem, Solution, violations

# Minutes past the request's completion up to which planned work may move, tried in turn (the
# first that works moves the least). Beyond a week the moves run into thousands of operations
# on a 10,000-operation board: not a replan a scheduler approves for one order.
HORIZONS = (480, 1440, 4320, 10080)
# Backward passes per horizon; an order that had to start too early goes first in the next.
PASSES = 3
# How much later (minutes of planned end) an order that started too early counts in the next
# pass's ordering.
SQUEAK_MINUTES = 120


def latest_fit(
    wt: WorkingTime, lane: Lane, latest_end: int, minutes: int, floor: int
) -> tuple[int, int] | None:
    """(start, end) of the latest working start at or after ``floor`` whose occupation ends
    by ``latest_end`` and fits a free gap of ``lane``, jumping back from conflict to conflict."""
    starts, ends = lane.starts, lane.ends
    limit = latest_end
    while True:
        start = wt.start_before(limit, minutes)
        if start is None or start < floor:
            return None
        end = wt.end_after(start, minutes)
        if end is None:
            return None
        k = bisect.bisect_left(starts, end) - 1
        if k >= 0 and ends[k] > start:
            limit = starts[k]  # collides with occupation k: end before it starts
            continue
        return start, end


def right_justified(
    problem: Problem,
    planned: Solution,
    pinned: Solution,
    *,
    horizon: int,
    bonus: dict[int, int] | None = None,
) -> tuple[Solution | None, list[int]]:
    """Every operation of ``planned`` that starts before ``horizon`` (and is not running or
    pinned) as late as its order allows, taken in decreasing planned end (plus ``bonus``
    minutes for the orders given); the rest stays.

    Returns the schedule and the operations that could not start at or after their earliest
    start (placed earlier anyway, so the schedule is then invalid), or (None, []) if an
    operation found no place at all."""
    lanes = Lanes(problem)
    result: Solution = {t.index: t.fixed for t in problem.tasks if t.fixed is not None}
    result.update(pinned)
    staying = {
        t.index
        for t in problem.tasks
        if t.fixed is None
        and t.index not in pinned
        and t.index in planned
        and planned[t.index][1] >= horizon
    }
    result.update({t: planned[t] for t in staying})
    if not lanes.occupy_all(list(result.values())):
        return None, []
    bonus = bonus or {}

    def order_key(t: int) -> int:
        return planned[t][2] + bonus.get(problem.tasks[t].job, 0)

    heap: list[tuple[int, int, int, int]] = []
    for job in problem.jobs:
        if job.is_request or not job.tasks or job.tasks[0] in pinned:
            continue
        if any(t not in planned for t in job.tasks):
            continue
        k = len(job.tasks) - 1
        latest = job.deadline if job.deadline is not None else planned[job.tasks[-1]][2]
        while k >= 0 and job.tasks[k] in staying:
            latest = planned[job.tasks[k]][1]
            k -= 1
        if k < 0 or problem.tasks[job.tasks[k]].fixed is not None:
            continue
        t = job.tasks[k]
        heapq.heappush(heap, (-order_key(t), t, k, latest))
    too_early: list[int] = []
    while heap:
        _, t, k, latest = heapq.heappop(heap)
        task = problem.tasks[t]
        job = problem.jobs[task.job]
        earliest = max(job.ready, 0) if k == 0 else 0
        previous = problem.tasks[job.tasks[k - 1]] if k > 0 else None
        if previous is not None and previous.fixed is not None:
            earliest = max(earliest, previous.fixed[2])
        machine = planned[t][0]
        wt = problem.machines[machine].wt
        best: tuple[int, int, int] | None = None
        for floor in (earliest, None):
            for index, lane in enumerate(lanes.lanes[machine]):
                fit = latest_fit(wt, lane, latest, task.minutes, wt.lo if floor is None else floor)
                if fit is not None and (best is None or fit[0] > best[0]):
                    best = (fit[0], fit[1], index)
            if best is not None:
                if floor is None:
                    too_early.append(t)
                break
        if best is None:
            return None, []
        start, end, index = best
        lanes.lanes[machine][index].add(start, end)
        result[t] = (machine, start, end)
        if previous is not None and previous.fixed is None:
            heapq.heappush(heap, (-order_key(previous.index), previous.index, k - 1, start))
    return result, too_early


def request_at_bound(
    problem: Problem,
    planned: Solution,
    path: list[Placement],
    *,
    afford: Callable[[], bool],
) -> Solution | None:
    """A valid schedule with the request on ``path`` (its lower-bound path), found by
    right-justifying the planned work before growing horizons; None if none was found.
    ``afford()`` is asked before each pass (the caller's time budget)."""
    request = problem.request_job
    if request is None:
        return None
    pinned = dict(zip(problem.jobs[request].tasks, path, strict=True))
    completion = path[-1][2]
    for extra in HORIZONS:
        bonus: dict[int, int] = {}
        for _ in range(PASSES):
            if not afford():
                return None
            candidate, too_early = right_justified(
                problem,
                planned,
                pinned,
                horizon=completion + extra,
                bonus=bonus,
            )
            if candidate is None:
                break
            if not too_early:
                return None if violations(problem, candidate) else candidate
            for t in too_early:
                job = problem.tasks[t].job
                bonus[job] = bonus.get(job, 0) + SQUEAK_MINUTES
    return None
