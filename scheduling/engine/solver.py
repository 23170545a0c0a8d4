"""Capable-to-promise: ``quote`` a request against the board, ``check`` (and repair) the board.

The search always holds a valid incumbent, so a time limit or a cancel returns something true:

1. The existing orders' schedule: the baseline when it still passes every rule; the baseline
   kept with the orders it does not plan inserted into its gaps, when that keeps every promise;
   otherwise a repair (list scheduling under several dispatch rules, shifting and then
   left-justifying the plan, then rounds that move the late orders forward in the priority,
   then CP-SAT; the least late of them all), or "infeasible" naming the orders whose promise
   cannot be kept (found by minimising lateness beyond the promise as a soft goal). Without a
   valid schedule the least-late one found is the answer's projection.
2. The request inserted into the earliest gaps of that schedule, moving nothing: valid, and an
   upper bound on the completion (the completion's domain in every later model). On boards up
   to a few thousand operations, also inserted by relocating the planned work it displaces
   (into other gaps, or shifted right on its lane within the promises; insertion.py): on a
   tightly promised board this often finds room days or weeks earlier, in milliseconds.
3. A lower bound valid for the whole problem (bounds.py: critical path over compulsory
   occupations, and an energy bound per machine). If the request can be pinned on that path
   and the work around it repaired (CP-SAT on a small time window, or else the planned work
   before a horizon pushed as late as its promises allow: justify.py), the quote is optimal.
4. Otherwise CP-SAT minimises the request's completion over windows of the planned work (first
   "later only", then free), everything beyond them frozen as fixed occupations, the whole
   board only when it is small. A bound from a model with frozen operations is not a bound for
   the whole problem and is never reported as one.
5. With the completion fixed, CP-SAT minimises disruption: moved operations, then displacement.
6. Each capacity option: the answer's schedule with the option's hours, the request
   re-inserted (into gaps, and on boards up to a few thousand operations relocating planned
   work into the option's hours), and (small boards) re-optimised.

Time: every phase fits the time limit, model sizes adapt to the time left, and time is kept
back for assembling and verifying the answer (budget.py).

Before anything is returned, ``verify`` (written independently) checks it; a violation, or a
lower bound that the answer itself beats, is an engine bug and raises ``EngineError`` instead
of reaching a user.

Module map: ``search.py`` holds the phases, ``budget.py`` the clock, ``cpmodel.py`` the CP-SAT
model, ``dispatch.py`` the greedy schedules, ``insertion.py`` the relocating insertion,
``justify.py`` the right-justifying repair, ``bounds.py`` the lower bound.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from scheduling.engine.bounds import critical_path, critical_path_bound, request_bounds
from scheduling.engine.budget import (
    CHECK_SECONDS_PER_TASK,
    DISPATCH_SECONDS_PER_TASK,
    Clock,
    Progress,
)
from scheduling.engine.calendars import to_instant, to_minute
from scheduling.engine.dispatch import dispatch, insert_job
from scheduling.engine.disruption import minimise_disruption
from scheduling.engine.existing import existing_schedule, lateness, slack_priority
from scheduling.engine.model import (
    Answer,
    AnswerStatus,
    Board,
    MovedOperation,
    OptionResult,
    ScheduledOperation,
)
from scheduling.engine.options import evaluate_option
from scheduling.engine.problem import (
    Problem,
    Solution,
    baseline_solution,
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
# Share of the time left that repairing a board whose plan no longer holds may take.
EXISTING_SHARE = 0.6

__all__ = ["EngineError", "Progress", "append_baseline", "check", "quote"]


class EngineError(AssertionError):
    """The engine produced an answer that the verifier rejects: a bug, never user input."""

    def __init__(self, violations: list[str]) -> None:
        super().__init__("engine produced an invalid schedule: " + "; ".join(violations[:10]))
        self.violations = violations


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
        given = _valid_repair(board, problem, repair)
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
            answer = _with_projection(board, answer, problem, existing.least_late, apply_options)
        return _finish(board, clock, answer, apply_options)

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
    if (
        searching
        and path is not None
        and (search.completion or 0) > path[-1][2]
        and (clock.remaining() > 4 * DISPATCH_SECONDS_PER_TASK * len(problem.tasks))
    ):
        search.try_request_first(path)
    if search.best is None:
        return _finish(
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
    if board.schedule is not None and not clock.is_cancelled():
        best = minimise_disruption(
            problem, best, search, clock, workers, seed, completion_at_most=target
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
        lower_bound=to_instant(_checked_bound(search.lower, earliest_completion), board.now),
        proven_optimal=proven,
        requested_due_feasible=(
            None
            if requested is None
            else to_instant(earliest_completion, board.now) + timedelta(minutes=buffer) <= requested
        ),
        earliest_completion=to_instant(earliest_completion, board.now) if kept else None,
        schedule=_rows(problem, best, board.now),
        moved=_moved(problem, best, board),
        options=tuple(options),
        at_risk=tuple(sorted(at_risk)),
        message=_repair_message(at_risk, clock.cancelled),
    )
    for job in problem.jobs:  # the engine's own check of the one rule the verifier waives
        if job.id in at_risk and best[job.tasks[-1]][2] > at_risk[job.id]:
            raise EngineError([f"{job.id} ends after its end in the repair quoted against"])
    work_centers, orders = _binding(problem, best, request)
    answer = replace(answer, binding_work_centers=work_centers, binding_orders=orders)
    clock.report("done", completion, search.lower)
    return _finish(board, clock, answer, apply_options)


def _keeping_requested(
    problem: Problem, search: CompletionSearch, target: int, clock: Clock
) -> Solution:
    """A schedule whose request completes by ``target`` moving as little as possible to
    start from: the request in the existing schedule's gaps when that meets the target
    (nothing moved), else the earliest schedule found; the disruption phase then moves back
    whatever the target leaves room for."""
    assert search.request is not None and search.best is not None
    final = problem.jobs[search.request].tasks[-1]
    quiet = insert_job(problem, search.existing, search.request)
    clock.spent_seconds(len(problem.tasks) * CHECK_SECONDS_PER_TASK)
    if quiet is not None and quiet[final][2] <= target and not violations(problem, quiet):
        return quiet
    return search.best


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
        schedule=_rows(problem, solution, board.now),
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
            answer = _with_projection(board, answer, problem, existing.least_late, apply_options)
        return _finish(board, clock, answer, apply_options)
    solution = existing.solution
    if board.schedule is not None and _moved(problem, solution, board) and not clock.cancelled:
        search = CompletionSearch(problem, solution, clock, workers, seed)
        solution = minimise_disruption(problem, solution, search, clock, workers, seed)
    answer = Answer(
        status="promised",
        schedule=_rows(problem, solution, board.now),
        moved=_moved(problem, solution, board),
        message="cancelled" if clock.cancelled else "",
    )
    clock.report("done")
    return _finish(board, clock, answer, apply_options)


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
            return _finish(
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
        return _finish(
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
        lower_bound=to_instant(_checked_bound(lower, completion), board.now),
        proven_optimal=completion <= lower,
        requested_due_feasible=(
            None if board.request.requested_due is None else promise <= board.request.requested_due
        ),
        schedule=_rows(problem, solution, board.now),
        moved=_moved(problem, solution, board),
    )
    return _finish(board, clock, answer, apply_options)


# -- answer assembly --------------------------------------------------------------------------
def _rows(problem: Problem, solution: Solution, now: datetime) -> tuple[ScheduledOperation, ...]:
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


def _moved(problem: Problem, solution: Solution, board: Board) -> tuple[MovedOperation, ...]:
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


def _binding(
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


def _with_projection(
    board: Board, answer: Answer, problem: Problem, solution: Solution, options: Sequence[str]
) -> Answer:
    """Attach the least-late schedule of the existing orders (``solution``, without the
    request), verified like a promise except for rule 5 on the orders it leaves late, which
    ``at_risk`` names (they are late, and say so)."""
    # (A quote's problem also has the request's tasks, which the projection leaves out.)
    listed = replace(problem, tasks=[t for t in problem.tasks if t.index in solution])
    rows = _rows(listed, solution, board.now)
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


def _checked_bound(lower: int, completion: int) -> int:
    """A lower bound above a completion that a valid schedule reaches is a wrong bound: an
    engine bug, never clipped away silently."""
    if lower > completion:
        raise EngineError([f"lower bound {lower} is after the completion {completion} reached"])
    return lower


def _valid_repair(
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


def _repair_message(at_risk: dict[str, int], cancelled: bool) -> str:
    if cancelled:
        return "cancelled"
    if not at_risk:
        return ""
    return (
        f"quoted against a repair of the board: no schedule found keeps every promise; "
        f"{len(at_risk)} order(s) at risk: {', '.join(sorted(at_risk))}"
    )


def _finish(board: Board, clock: Clock, answer: Answer, options: Sequence[str]) -> Answer:
    answer = replace(answer, solve_seconds=round(clock.wall(), 3))
    if answer.status == "promised":
        found = verify(board, answer, options, accept_late=answer.at_risk)
        if found:
            raise EngineError(found)
    return answer
