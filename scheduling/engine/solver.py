"""Capable-to-promise: ``quote`` a request against the board.

Every phase holds a valid incumbent, so a time limit or a cancel returns something true; the
independent verifier checks every answer before it is returned. The phases, and which module
holds each: docs/engine.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta

from scheduling.engine.assembly import (
    EngineError,
    binding_of,
    checked_bound,
    finish,
    moved_of,
    promised_answer,
    repair_message,
    rows_of,
    solution_from_rows,
    valid_repair,
    with_projection,
)
from scheduling.engine.bounds import critical_path, request_bounds
from scheduling.engine.budget import (
    CHECK_SECONDS_PER_TASK,
    DISPATCH_SECONDS_PER_TASK,
    Clock,
    Progress,
)
from scheduling.engine.calendars import to_instant, to_minute
from scheduling.engine.dispatch import insert_job
from scheduling.engine.disruption import minimise_disruption
from scheduling.engine.existing import EXISTING_SHARE, existing_schedule, lateness
from scheduling.engine.model import (
    Answer,
    AnswerStatus,
    Board,
    OptionResult,
    ScheduledOperation,
)
from scheduling.engine.options import evaluate_option
from scheduling.engine.problem import (
    Problem,
    Solution,
    build_problem,
    late_jobs,
    violations,
)
from scheduling.engine.search import (
    OPTIONS_SHARE,
    PHASE1_SHARE,
    PINNED_SHARE,
    RELOCATION_TASKS,
    STRATEGIES,
    CompletionSearch,
)
from scheduling.engine.verify import verify

_BOUND_LOOKAHEAD_MINUTES = 3 * 1440

__all__ = ["Progress", "quote"]


# Whether an improvement round of a kept requested date frees the request up to the target
# while moves are minimised, also when the plan that keeps it is the earliest schedule found
# (see ``quote``).
KEPT_DATE_ROOM = True


# -- public API -------------------------------------------------------------------------------
def quote(
    board: Board,
    *,
    time_limit: float = 10.0,
    workers: int = 2,
    seed: int = 0,
    apply_options: Sequence[str] = (),
    evaluate_options: bool = True,
    progress: Callable[[Progress], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    warm_start: Sequence[ScheduledOperation] = (),
    keep_completion: bool = False,
    earliest: bool = False,
    against_repair: bool = False,
    repair: Sequence[ScheduledOperation] = (),
    strategy: int = 0,
) -> Answer:
    """A promise for ``board.request`` that keeps every existing promise.

    When the request has a ``requested_due`` that can be met, the promise is that date, in
    the schedule that moves the fewest planned operations to meet it (often none: the request
    fits in the gaps), and ``earliest_completion`` says how early it could be instead. With
    ``earliest``, or when the requested date cannot be met (or none was given), the promise is
    the earliest found: completion + buffer.

    ``warm_start``: a schedule found before for this request (an earlier answer's rows). If
    it is still valid on this board (the verifier decides), the search starts from it, so the
    answer completes no later than it does: re-solving a quote with a capacity option added,
    or with more time, never makes its promise later. With ``keep_completion`` and a warm
    start that holds, its completion is kept exactly (the promise already quoted) and all the
    time goes to moving fewer planned operations (polishing a replan proposal before a
    scheduler reviews it).

    ``against_repair``: when no schedule keeps every existing promise (a breakdown, an overrun),
    quote against the least-late repair found instead of answering ``no_solution``: the orders
    it leaves late are named in ``at_risk`` and may end no later than they do there; every
    other promise is kept as usual. Committing such an answer is a repair as well, for a
    scheduler to approve. ``repair``: a repair found before (a longer background solve's
    rows, without the request); used instead of the engine's own when it is valid on this
    board and leaves less lateness.

    ``strategy`` (0..STRATEGIES-1, with ``seed``): which neighbourhoods CP-SAT searches for an
    earlier completion on boards too large to model whole (search.CompletionSearch.levels);
    every strategy returns a verified answer, they differ in which one they find in the time.
    """
    if board.request is None:
        raise ValueError("quote needs a board with a request")
    if not 0 <= strategy < STRATEGIES:
        raise ValueError(f"strategy must be 0..{STRATEGIES - 1}, got {strategy}")
    clock = Clock(time_limit, progress, cancel, board.now)
    clock.deterministic = workers == 1
    problem = build_problem(board, options=apply_options)
    clock.keep_for_answer(problem)
    request = problem.request_job
    assert request is not None
    option_ids = [o.id for o in board.capacity_options or () if o.id not in apply_options]
    phase1_share = PHASE1_SHARE if (evaluate_options and option_ids) else 0.8

    # Without a schedule that keeps every existing promise there is nothing to quote against,
    # so repairing the board may take as much of the time as check() gives it. It costs
    # nothing when the plan still holds, and a repair that succeeds stops at once (no order
    # late is a proven optimum of the lateness objective).
    existing = existing_schedule(problem, clock, workers, seed, share=EXISTING_SHARE)
    at_risk: dict[str, int] = {}
    repaired = existing.least_late
    if existing.solution is None and against_repair and repair:
        given = valid_repair(board, problem, repair)
        if given is not None and (
            repaired is None or lateness(problem, given) < lateness(problem, repaired)
        ):
            repaired = given
    if (
        existing.solution is None
        and against_repair
        and repaired is not None
        and not clock.is_cancelled()
    ):
        # Quote against the repair: its late orders may end as late as it makes them, no later.
        for j in late_jobs(problem, repaired):
            job = problem.jobs[j]
            job.deadline = repaired[job.tasks[-1]][2]
            at_risk[job.id] = job.deadline
        existing = replace(existing, solution=repaired, at_fault=[], message="")
    if existing.solution is None:
        status: AnswerStatus = "infeasible" if existing.at_fault else "no_solution"
        answer = Answer(
            status=status,
            request=board.request.id,
            at_fault=tuple(existing.at_fault),
            message=existing.message,
        )
        if existing.least_late is not None:
            answer = with_projection(board, answer, problem, existing.least_late, apply_options)
        return finish(board, clock, answer, apply_options)

    search = CompletionSearch(problem, existing.solution, clock, workers, seed)
    search.strategy = strategy
    held = bool(warm_start) and _warm_start(board, problem, search, warm_start, apply_options)
    searching = not (keep_completion and held)
    search.keep_completion = not searching
    # Work planned long after the request's plain critical path rarely constrains it; any
    # subset of the board gives a valid bound, so look no further than a few days past it.
    plain = critical_path(problem, request, {})
    horizon = search.completion
    if plain is not None and horizon is not None:
        horizon = min(horizon, plain[-1][2] + _BOUND_LOOKAHEAD_MINUTES)
    path, lower = request_bounds(problem, request, horizon, existing.solution)
    if searching and len(problem.tasks) <= RELOCATION_TASKS:
        search.try_relocation()
    if searching:
        search.try_justified_insertion()
    if (
        searching
        and path is not None
        and (search.completion or 0) > path[-1][2]
        and (clock.remaining() > 4 * DISPATCH_SECONDS_PER_TASK * len(problem.tasks))
    ):
        search.try_request_first(path)
    if search.best is None:
        return finish(
            board,
            clock,
            Answer(
                status="no_solution",
                request=board.request.id,
                message="the request cannot be placed: no working time on its work centers",
            ),
            apply_options,
        )
    search.lower = max(search.lower, lower or 0)
    if (search.completion or 0) <= search.lower:
        search.proven = True
    clock.report("completion", search.completion, search.lower)
    if searching and path is not None and not search.proven and path[-1][2] <= search.lower:
        search.try_pinned(path, deadline=clock.elapsed() + PINNED_SHARE * clock.remaining())
        if not search.proven:
            search.try_justified(path)
        if search.proven:
            clock.report("completion", search.completion, search.lower)
    if searching:
        search.run(deadline=clock.elapsed() + phase1_share * clock.remaining(), share=phase1_share)

    options: list[OptionResult] = []
    if evaluate_options and option_ids:
        share = OPTIONS_SHARE / (1 - phase1_share) * clock.remaining() / len(option_ids)
        for option_id in option_ids:
            options.append(
                evaluate_option(board, problem, option_id, search, clock, workers, seed, share)
            )
            clock.report("options")

    best = search.best
    final = problem.jobs[request].tasks[-1]
    earliest_completion = best[final][2]
    buffer = board.order_buffer(board.request)
    requested = board.request.requested_due
    # The latest completion that still keeps the requested date (None: no date to keep, or
    # the completion is given already: a polish keeps the quoted schedule's).
    keep_date = requested is not None and not earliest
    target = None
    if requested is not None and keep_date and not keep_completion:
        target = to_minute(requested - timedelta(minutes=buffer), board.now)
        if target < earliest_completion:
            target = None  # the requested date cannot be met: promise the earliest
    if target is not None:
        best = _keeping_requested(problem, search, target, clock)
    # When improving a kept date's earlier answer (``held``), the request may finish anywhere
    # up to the target while moves are minimised, its work centers free up to the target
    # (``minimise_disruption``): on the demo shop the anytime rounds then end at 7-40 moves
    # where keeping the incumbent's completion ended at 48-63 (``python -m bench.kept_rounds``,
    # which turns KEPT_DATE_ROOM off to compare). Not for a first answer whose plan is the
    # incumbent: in about a second the larger model moves more (p1, a week out: 39 moves
    # where the earliest date moves 37, ``python -m bench.requested --workers 1``).
    room = KEPT_DATE_ROOM and held and target is not None
    loose = target if room or best is not search.best else None
    if board.schedule is not None and not clock.is_cancelled():
        best = minimise_disruption(
            problem, best, search, clock, workers, seed, completion_at_most=loose, free_request=room
        )

    completion = best[final][2]
    # (Minimising moves can stumble on an earlier completion than the search found.)
    earliest_completion = min(earliest_completion, completion)
    promise = to_instant(completion, board.now) + timedelta(minutes=buffer)
    kept = requested is not None and keep_date and promise <= requested
    if kept:
        assert requested is not None
        promise = requested
    proven = search.proven or earliest_completion <= search.lower
    answer = Answer(
        status="promised",
        request=board.request.id,
        completion=to_instant(completion, board.now),
        promise=promise,
        lower_bound=to_instant(checked_bound(search.lower, earliest_completion), board.now),
        proven_optimal=proven,
        requested_due_feasible=(
            None
            if requested is None
            else to_instant(earliest_completion, board.now) + timedelta(minutes=buffer) <= requested
        ),
        earliest_completion=to_instant(earliest_completion, board.now) if kept else None,
        schedule=rows_of(problem, best, board.now),
        moved=moved_of(problem, best, board),
        options=tuple(options),
        at_risk=tuple(sorted(at_risk)),
        message=repair_message(at_risk, clock.cancelled),
    )
    for job in problem.jobs:  # the engine's own check of the one rule the verifier waives
        if job.id in at_risk and best[job.tasks[-1]][2] > at_risk[job.id]:
            raise EngineError([f"{job.id} ends after its end in the repair quoted against"])
    work_centers, orders = binding_of(problem, best, request)
    answer = replace(answer, binding_work_centers=work_centers, binding_orders=orders)
    clock.report("done", completion, search.lower)
    return finish(board, clock, answer, apply_options)


def _keeping_requested(
    problem: Problem, search: CompletionSearch, target: int, clock: Clock
) -> Solution:
    """A schedule whose request completes by ``target`` moving as little as possible to
    start from: the request in the existing schedule's gaps when that meets the target
    (nothing moved), else, of the incumbents the search went through, the one meeting it with
    the fewest moves (the earliest often got there by moving much of the board); the
    disruption phase then moves back whatever the target leaves room for."""
    assert search.request is not None and search.best is not None
    final = problem.jobs[search.request].tasks[-1]
    quiet = insert_job(problem, search.existing, search.request)
    clock.spent_seconds(len(problem.tasks) * CHECK_SECONDS_PER_TASK)
    if quiet is not None and quiet[final][2] <= target and not violations(problem, quiet):
        return quiet
    clock.spent_seconds(len(search.trail) * len(problem.tasks) * CHECK_SECONDS_PER_TASK)
    return search.fewest_moves(target) or search.best


def _warm_start(
    board: Board,
    problem: Problem,
    search: CompletionSearch,
    rows: Sequence[ScheduledOperation],
    options: Sequence[str],
) -> bool:
    """Whether ``rows``, with each operation's end following this board's calendars (a
    capacity option's extra time shortens pauses), form a valid schedule of this board; if so
    they become the search's incumbent when they complete the request earlier."""
    assert search.request is not None
    solution = solution_from_rows(problem, rows, board.now)
    if solution is None or len(solution) != len(problem.tasks) or violations(problem, solution):
        return False  # from another board, or the board changed since: start afresh
    if verify(board, promised_answer(board, problem, solution), options):
        return False  # the independent verifier has the last word
    search.adopt(solution)
    return True
