"""Each operation's possible starts in a model: earliest from releases and predecessors'
earliest ends, latest from its order's latest end (its promise, rule 5) minus the
calendar-aware tail of its routing, per alternative work center."""

from __future__ import annotations

from collections.abc import Sequence

from scheduling.engine.problem import Job, Problem, Solution


class InfeasibleDomain(Exception):
    """A task has no start compatible with its bounds: its job cannot meet its latest end."""

    def __init__(self, job: int) -> None:
        super().__init__(job)
        self.job = job


def time_windows(
    problem: Problem,
    base: Solution,
    variable: set[int],
    latest_end: dict[int, int],
    min_start: dict[int, int] | None = None,
    jobs: Sequence[Job] | None = None,
) -> tuple[dict[int, int], dict[int, dict[int, tuple[int, int]]]]:
    """Earliest start of each variable task, and per alternative machine its [lo, hi] range of
    working starts that can still meet the job's latest end (heads from releases and
    predecessors' earliest ends, tails from the latest end back through the routing, both on
    each machine's own calendar). Tasks outside ``variable`` sit at their ``base`` placement.
    ``min_start`` optionally forbids some tasks to start earlier than given (a restriction:
    "move planned work only later"). Raises InfeasibleDomain for a job whose task has no
    possible start."""
    tasks = problem.tasks
    min_start = min_start or {}
    earliest: dict[int, int] = {}
    alt_ranges: dict[int, dict[int, tuple[int, int]]] = {}
    for job in problem.jobs if jobs is None else jobs:
        if any(t not in variable and t not in base for t in job.tasks):
            continue  # a job left out (the request while checking the board)
        ready = job.ready
        for t in job.tasks:
            if t not in variable:
                ready = base[t][2]
                continue
            ready = max(ready, min_start.get(t, ready))
            earliest[t] = ready
            best_end = None
            for m in tasks[t].alts:
                wt = problem.machines[m].wt
                s = wt.next_working(ready)
                e = wt.end_after(s, tasks[t].minutes) if s is not None else None
                if e is not None and (best_end is None or e < best_end):
                    best_end = e
            if best_end is None:
                raise InfeasibleDomain(job.index)
            ready = best_end
        bound = latest_end.get(job.index)
        for t in reversed(job.tasks):
            if t not in variable:
                bound = base[t][1]
                continue
            if bound is None:
                raise ValueError(f"job {job.id} has no latest end")
            ranges: dict[int, tuple[int, int]] = {}
            for m in tasks[t].alts:
                wt = problem.machines[m].wt
                lo = wt.next_working(earliest[t])
                hi = wt.start_before(bound, tasks[t].minutes)
                if lo is None or hi is None or lo > hi:
                    continue
                ranges[m] = (lo, hi)
            if not ranges:
                raise InfeasibleDomain(job.index)
            alt_ranges[t] = ranges
            bound = max(hi for _, hi in ranges.values())
    return earliest, alt_ranges
