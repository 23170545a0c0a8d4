"""Greedy schedules that are valid by construction: warm starts and fallbacks for CP-SAT.

A work center of capacity c is treated as c unit *lanes*, each holding non-overlapping
occupations; a schedule with no overlap within each lane never runs more than c operations at
once, so whatever is built here passes rule 3. Placing an operation means finding the earliest
working start at or after a ready time whose pause-inclusive occupation fits a free gap of some
lane, jumping from conflict to conflict (never minute by minute).
"""

from __future__ import annotations

import bisect
import heapq

from scheduling.engine.calendars import WorkingTime
from scheduling.engine.problem import Placement, Problem, Solution


class Lane:
    """Non-overlapping occupations [start, end) of one unit of a work center, sorted."""

    __slots__ = ("ends", "starts")

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def free(self, start: int, end: int) -> bool:
        k = bisect.bisect_right(self.ends, start)
        return k >= len(self.starts) or self.starts[k] >= end

    def add(self, start: int, end: int) -> None:
        k = bisect.bisect_right(self.starts, start)
        self.starts.insert(k, start)
        self.ends.insert(k, end)

    def last_end(self) -> int | None:
        return self.ends[-1] if self.ends else None


def lane_fit(
    wt: WorkingTime, lane: Lane, ready: int, minutes: int, *, give_up: int | None = None
) -> tuple[int, int] | None:
    """(start, end) of the earliest working start at or after ``ready`` whose occupation fits a
    free gap of ``lane``, jumping from conflict to conflict; None if there is none (or none
    starting before ``give_up``)."""
    starts, ends = lane.starts, lane.ends
    cursor = ready
    k = bisect.bisect_right(ends, cursor)
    while True:
        # A free stretch shorter than the work itself cannot hold it, whatever the calendar
        # (an operation takes at least its minutes of wall time): skip those without asking
        # the calendar. On a packed lane that is most of them.
        while k < len(starts) and starts[k] - cursor < minutes:
            if ends[k] > cursor:
                cursor = ends[k]
            k += 1
        if give_up is not None and cursor >= give_up:
            return None
        start = wt.next_working(cursor)
        if start is None or (give_up is not None and start >= give_up):
            return None
        end = wt.end_after(start, minutes)
        if end is None:
            return None
        k = bisect.bisect_right(ends, start)
        if k < len(starts) and starts[k] < end:
            cursor = ends[k]  # collides with occupation k: try after it
            k += 1
            continue
        return start, end


class Lanes:
    """Lanes of every machine, filled with a partial solution."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.lanes: list[list[Lane]] = [
            [Lane() for _ in range(machine.capacity)] for machine in problem.machines
        ]

    def occupy_all(self, placements: list[Placement]) -> bool:
        """Add occupations, assigning each to a free lane (interval colouring by start time);
        False if some instant has more occupations than the machine's capacity."""
        for machine, start, end in sorted(placements, key=lambda p: (p[1], p[2])):
            if end <= start:
                continue
            for lane in self.lanes[machine]:
                if lane.free(start, end):
                    lane.add(start, end)
                    break
            else:
                return False
        return True

    def earliest_fit(
        self, task: int, machine: int, ready: int, *, after_queue: bool = False
    ) -> tuple[int, int, int] | None:
        """(start, end, lane) of the earliest fit on ``machine`` at or after ``ready``.

        With ``after_queue`` the operation goes after everything already on the lane (the
        "append to the end of the queue" baseline) instead of into the first gap.
        """
        wt = self.problem.machines[machine].wt
        minutes = self.problem.tasks[task].minutes
        best: tuple[int, int, int] | None = None
        for lane_index, lane in enumerate(self.lanes[machine]):
            t = ready
            if after_queue and lane.ends:
                t = max(t, lane.ends[-1])
            fit = lane_fit(wt, lane, t, minutes, give_up=None if best is None else best[0])
            if fit is not None and (best is None or (fit[1], fit[0]) < (best[1], best[0])):
                best = (fit[0], fit[1], lane_index)
        return best

    def place(self, task: int, ready: int, *, after_queue: bool = False) -> Placement | None:
        """Put ``task`` on the alternative where it ends earliest."""
        best: tuple[int, int, int, int] | None = None
        for machine in self.problem.tasks[task].alts:
            fit = self.earliest_fit(task, machine, ready, after_queue=after_queue)
            if fit is not None and (best is None or (fit[1], fit[0]) < (best[2], best[1])):
                best = (machine, fit[0], fit[1], fit[2])
        if best is None:
            return None
        machine, start, end, lane = best
        self.lanes[machine][lane].add(start, end)
        return (machine, start, end)


def insert_job(
    problem: Problem, solution: Solution, job_index: int, *, after_queue: bool = False
) -> Solution | None:
    """``solution`` plus the tasks of ``job_index`` placed greedily, touching nothing else.

    Into the earliest gaps (a valid warm start and an upper bound for the request's
    completion) or, with ``after_queue``, after each machine's planned work.
    """
    job = problem.jobs[job_index]
    machines = {m for t in job.tasks for m in problem.tasks[t].alts}
    # Only the job's own machines matter for where it fits.
    placements = place_job(
        problem,
        [p for p in solution.values() if p[0] in machines],
        job_index,
        after_queue=after_queue,
    )
    if placements is None:
        return None
    result = dict(solution)
    result.update(zip(job.tasks, placements, strict=True))
    return result


def place_job(
    problem: Problem, occupations: list[Placement], job_index: int, *, after_queue: bool = False
) -> list[Placement] | None:
    """Greedy placements of the tasks of ``job_index`` among fixed ``occupations``."""
    lanes = Lanes(problem)
    if not lanes.occupy_all(occupations):
        return None
    ready = problem.jobs[job_index].ready
    placements = []
    for t in problem.jobs[job_index].tasks:
        placement = lanes.place(t, ready, after_queue=after_queue)
        if placement is None:
            return None
        placements.append(placement)
        ready = placement[2]
    return placements


def dispatch(
    problem: Problem,
    *,
    anchor: Solution | None = None,
    pinned: Solution | None = None,
    priority: dict[int, int] | None = None,
    skip_jobs: frozenset[int] = frozenset(),
    compact: bool = False,
    stop_when_late: bool = False,
) -> Solution | None:
    """A complete schedule of all jobs (except ``skip_jobs``) by serial list scheduling.

    With ``compact`` the anchor only orders the tasks: each may also move earlier, into any
    gap its predecessor allows (a left-justified re-dispatch of the same sequence). With
    ``stop_when_late`` the first order to miss its deadline ends the attempt (None).

    Running tasks and ``pinned`` placements are fixed. Every other task is taken in priority
    order (lower first; default its ``anchor`` start, else its baseline start, else
    ``priority``), once its predecessor is placed, and put at its earliest fit no earlier than
    its anchor (or baseline) start: so a still-valid plan is reproduced and a broken one is
    repaired by shifting work right.
    """
    anchor = anchor or {}
    pinned = pinned or {}
    lanes = Lanes(problem)
    fixed = [t.fixed for t in problem.tasks if t.fixed is not None]
    if not lanes.occupy_all(fixed + list(pinned.values())):
        return None
    solution: Solution = {t.index: t.fixed for t in problem.tasks if t.fixed is not None}
    solution.update(pinned)
    priority = dict(priority or {})
    for t, (_, start, _) in anchor.items():
        priority[t] = start
    heap: list[tuple[int, int, int]] = []
    next_position = {}
    ready_of: dict[int, int] = {}
    for job in problem.jobs:
        if job.index in skip_jobs or (job.tasks and job.tasks[0] in pinned):
            continue
        position = 0
        ready = job.ready
        while position < len(job.tasks) and problem.tasks[job.tasks[position]].fixed is not None:
            ready = max(ready, problem.tasks[job.tasks[position]].fixed[2])  # type: ignore[index]
            position += 1
        next_position[job.index] = position
        ready_of[job.index] = ready
        if position < len(job.tasks):
            t = job.tasks[position]
            heapq.heappush(heap, (_key(problem, t, priority), t, job.index))
    while heap:
        _, t, job_index = heapq.heappop(heap)
        task = problem.tasks[t]
        ready = ready_of[job_index]
        if compact:
            pass
        elif t in anchor:
            ready = max(ready, anchor[t][1])
        elif task.baseline is not None:
            ready = max(ready, task.baseline[1])
        placement = lanes.place(t, ready)
        if placement is None:
            return None
        solution[t] = placement
        job = problem.jobs[job_index]
        if stop_when_late and job.deadline is not None and t == job.tasks[-1]:
            if placement[2] > job.deadline:
                return None
        position = next_position[job_index] + 1
        ready_end = placement[2]
        while position < len(job.tasks) and problem.tasks[job.tasks[position]].fixed is not None:
            position += 1  # impossible by the board's state rules, kept for safety
        next_position[job_index] = position
        ready_of[job_index] = ready_end
        if position < len(job.tasks):
            nxt = job.tasks[position]
            heapq.heappush(heap, (_key(problem, nxt, priority), nxt, job_index))
    return solution


def _key(problem: Problem, task: int, priority: dict[int, int]) -> int:
    if task in priority:
        return priority[task]
    baseline = problem.tasks[task].baseline
    return baseline[1] if baseline is not None else 0
