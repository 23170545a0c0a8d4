"""Put moved operations back where the committed plan had them, wherever that stays valid.

``restore_baseline``: a greedy pass, repeated until nothing changes; the request's completion is
unchanged and the result is checked with ``violations``. Why and how: docs/engine.md ("Putting
moved work back").
"""

from __future__ import annotations

import bisect

from scheduling.engine.dispatch import Lanes
from scheduling.engine.problem import Problem, Solution, violations

MAX_PASSES = 4


class _Occupancy:
    """The spans on one work center, sorted by start, for "is a unit free over [s, e)"."""

    def __init__(self, capacity: int, spans: list[tuple[int, int, int]]) -> None:
        self.capacity = capacity
        self.items = sorted(spans)  # (start, end, task)
        self.longest = max((e - s for s, e, _ in spans), default=0)

    def fits(self, start: int, end: int, ignore: int) -> bool:
        # Spans that can overlap [start, end) start before ``end`` and after start - longest.
        lo = bisect.bisect_left(self.items, (start - self.longest, -1, -1))
        hi = bisect.bisect_left(self.items, (end, -1, -1))
        overlapping = [(s, e) for s, e, t in self.items[lo:hi] if t != ignore and e > start]
        if len(overlapping) < self.capacity:
            return True
        # Most units in use at once within [start, end): sweep the overlapping spans.
        # At equal instants an end (-1) sorts before a start (+1): spans are half-open.
        events = sorted(
            [(max(s, start), 1) for s, _ in overlapping] + [(e, -1) for _, e in overlapping]
        )
        level = 0
        for _, delta in events:
            level += delta
            if level >= self.capacity:
                return False
        return True

    def remove(self, start: int, end: int, task: int) -> None:
        self.items.remove((start, end, task))

    def add(self, start: int, end: int, task: int) -> None:
        bisect.insort(self.items, (start, end, task))
        self.longest = max(self.longest, end - start)


def restore_baseline(problem: Problem, solution: Solution) -> tuple[Solution, int]:
    """``solution`` with as many moved operations as possible back at their baseline, and how
    many were restored. ``solution`` must be valid; the result is too (or ``solution`` itself)."""
    moved = [
        task
        for task in problem.tasks
        if task.baseline is not None
        and task.fixed is None
        and (solution[task.index][0], solution[task.index][1]) != task.baseline
    ]
    if not moved:
        return solution, 0
    result = dict(solution)
    spans: dict[int, list[tuple[int, int, int]]] = {}
    for t, (machine, start, end) in result.items():
        spans.setdefault(machine, []).append((start, end, t))
    occupancy = {m: _Occupancy(problem.machines[m].capacity, items) for m, items in spans.items()}
    position = {t: k for job in problem.jobs for k, t in enumerate(job.tasks)}
    restored = 0
    for _ in range(MAX_PASSES):
        changed = False
        for task in moved:
            t = task.index
            assert task.baseline is not None
            machine, start = task.baseline
            current = result[t]
            if (current[0], current[1]) == (machine, start):
                continue
            wt = problem.machines[machine].wt
            if machine not in task.alts or not wt.is_working(start):
                continue
            finish = wt.end_after(start, task.minutes)
            if finish is None:
                continue
            job = problem.jobs[task.job]
            k = position[t]
            ready = job.ready if k == 0 else result[job.tasks[k - 1]][2]
            if start < max(ready, 0):
                continue
            if k + 1 < len(job.tasks):
                if finish > result[job.tasks[k + 1]][1]:
                    continue
            elif job.deadline is not None and finish > job.deadline:
                continue
            if machine not in occupancy:
                occupancy[machine] = _Occupancy(problem.machines[machine].capacity, [])
            occupancy[current[0]].remove(current[1], current[2], t)
            if not occupancy[machine].fits(start, finish, t):
                occupancy[current[0]].add(current[1], current[2], t)
                continue
            occupancy[machine].add(start, finish, t)
            result[t] = (machine, start, finish)
            restored += 1
            changed = True
        if not changed:
            break
    if restored and violations(problem, result):
        return solution, 0  # never trade validity for fewer moves
    return result, restored


def pulled_towards_plan(problem: Problem, solution: Solution, keep: set[int]) -> Solution:
    """``solution`` with every operation that runs later than the plan pulled back towards
    its planned start: taken in order of start, each goes to the earliest fit on its work
    center at or after its planned start that its order's previous operation and the work
    already placed leave, never later than it was. Operations in ``keep`` (the request), running
    ones and ones not later than planned stay. Nothing moves later, so every promise still
    holds; the result is checked with ``violations`` and ``solution`` returned if anything is
    wrong. Where ``restore_baseline`` puts operations back one at a time (and stops at a chain
    of pushed work), this pulls whole chains back in one pass."""
    later = {
        t.index
        for t in problem.tasks
        if t.baseline is not None
        and t.fixed is None
        and t.index not in keep
        and solution[t.index][0] == t.baseline[0]
        and solution[t.index][1] > t.baseline[1]
    }
    if not later:
        return solution
    lanes = Lanes(problem)
    result = {t: p for t, p in solution.items() if t not in later}
    if not lanes.occupy_all(list(result.values())):
        return solution
    previous = {t: job.tasks[k - 1] for job in problem.jobs for k, t in enumerate(job.tasks) if k}
    for t in sorted(later, key=lambda t: (solution[t][1], t)):
        task = problem.tasks[t]
        machine, start, end = solution[t]
        assert task.baseline is not None
        ready = max(task.baseline[1], problem.jobs[task.job].ready)
        if t in previous:
            ready = max(ready, result[previous[t]][2])
        fit = lanes.earliest_fit(t, machine, ready)
        if fit is None or fit[0] > start:
            fit = None
            for index, lane in enumerate(lanes.lanes[machine]):
                if lane.free(start, end):
                    fit = (start, end, index)
                    break
            if fit is None:
                return solution
        lanes.lanes[machine][fit[2]].add(fit[0], fit[1])
        result[t] = (machine, fit[0], fit[1])
    if violations(problem, result):
        return solution
    return result
