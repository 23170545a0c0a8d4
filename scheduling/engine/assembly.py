"""Assembling the engine's answer from a solution: rows, moves, binding constraints, the
projection, and the last check by the independent verifier before anything is returned."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from scheduling.engine.budget import (
    Clock,
)
from scheduling.engine.calendars import to_instant, to_minute
from scheduling.engine.model import (
    Answer,
    Board,
    MovedOperation,
    ScheduledOperation,
)
from scheduling.engine.problem import (
    Problem,
    Solution,
    late_jobs,
)
from scheduling.engine.verify import verify


class EngineError(AssertionError):
    """The engine produced an answer that the verifier rejects: a bug, never user input."""

    def __init__(self, violations: list[str]) -> None:
        super().__init__("engine produced an invalid schedule: " + "; ".join(violations[:10]))
        self.violations = violations


def solution_from_rows(
    problem: Problem, rows: Sequence[ScheduledOperation], now: datetime
) -> Solution | None:
    """Schedule rows as placements: running operations at their fixed place, the others at
    the row's work center and start, ending by this problem's calendars. None when a row
    names an operation or work center the problem does not have, or a start with no working
    time after it."""
    index = {(task.order, task.op): task.index for task in problem.tasks}
    solution: Solution = {}
    for row in rows:
        t = index.get((row.order, row.operation))
        machine = problem.machine_by_id.get(row.work_center)
        if t is None or machine is None:
            return None
        fixed = problem.tasks[t].fixed
        if fixed is not None:
            solution[t] = fixed
            continue
        start = to_minute(row.start, now)
        end = problem.end_of(t, machine, start)
        if end is None:
            return None
        solution[t] = (machine, start, end)
    return solution


def promised_answer(board: Board, problem: Problem, solution: Solution) -> Answer:
    """The bare "promised" answer of a complete ``solution`` (completion, promise, schedule),
    for the verifier to judge."""
    assert board.request is not None and problem.request_job is not None
    completion = to_instant(solution[problem.jobs[problem.request_job].tasks[-1]][2], board.now)
    return Answer(
        status="promised",
        request=board.request.id,
        completion=completion,
        promise=completion + timedelta(minutes=board.order_buffer(board.request)),
        schedule=rows_of(problem, solution, board.now),
    )


def rows_of(problem: Problem, solution: Solution, now: datetime) -> tuple[ScheduledOperation, ...]:
    rows = []
    for task in problem.tasks:
        machine, start, end = solution[task.index]
        row = task.baseline_row
        if (
            row is not None
            and task.baseline == (machine, start)
            and (row.end == to_instant(end, now))
        ):
            rows.append(row)  # unchanged: reuse the baseline's row (saves time on big boards)
            continue
        rows.append(
            ScheduledOperation(
                order=task.order,
                operation=task.op,
                work_center=problem.machines[machine].id,
                start=to_instant(start, now),
                end=to_instant(end, now),
            )
        )
    return tuple(rows)


def moved_of(problem: Problem, solution: Solution, board: Board) -> tuple[MovedOperation, ...]:
    moved = []
    for task in problem.tasks:
        row = task.baseline_row
        if row is None or task.fixed is not None:
            continue
        machine, start, _ = solution[task.index]
        if (machine, start) != task.baseline:
            moved.append(
                MovedOperation(
                    order=task.order,
                    operation=task.op,
                    from_start=row.start,
                    to_start=to_instant(start, board.now),
                )
            )
    return tuple(moved)


def binding_of(
    problem: Problem, solution: Solution, request: int
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Where the request waits for a machine rather than for its predecessor, and the orders
    occupying that machine meanwhile (least slack first)."""
    job = problem.jobs[request]
    ready = job.ready
    centers: list[str] = []
    blockers: dict[str, int] = {}
    for t in job.tasks:
        machine, start, end = solution[t]
        earliest = problem.machines[machine].wt.next_working(ready)
        if earliest is not None and start > earliest:
            if problem.machines[machine].id not in centers:
                centers.append(problem.machines[machine].id)
            for other, (m, s, e) in solution.items():
                other_job = problem.jobs[problem.tasks[other].job]
                if m != machine or other_job.is_request or e <= earliest or s >= start:
                    continue
                slack = 10**9
                if other_job.deadline is not None:
                    slack = other_job.deadline - solution[other_job.tasks[-1]][2]
                blockers[other_job.id] = min(slack, blockers.get(other_job.id, slack))
        ready = end
    orders = tuple(sorted(blockers, key=lambda o: (blockers[o], o)))
    return tuple(centers), orders


def with_projection(
    board: Board, answer: Answer, problem: Problem, solution: Solution, options: Sequence[str]
) -> Answer:
    """Attach the least-late schedule of the existing orders (``solution``, without the
    request), verified like a promise except for rule 5 on the orders it leaves late, which
    ``at_risk`` names (they are late, and say so)."""
    # (A quote's problem also has the request's tasks, which the projection leaves out.)
    listed = replace(problem, tasks=[t for t in problem.tasks if t.index in solution])
    rows = rows_of(listed, solution, board.now)
    at_risk = tuple(problem.jobs[j].id for j in late_jobs(problem, solution))
    found = verify(
        board,
        Answer(status="promised", schedule=rows),
        options,
        accept_late=at_risk,
    )
    if found:
        raise EngineError(found)
    return replace(answer, projection=rows, at_risk=at_risk)


def checked_bound(lower: int, completion: int) -> int:
    """A lower bound above a completion that a valid schedule reaches is a wrong bound: an
    engine bug, never clipped away silently."""
    if lower > completion:
        raise EngineError([f"lower bound {lower} is after the completion {completion} reached"])
    return lower


def valid_repair(
    board: Board, problem: Problem, rows: Sequence[ScheduledOperation]
) -> Solution | None:
    """``rows`` as a schedule of every existing order's open operations, if it keeps rules 1-4
    on this board (rule 5 is what a repair may break); else None."""
    existing = {t.index for t in problem.tasks if not problem.jobs[t.job].is_request}
    solution = solution_from_rows(problem, rows, board.now)
    if solution is None or set(solution) != existing:
        return None
    alone = replace(board, request=None)
    every_order = [order.id for order in board.orders]
    if verify(alone, Answer(status="promised", schedule=tuple(rows)), accept_late=every_order):
        return None
    return solution


def repair_message(at_risk: dict[str, int], cancelled: bool) -> str:
    if cancelled:
        return "cancelled"
    if not at_risk:
        return ""
    return (
        f"quoted against a repair of the board: no schedule found keeps every promise; "
        f"{len(at_risk)} order(s) at risk: {', '.join(sorted(at_risk))}"
    )


def finish(board: Board, clock: Clock, answer: Answer, options: Sequence[str]) -> Answer:
    answer = replace(answer, solve_seconds=round(clock.wall(), 3))
    if answer.status == "promised":
        found = verify(board, answer, options, accept_late=answer.at_risk)
        if found:
            raise EngineError(found)
    return answer
