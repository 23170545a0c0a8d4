"""Lower bounds on the request's completion that hold for every valid schedule.

The critical path of the request from ``max(now, release)``: each operation on its best
alternative, at the earliest working instant after its predecessor, with the calendar's pauses,
on machines that are empty except for what every valid schedule must put there:

- running operations (fixed by rule 1);
- the *compulsory part* of every existing operation that has a single possible work center:
  its start lies in [earliest, latest] (release and predecessors; promise minus the tail of its
  routing), so whatever the start it occupies [latest start, end of the earliest start). On a
  board whose promises are tight these parts cover most of the planned work, and the bound
  comes close to (often equals) the best completion.

A machine is blocked where these occupations fill every unit. Nothing is assumed about the
solver's own restrictions (frozen operations, time limits), so the bound holds for the whole
problem.
"""

from __future__ import annotations

import bisect

from scheduling.engine.cpmodel import InfeasibleDomain, time_windows
from scheduling.engine.problem import Job, Placement, Problem, Solution


def compulsory_occupations(
    problem: Problem,
    machines: set[int] | None = None,
    before: int | None = None,
    planned: Solution | None = None,
) -> dict[int, list[tuple[int, int]]]:
    """Per machine, spans that every valid schedule of the existing orders occupies (only
    jobs with an operation on ``machines`` are examined when given: the others cannot block
    those machines). With ``before`` and a ``planned`` schedule, only jobs with an operation on
    those machines planned to start before that instant are examined: a bound at or below
    ``before`` cannot be raised by occupations after it. (Any subset of jobs gives a valid
    bound; the filters only trade strength for speed.)"""
    by_machine: dict[int, list[tuple[int, int]]] = {}
    fixed: Solution = {}
    for task in problem.tasks:
        if task.fixed is not None:
            machine, start, end = task.fixed
            fixed[task.index] = task.fixed
            by_machine.setdefault(machine, []).append((start, end))

    def relevant(t: int) -> bool:
        if machines is not None and not any(m in machines for m in problem.tasks[t].alts):
            return False
        return before is None or planned is None or t not in planned or planned[t][1] < before

    jobs = [j for j in problem.jobs if not j.is_request and any(relevant(t) for t in j.tasks)]
    movable = {t for j in jobs for t in j.tasks if problem.tasks[t].fixed is None}
    deadlines = {j.index: j.deadline for j in problem.jobs if j.deadline is not None}
    try:
        _, ranges = time_windows(problem, fixed, movable, deadlines, jobs=jobs)
    except InfeasibleDomain:
        return by_machine  # no valid schedule at all; the caller reports that elsewhere
    for t, alternatives in ranges.items():
        if len(alternatives) != 1:
            continue
        ((machine, (lo, hi)),) = alternatives.items()
        earliest_end = problem.machines[machine].wt.end_after(lo, problem.tasks[t].minutes)
        if earliest_end is not None and hi < earliest_end:
            by_machine.setdefault(machine, []).append((hi, earliest_end))
    return by_machine


def blocked_spans(
    problem: Problem,
    job: Job | None = None,
    before: int | None = None,
    planned: Solution | None = None,
) -> dict[int, list[tuple[int, int]]]:
    """Per machine (those of ``job`` when given), the spans during which compulsory
    occupations fill every unit."""
    machines = None if job is None else {m for t in job.tasks for m in problem.tasks[t].alts}
    by_machine = compulsory_occupations(problem, machines, before, planned)
    blocked: dict[int, list[tuple[int, int]]] = {}
    for machine, spans in by_machine.items():
        capacity = problem.machines[machine].capacity
        events: dict[int, int] = {}
        for s, e in spans:
            events[s] = events.get(s, 0) + 1
            events[e] = events.get(e, 0) - 1
        level = 0
        opened = None
        result: list[tuple[int, int]] = []
        for instant in sorted(events):
            level += events[instant]
            if level >= capacity and opened is None:
                opened = instant
            elif level < capacity and opened is not None:
                result.append((opened, instant))
                opened = None
        if result:
            blocked[machine] = result
    return blocked


def critical_path_bound(
    problem: Problem, job_index: int, before: int | None = None, planned: Solution | None = None
) -> int | None:
    """Earliest possible end of ``job_index`` on machines holding only compulsory work."""
    path = critical_path(
        problem, job_index, blocked_spans(problem, problem.jobs[job_index], before, planned)
    )
    return None if path is None else path[-1][2]


def critical_path(
    problem: Problem, job_index: int, blocked: dict[int, list[tuple[int, int]]] | None = None
) -> list[Placement] | None:
    """The placements of that earliest path: each task at its earliest end over alternatives.

    Also a candidate schedule for the request (solver.py tries to repair the rest of the
    board around it; when that works the request completes at its lower bound)."""
    if blocked is None:
        blocked = blocked_spans(problem, problem.jobs[job_index])
    job = problem.jobs[job_index]
    ready = job.ready
    path: list[Placement] = []
    for t in job.tasks:
        task = problem.tasks[t]
        if task.fixed is not None:
            ready = max(ready, task.fixed[2])
            path.append(task.fixed)
            continue
        best: Placement | None = None
        for machine in task.alts:
            wt = problem.machines[machine].wt
            spans = blocked.get(machine, [])
            ends = [e for _, e in spans]
            cursor = ready
            while True:
                start = wt.next_working(cursor)
                if start is None:
                    break
                end = wt.end_after(start, task.minutes)
                if end is None:
                    break
                k = bisect.bisect_right(ends, start)
                if k < len(spans) and spans[k][0] < end:
                    cursor = spans[k][1]
                    continue
                if best is None or end < best[2]:
                    best = (machine, start, end)
                break
        if best is None:
            return None
        path.append(best)
        ready = best[2]
    return path
