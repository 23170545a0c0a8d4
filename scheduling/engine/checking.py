"""``check``: the existing orders' schedule, kept or repaired (least late when no schedule keeps
every promise), and ``append_baseline``, the naive promise a queue would give."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from scheduling.engine.assembly import (
    checked_bound,
    finish,
    moved_of,
    rows_of,
    with_projection,
)
from scheduling.engine.bounds import critical_path_bound
from scheduling.engine.budget import (
    Clock,
    Progress,
)
from scheduling.engine.calendars import to_instant
from scheduling.engine.dispatch import dispatch, insert_job
from scheduling.engine.disruption import minimise_disruption
from scheduling.engine.existing import EXISTING_SHARE, existing_schedule, slack_priority
from scheduling.engine.model import (
    Answer,
    AnswerStatus,
    Board,
)
from scheduling.engine.problem import (
    baseline_solution,
    build_problem,
    late_jobs,
    violations,
)
from scheduling.engine.search import (
    CompletionSearch,
)


def check(
    board: Board,
    *,
    time_limit: float = 10.0,
    workers: int = 2,
    seed: int = 0,
    apply_options: Sequence[str] = (),
    progress: Callable[[Progress], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> Answer:
    """A valid schedule of the existing orders (the baseline where it still holds), or
    "infeasible" with the orders whose promise cannot be kept, or "no_solution"; either with
    the least-late schedule found as the projection and the orders it leaves late."""
    clock = Clock(time_limit, progress, cancel, board.now)
    clock.deterministic = workers == 1
    problem = build_problem(board, options=apply_options, with_request=False)
    clock.keep_for_answer(problem)
    existing = existing_schedule(problem, clock, workers, seed, share=EXISTING_SHARE)
    if existing.solution is None:
        status: AnswerStatus = "infeasible" if existing.at_fault else "no_solution"
        answer = Answer(status=status, at_fault=tuple(existing.at_fault), message=existing.message)
        if existing.least_late is not None:
            answer = with_projection(board, answer, problem, existing.least_late, apply_options)
        return finish(board, clock, answer, apply_options)
    solution = existing.solution
    if board.schedule is not None and moved_of(problem, solution, board) and not clock.cancelled:
        search = CompletionSearch(problem, solution, clock, workers, seed)
        solution = minimise_disruption(problem, solution, search, clock, workers, seed)
    answer = Answer(
        status="promised",
        schedule=rows_of(problem, solution, board.now),
        moved=moved_of(problem, solution, board),
        message="cancelled" if clock.cancelled else "",
    )
    clock.report("done")
    return finish(board, clock, answer, apply_options)


def append_baseline(board: Board, *, apply_options: Sequence[str] = ()) -> Answer:
    """The naive promise: the request appended after each machine's planned work, nothing else
    moved (what a rep would get by pushing the order to the end of the queue)."""
    if board.request is None:
        raise ValueError("append_baseline needs a board with a request")
    clock = Clock(60.0, None, None, board.now)
    problem = build_problem(board, options=apply_options)
    request = problem.request_job
    assert request is not None
    base = baseline_solution(problem)
    if base is None or violations(problem, base, ends_known=True):
        base = dispatch(problem, priority=slack_priority(problem), skip_jobs=frozenset({request}))
        if base is None or late_jobs(problem, base):
            # One dispatch proves nothing: "no_solution", naming what it left late.
            late = [problem.jobs[j].id for j in late_jobs(problem, base)] if base else []
            named = f"; a dispatch leaves late: {', '.join(late)}" if late else ""
            return finish(
                board,
                clock,
                Answer(
                    status="no_solution",
                    request=board.request.id,
                    message="the board without the request is not valid" + named,
                ),
                apply_options,
            )
    solution = insert_job(problem, base, request, after_queue=True)
    if solution is None:
        return finish(
            board,
            clock,
            Answer(status="no_solution", request=board.request.id, message="no working time"),
            apply_options,
        )
    completion = solution[problem.jobs[request].tasks[-1]][2]
    lower = critical_path_bound(problem, request, completion, base) or completion
    promise = to_instant(completion, board.now) + timedelta(
        minutes=board.order_buffer(board.request)
    )
    answer = Answer(
        status="promised",
        request=board.request.id,
        completion=to_instant(completion, board.now),
        promise=promise,
        lower_bound=to_instant(checked_bound(lower, completion), board.now),
        proven_optimal=completion <= lower,
        requested_due_feasible=(
            None if board.request.requested_due is None else promise <= board.request.requested_due
        ),
        schedule=rows_of(problem, solution, board.now),
        moved=moved_of(problem, solution, board),
    )
    return finish(board, clock, answer, apply_options)
