"""Lower bounds on the request's completion that hold for every valid schedule.

The critical path over compulsory occupations, and an energy bound per machine; nothing is
assumed about the solver's own restrictions. How and why: docs/engine.md ("Lower bounds").
"""

from __future__ import annotations

import bisect

from scheduling.engine.domains import InfeasibleDomain, time_windows
from scheduling.engine.problem import Job, Placement, Problem, Solution

Demands = dict[int, list[tuple[int, int]]]  # machine -> [(latest end, working minutes)]


def compulsory_occupations(
    problem: Problem,
    machines: set[int] | None = None,
    before: int | None = None,
    planned: Solution | None = None,
    demands: Demands | None = None,
) -> dict[int, list[tuple[int, int]]]:
    """Per machine, spans that every valid schedule of the existing orders occupies (only
    jobs with an operation on ``machines`` are examined when given: the others cannot block
    those machines). With ``before`` and a ``planned`` schedule, only jobs with an operation on
    those machines planned to start before that instant are examined: a bound at or below
    ``before`` cannot be raised by occupations after it. (Any subset of jobs gives a valid
    bound; the filters only trade strength for speed.) When ``demands`` is given it receives,
    per machine, the (latest end, working minutes) of work that must be done by then."""
    by_machine: dict[int, list[tuple[int, int]]] = {}
    fixed: Solution = {}
    for task in problem.tasks:
        if task.fixed is not None:
            machine, start, end = task.fixed
            fixed[task.index] = task.fixed
            by_machine.setdefault(machine, []).append((start, end))
            if demands is not None and end > 0:
                work = problem.machines[machine].wt.work_between(max(0, start), end)
                demands.setdefault(machine, []).append((end, work))

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
        wt = problem.machines[machine].wt
        minutes = problem.tasks[t].minutes
        earliest_end = wt.end_after(lo, minutes)
        if earliest_end is not None and hi < earliest_end:
            by_machine.setdefault(machine, []).append((hi, earliest_end))
        latest_end = wt.end_after(hi, minutes)
        if demands is not None and latest_end is not None:
            demands.setdefault(machine, []).append((latest_end, minutes))
    return by_machine


def energy_end(
    problem: Problem, machine: int, demands: list[tuple[int, int]], ready: int, minutes: int
) -> int | None:
    """Earliest end e of the request's ``minutes`` (started after ``ready``) such that for
    every T >= e, capacity x working time of [now, T) covers the request plus every demand
    with latest end <= T. (Demands only grow with T, so every later T must be checked: a day
    filled by promises due tonight leaves no room this morning either.)"""
    wt = problem.machines[machine].wt
    capacity = problem.machines[machine].capacity
    start = wt.next_working(max(0, ready))
    if start is None:
        return None
    plain_end = wt.end_after(start, minutes)
    if plain_end is None:
        return None
    origin = wt.position(0)
    # Demand points: (latest end L_i, total demand with latest end <= L_i), increasing.
    points: list[tuple[int, int]] = []
    total = 0
    for latest_end, work in sorted(demands):
        total += work
        if points and points[-1][0] == latest_end:
            points[-1] = (latest_end, total)
        else:
            points.append((latest_end, total))
    # Room left for the request at each point, and its minimum over all later points.
    room = [capacity * (wt.position(at) - origin) - need for at, need in points]
    suffix_min = room[:]
    for k in range(len(room) - 2, -1, -1):
        suffix_min[k] = min(room[k], suffix_min[k + 1])
    # Segment k runs from point k-1 (or now) to point k; the request may end inside it if
    # every point from k on leaves it room and the working time up to its end suffices.
    for k in range(len(points) + 1):
        if k < len(points) and suffix_min[k] < minutes:
            continue
        segment_start = points[k - 1][0] if k > 0 else 0
        need = points[k - 1][1] if k > 0 else 0
        reach = wt._instant_of(origin - (-(need + minutes) // capacity))
        if reach is None:
            return None
        candidate = max(reach, plain_end, segment_start)
        if k == len(points) or candidate <= points[k][0]:
            return candidate
    return None


def blocked_spans(
    problem: Problem,
    job: Job | None = None,
    before: int | None = None,
    planned: Solution | None = None,
    demands: Demands | None = None,
) -> dict[int, list[tuple[int, int]]]:
    """Per machine (those of ``job`` when given), the spans during which compulsory
    occupations fill every unit."""
    machines = None if job is None else {m for t in job.tasks for m in problem.tasks[t].alts}
    by_machine = compulsory_occupations(problem, machines, before, planned, demands)
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
    """A lower bound on the end of ``job_index`` (see ``request_bounds``)."""
    return request_bounds(problem, job_index, before, planned)[1]


def request_bounds(
    problem: Problem, job_index: int, before: int | None = None, planned: Solution | None = None
) -> tuple[list[Placement] | None, int | None]:
    """(the critical path's placements, a lower bound on the job's end).

    The bound takes, operation by operation and for each alternative, the later of the
    critical-path end and the energy bound, the best alternative, and chains on from there."""
    job = problem.jobs[job_index]
    demands: Demands = {}
    blocked = blocked_spans(problem, job, before, planned, demands)
    path = critical_path(problem, job_index, blocked)
    ready = job.ready
    for t in job.tasks:
        task = problem.tasks[t]
        if task.fixed is not None:
            ready = max(ready, task.fixed[2])
            continue
        best: int | None = None
        for machine in task.alts:
            fit = _earliest_fit(problem, blocked.get(machine, []), machine, ready, task.minutes)
            energy = energy_end(problem, machine, demands.get(machine, []), ready, task.minutes)
            if fit is None or energy is None:
                continue
            end = max(fit[1], energy)
            best = end if best is None else min(best, end)
        if best is None:
            return path, None
        ready = best
    return path, ready


def _earliest_fit(
    problem: Problem, spans: list[tuple[int, int]], machine: int, ready: int, minutes: int
) -> tuple[int, int] | None:
    """(start, end) of the earliest working start at or after ``ready`` whose occupation
    avoids the blocked ``spans`` of ``machine``."""
    wt = problem.machines[machine].wt
    ends = [e for _, e in spans]
    cursor = ready
    while True:
        start = wt.next_working(cursor)
        if start is None:
            return None
        end = wt.end_after(start, minutes)
        if end is None:
            return None
        k = bisect.bisect_right(ends, start)
        if k < len(spans) and spans[k][0] < end:
            cursor = spans[k][1]
            continue
        return start, end


def critical_path(
    problem: Problem, job_index: int, blocked: dict[int, list[tuple[int, int]]] | None = None
) -> list[Placement] | None:
    """The placements of the earliest path: each task at its earliest end over alternatives,
    on machines blocked only where compulsory occupations fill them.

    Also a candidate schedule for the request (the search tries to repair the rest of the
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
            fit = _earliest_fit(problem, blocked.get(machine, []), machine, ready, task.minutes)
            if fit is not None and (best is None or fit[1] < best[2]):
                best = (machine, fit[0], fit[1])
        if best is None:
            return None
        path.append(best)
        ready = best[2]
    return path
