"""Lower bounds on the request's completion that hold for every valid schedule.

The critical path of the request from ``max(now, release)``: each operation on its best
alternative, at the earliest working instant after its predecessor, with the calendar's pauses.
Machines are empty except for what no schedule can move: running operations (fixed by rule 1),
so a machine whose every unit is taken by running work is unavailable until that work ends.
Nothing else is assumed, so the bound stays valid whatever the solver later restricts.
"""

from __future__ import annotations

import bisect

from scheduling.engine.problem import Problem


def blocked_spans(problem: Problem) -> dict[int, list[tuple[int, int]]]:
    """Per machine, the spans during which running operations fill every unit."""
    by_machine: dict[int, list[tuple[int, int]]] = {}
    for task in problem.tasks:
        if task.fixed is not None:
            machine, start, end = task.fixed
            by_machine.setdefault(machine, []).append((start, end))
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


def critical_path_bound(problem: Problem, job_index: int) -> int | None:
    """Earliest possible end of ``job_index`` on machines holding only running work."""
    blocked = blocked_spans(problem)
    job = problem.jobs[job_index]
    ready = job.ready
    for t in job.tasks:
        task = problem.tasks[t]
        if task.fixed is not None:
            ready = max(ready, task.fixed[2])
            continue
        best = None
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
                if best is None or end < best:
                    best = end
                break
        if best is None:
            return None
        ready = best
    return ready
