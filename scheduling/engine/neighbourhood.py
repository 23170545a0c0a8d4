"""Which planned operations can matter to an earlier completion of the request.

On a big board most operations cannot interact with the request at all. Starting from the
request's operations (anywhere between their earliest start and the incumbent's completion on
each alternative work center), an operation is *affected* when something affected could come
to occupy its machine while it is planned there, or when its predecessor could end after it is
planned to start. Operations are only allowed to move later than planned here (within their
promise), which bounds how far each one can reach, so the closure stays small on boards whose
promises are tight. Everything else stays exactly where it is, as fixed occupations.

This is a restriction of the problem (a large neighbourhood of the incumbent), so a bound from
it is not a bound for the whole problem; the solver treats it that way.
"""

from __future__ import annotations

import bisect
from collections import deque

from scheduling.engine.cpmodel import InfeasibleDomain, time_windows
from scheduling.engine.problem import Problem, Solution


def right_shift_neighbourhood(
    problem: Problem, best: Solution, request: int, completion: int, target: int | None = None
) -> set[int] | None:
    """Tasks (the request's included) to model when work may only move later; None when the
    neighbourhood cannot be computed (then the caller uses a plain time window).

    With ``target`` the request is only looked for before that instant (a smaller
    neighbourhood aimed at finishing by ``target``; the request keeps its incumbent place as
    a fallback, so the model stays feasible)."""
    request_tasks = problem.jobs[request].tasks
    jobs = [j for j in problem.jobs if not j.is_request and any(
        problem.tasks[t].fixed is None and best[t][1] < completion for t in j.tasks)]
    candidates = {t for j in jobs for t in j.tasks
                  if problem.tasks[t].fixed is None and best[t][1] < completion}
    later_only = {t: best[t][1] for t in candidates}
    deadlines = {j.index: j.deadline for j in jobs if j.deadline is not None}
    try:
        _, ranges = time_windows(problem, best, candidates, deadlines, later_only, jobs=jobs)
    except InfeasibleDomain:
        return None
    # Where each movable task could be: (machine, earliest start, latest end) per alternative.
    reach: dict[int, list[tuple[int, int, int]]] = {}
    for t, alternatives in ranges.items():
        machine, start, _ = best[t]
        if list(alternatives) == [machine] and alternatives[machine] == (start, start):
            continue  # no room to move at all: it stays a fixed occupation
        spans = []
        for m, (lo, hi) in alternatives.items():
            end = problem.machines[m].wt.end_after(hi, problem.tasks[t].minutes)
            if end is not None:
                spans.append((m, lo, end))
        reach[t] = spans
    horizon = completion if target is None else min(target, completion)
    for t in request_tasks:
        ready = problem.jobs[request].ready
        reach[t] = [(m, ready, horizon) for m in problem.tasks[t].alts]

    # Movable tasks on each machine, by planned start, to find who sits in a reach.
    by_machine: dict[int, list[tuple[int, int, int]]] = {}
    for t in reach:
        if t in request_tasks:
            continue
        m, s, e = best[t]
        by_machine.setdefault(m, []).append((s, e, t))
    starts: dict[int, list[int]] = {}
    for m, items in by_machine.items():
        items.sort()
        starts[m] = [s for s, _, _ in items]
    max_length = {m: max(e - s for s, e, _ in items) for m, items in by_machine.items()}
    successor = {}
    for job in problem.jobs:
        for a, b in zip(job.tasks, job.tasks[1:], strict=False):
            successor[a] = b

    affected: set[int] = set(request_tasks)
    queue = deque(request_tasks)
    while queue:
        v = queue.popleft()
        for m, lo, hi in reach.get(v, ()):
            items = by_machine.get(m)
            if not items:
                continue
            # Planned occupations [s, e) meeting [lo, hi): s < hi and e > lo; e <= s + max_len.
            k = bisect.bisect_left(starts[m], lo - max_length[m])
            while k < len(items) and items[k][0] < hi:
                s, e, u = items[k]
                if e > lo and u not in affected:
                    affected.add(u)
                    queue.append(u)
                k += 1
        u = successor.get(v)
        if u is not None and u in reach and u not in affected:
            latest_end = max((hi for _, _, hi in reach[v]), default=0)
            if latest_end > best[u][1]:
                affected.add(u)
                queue.append(u)
    return affected
