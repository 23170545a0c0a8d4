"""Capable-to-promise: ``quote`` a request against the board, ``check`` (and repair) the board.

The search always holds a valid incumbent, so a time limit or a cancel returns something true:

1. The existing orders' schedule: the baseline when it still passes every rule; otherwise a
   repair (right-shift list scheduling, then CP-SAT), or "infeasible" naming the orders whose
   promise cannot be kept (found by minimising lateness beyond the promise as a soft goal).
2. The request inserted into the earliest gaps of that schedule, moving nothing: valid, and an
   upper bound on the completion (the completion's domain in every later model).
3. CP-SAT minimises the request's completion over a window of operations around now, frozen
   beyond it (fixed occupations), widening the window while time remains. A bound from a model
   with frozen operations is not a bound for the whole problem and is never reported as one;
   the reported lower bound is the calendar-aware critical path (bounds.py) or the bound of a
   model that froze nothing.
4. With the completion fixed, CP-SAT minimises disruption: moved operations, then displacement.
5. Each capacity option is evaluated by re-solving step 3 with its windows.

Before anything is returned, ``verify`` (written independently) checks it; a violation is an
engine bug and raises ``EngineError`` instead of reaching a user.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from scheduling.engine.bounds import blocked_spans, critical_path, critical_path_bound
from scheduling.engine.calendars import to_instant
from scheduling.engine.cpmodel import InfeasibleDomain, ScheduleModel
from scheduling.engine.dispatch import dispatch, insert_job, place_job
from scheduling.engine.model import (
    Answer,
    AnswerStatus,
    Board,
    MovedOperation,
    OptionResult,
    ScheduledOperation,
)
from scheduling.engine.problem import (
    Placement,
    Problem,
    Solution,
    baseline_solution,
    build_problem,
    late_jobs,
    violations,
    with_option,
)
from scheduling.engine.verify import verify

# Boards with at most this many movable operations are optimised whole from the start: the
# model is small enough that CP-SAT's bound is then a bound for the whole problem.
FULL_MODEL_TASKS = 250
# Beyond this many movable operations the whole board is never modelled at once (CP-SAT's
# presolve alone would eat the time limit); windows around the request are.
WHOLE_BOARD_TASKS = 3000
MAX_WINDOW_TASKS = 1500
# Share of the time limit for finding the best completion when options are evaluated too.
_PHASE1_SHARE = 0.65
# Python-side model building cost (measured 0.15-0.3 ms per modelled operation), so that a solve
# is not started when building its model alone would overrun the time limit.
_BUILD_SECONDS_PER_TASK = 0.0003
_DISPATCH_SECONDS_PER_TASK = 0.00004
# Pinning the request on its lower-bound path: windows (minutes either side of the path) in
# which existing work may move to make room, and the share of the time limit they may use.
_PINNED_WINDOWS = (480, 1440)
_PINNED_SHARE = 0.35
# Deterministic mode: CP-SAT work units granted per second of time limit (a work unit is
# roughly a second of one unloaded core; a quarter leaves room for load and Python time).
_WORK_PER_SECOND = 0.25
_OPTIONS_SHARE = 0.15


@dataclass(frozen=True)
class Progress:
    fraction: float  # 0..1 of the time limit used
    best_completion: datetime | None
    lower_bound: datetime | None
    phase: str  # "existing", "completion", "options", "disruption", "done"


class EngineError(AssertionError):
    """The engine produced an answer that the verifier rejects: a bug, never user input."""

    def __init__(self, violations: list[str]) -> None:
        super().__init__("engine produced an invalid schedule: " + "; ".join(violations[:10]))
        self.violations = violations


class _Clock:
    def __init__(
        self,
        time_limit: float,
        progress: Callable[[Progress], None] | None,
        cancel: Callable[[], bool] | None,
        now: datetime,
    ) -> None:
        self.started = time.monotonic()
        self.time_limit = max(0.05, time_limit)
        self.progress = progress
        self.cancel_fn = cancel
        self.now = now
        self.best: int | None = None
        self.lower: int | None = None
        self.cancelled = False
        self.deterministic = False  # set with workers == 1: solves get fixed work limits
        self.reserve = 0.0  # seconds kept back for assembling and verifying the answer
        self.virtual = 0.0

    def work_limit(self, share: float) -> float | None:
        """A deterministic work limit of ``share`` of the time limit, when determinism is on
        (CP-SAT's deterministic time is roughly seconds on an unloaded core; a quarter keeps
        the wall-clock limit from striking first, even on a loaded machine)."""
        return _WORK_PER_SECOND * share * self.time_limit if self.deterministic else None

    def elapsed(self) -> float:
        """Seconds used. In deterministic mode a *virtual* clock that only CP-SAT's
        deterministic work advances, so that every decision taken on "time left" (window
        sizes, whether a phase still fits) is the same from run to run; the wall-clock limit
        is then only approximately respected."""
        if self.deterministic:
            return self.virtual
        return self.wall()

    def wall(self) -> float:
        return time.monotonic() - self.started

    def wall_limit(self, budget: float) -> float:
        """CP-SAT's wall-clock limit for a solve with ``budget`` seconds: in deterministic
        mode the work limit must strike first, so the wall limit is only a safety net."""
        return 4 * budget + 0.5 if self.deterministic else budget

    def spent(self, work: float) -> None:
        """Account for a solve's deterministic work on the virtual clock."""
        if self.deterministic:
            self.virtual += work / _WORK_PER_SECOND

    def remaining(self) -> float:
        return max(0.0, self.time_limit - self.reserve - self.elapsed())

    def keep_for_answer(self, problem: Problem) -> None:
        """Keep back the time that building and verifying an answer of this size takes
        (measured: verify() costs ~0.1 ms per operation), so a quote returns within its
        time limit."""
        self.reserve = min(0.6 * self.time_limit, 0.02 + 0.00014 * len(problem.tasks))

    def is_cancelled(self) -> bool:
        if not self.cancelled and self.cancel_fn is not None and self.cancel_fn():
            self.cancelled = True
        return self.cancelled

    def report(self, phase: str, best: int | None = None, lower: int | None = None) -> None:
        if best is not None:
            self.best = best
        if lower is not None:
            self.lower = lower
        if self.progress is not None:
            self.progress(
                Progress(
                    fraction=min(1.0, self.elapsed() / self.time_limit),
                    best_completion=None if self.best is None else to_instant(self.best, self.now),
                    lower_bound=None if self.lower is None else to_instant(self.lower, self.now),
                    phase=phase,
                )
            )


@dataclass
class _Existing:
    solution: Solution | None  # valid schedule of the existing orders, or None
    at_fault: list[str]
    message: str = ""


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
) -> Answer:
    """The earliest promise for ``board.request`` that keeps every existing promise."""
    if board.request is None:
        raise ValueError("quote needs a board with a request")
    clock = _Clock(time_limit, progress, cancel, board.now)
    clock.deterministic = workers == 1
    problem = build_problem(board, options=apply_options)
    clock.keep_for_answer(problem)
    request = problem.request_job
    assert request is not None
    option_ids = [o.id for o in board.capacity_options or () if o.id not in apply_options]
    phase1_share = _PHASE1_SHARE if (evaluate_options and option_ids) else 0.8

    existing = _existing_schedule(problem, clock, workers, seed, share=0.5 * phase1_share)
    if existing.solution is None:
        status: AnswerStatus = "infeasible" if existing.at_fault else "no_solution"
        return _finish(
            board,
            clock,
            Answer(
                status=status,
                request=board.request.id,
                at_fault=tuple(existing.at_fault),
                message=existing.message,
            ),
            apply_options,
        )

    search = _CompletionSearch(problem, existing.solution, clock, workers, seed)
    path = critical_path(
        problem,
        request,
        blocked_spans(problem, problem.jobs[request], search.completion, existing.solution),
    )
    lower = path[-1][2] if path else None
    if (
        path is not None
        and (search.completion or 0) > path[-1][2]
        and (clock.remaining() > 4 * _DISPATCH_SECONDS_PER_TASK * len(problem.tasks))
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
    if path is not None and not search.proven:
        search.try_pinned(path, deadline=clock.elapsed() + _PINNED_SHARE * clock.remaining())
        if search.proven:
            clock.report("completion", search.completion, search.lower)
    search.run(deadline=clock.elapsed() + phase1_share * clock.remaining(), share=phase1_share)

    options: list[OptionResult] = []
    if evaluate_options and option_ids:
        share = _OPTIONS_SHARE / (1 - phase1_share) * clock.remaining() / len(option_ids)
        for option_id in option_ids:
            options.append(
                _evaluate_option(board, problem, option_id, search, clock, workers, seed, share)
            )
            clock.report("options")

    best = search.best
    if board.schedule is not None and not clock.is_cancelled():
        best = _minimise_disruption(problem, best, search, clock, workers, seed)

    completion = best[problem.jobs[request].tasks[-1]][2]
    buffer = board.order_buffer(board.request)
    promise = to_instant(completion, board.now) + timedelta(minutes=buffer)
    proven = search.proven or completion <= search.lower
    answer = Answer(
        status="promised",
        request=board.request.id,
        completion=to_instant(completion, board.now),
        promise=promise,
        lower_bound=to_instant(min(search.lower, completion), board.now),
        proven_optimal=proven,
        requested_due_feasible=(
            None if board.request.requested_due is None else promise <= board.request.requested_due
        ),
        schedule=_rows(problem, best, board.now),
        moved=_moved(problem, best, board),
        options=tuple(options),
        message="cancelled" if clock.cancelled else "",
    )
    work_centers, orders = _binding(problem, best, request)
    answer = replace(answer, binding_work_centers=work_centers, binding_orders=orders)
    clock.report("done", completion, search.lower)
    return _finish(board, clock, answer, apply_options)


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
    "infeasible" with the orders whose promise cannot be kept."""
    clock = _Clock(time_limit, progress, cancel, board.now)
    clock.deterministic = workers == 1
    problem = build_problem(board, options=apply_options, with_request=False)
    clock.keep_for_answer(problem)
    existing = _existing_schedule(problem, clock, workers, seed, share=0.6)
    if existing.solution is None:
        status: AnswerStatus = "infeasible" if existing.at_fault else "no_solution"
        return _finish(
            board,
            clock,
            Answer(status=status, at_fault=tuple(existing.at_fault), message=existing.message),
            apply_options,
        )
    solution = existing.solution
    if board.schedule is not None and _moved(problem, solution, board) and not clock.cancelled:
        search = _CompletionSearch(problem, solution, clock, workers, seed)
        solution = _minimise_disruption(problem, solution, search, clock, workers, seed)
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
    clock = _Clock(60.0, None, None, board.now)
    problem = build_problem(board, options=apply_options)
    request = problem.request_job
    assert request is not None
    base = baseline_solution(problem)
    if base is None or violations(problem, base, ends_known=True):
        base = dispatch(problem, priority=_slack_priority(problem), skip_jobs=frozenset({request}))
        if base is None or late_jobs(problem, base):
            late = [problem.jobs[j].id for j in late_jobs(problem, base)] if base else []
            return _finish(
                board,
                clock,
                Answer(
                    status="infeasible" if late else "no_solution",
                    request=board.request.id,
                    at_fault=tuple(late),
                    message="the board without the request is not valid",
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
        lower_bound=to_instant(min(lower, completion), board.now),
        proven_optimal=completion <= lower,
        requested_due_feasible=(
            None if board.request.requested_due is None else promise <= board.request.requested_due
        ),
        schedule=_rows(problem, solution, board.now),
        moved=_moved(problem, solution, board),
    )
    return _finish(board, clock, answer, apply_options)


# -- the existing orders ----------------------------------------------------------------------
def _priorities(problem: Problem) -> list[dict[int, int]]:
    """Dispatch priorities to try for tasks without a baseline: least slack, first released
    (the order the board lists them in breaks ties), earliest promise."""
    fifo: dict[int, int] = {}
    due: dict[int, int] = {}
    for job in problem.jobs:
        for t in job.tasks:
            if problem.tasks[t].baseline is None:
                fifo[t] = job.ready * 100_000 + job.index
                due[t] = job.deadline if job.deadline is not None else 10**9
    return [_slack_priority(problem), fifo, due]


def _slack_priority(problem: Problem) -> dict[int, int]:
    """Dispatch priority of tasks without a baseline: latest start by work content (minimum
    slack first); a priority, not a bound, so calendars are ignored here."""
    priority: dict[int, int] = {}
    for job in problem.jobs:
        bound = job.deadline if job.deadline is not None else 10**9
        for t in reversed(job.tasks):
            bound -= problem.tasks[t].minutes
            if problem.tasks[t].baseline is None:
                priority[t] = bound
    return priority


def _existing_schedule(
    problem: Problem, clock: _Clock, workers: int, seed: int, *, share: float
) -> _Existing:
    request = problem.request_job
    skip = frozenset() if request is None else frozenset({request})
    base = baseline_solution(problem)
    if base is not None and not violations(problem, base, ends_known=True):
        return _Existing(base, [])
    clock.report("existing")
    hint = None
    late: list[int] = []
    # Several dispatch rules; the first that keeps every promise wins, else the fewest late.
    for priority in _priorities(problem):
        candidate = dispatch(problem, priority=priority, skip_jobs=skip)
        if candidate is None:
            continue
        candidate_late = late_jobs(problem, candidate)
        if hint is None or len(candidate_late) < len(late):
            hint, late = candidate, candidate_late
        if not late or clock.remaining() < _DISPATCH_SECONDS_PER_TASK * len(problem.tasks):
            break
    if hint is None:
        return _Existing(
            None,
            [],
            "running operations overload a work center or a work center has no working time",
        )
    if not late:
        return _Existing(hint, [])
    # Diagnose: every order's promise becomes soft; fewest late orders, then least lateness.
    variable = {t.index for t in problem.tasks if t.fixed is None and t.job not in skip}
    horizon = max(end for _, _, end in hint.values())
    soft = {
        j.index: j.deadline for j in problem.jobs if j.deadline is not None and j.index not in skip
    }
    latest = {j.index: max(horizon, j.deadline or horizon) for j in problem.jobs}
    names = [problem.jobs[j].id for j in late]
    if share * clock.remaining() < 3 * _BUILD_SECONDS_PER_TASK * len(variable):
        return _Existing(
            None,
            names,
            f"{len(names)} order(s) cannot keep their promise in the "
            f"best schedule found (not proven): {', '.join(names)}",
        )
    try:
        model = ScheduleModel(problem, hint, variable, latest, soft_deadlines=soft)
    except InfeasibleDomain as error:
        return _Existing(None, [problem.jobs[error.job].id], "an order cannot be scheduled")
    model.minimize_lateness()
    model.hint(hint)
    result = model.solve(
        time_limit=clock.wall_limit(share * clock.remaining()),
        workers=workers,
        seed=seed,
        cancel=clock.is_cancelled,
        deterministic_limit=clock.work_limit(share),
    )
    clock.spent(result.work)
    solution = result.solution or hint
    late = late_jobs(problem, solution)
    if not late:
        return _Existing(solution, [])
    if result.cancelled or clock.cancelled:
        return _Existing(None, [], "cancelled")
    names = [problem.jobs[j].id for j in late]
    proof = "proven" if result.optimal else "best found within the time limit"
    return _Existing(
        None,
        names,
        f"{len(names)} order(s) cannot keep their promise ({proof}): {', '.join(names)}",
    )


# -- the request's completion -----------------------------------------------------------------
class _CompletionSearch:
    """Minimise the request's completion (or, without a request, just hold a schedule)."""

    def __init__(
        self, problem: Problem, existing: Solution, clock: _Clock, workers: int, seed: int
    ) -> None:
        self.problem = problem
        self.clock = clock
        self.workers = workers
        self.seed = seed
        self.request = problem.request_job
        self.proven = False
        self.lower = 0
        self.variable: set[int] | None = None  # last window searched
        if self.request is None:
            self.best: Solution | None = existing
            return
        self.best = insert_job(problem, existing, self.request)
        self.existing = existing
        self._by_machine: dict[int, list[int]] | None = None

    def on_machine(self, machine: int) -> list[int]:
        """Tasks placed on ``machine`` in the incumbent (or in the existing schedule)."""
        if self._by_machine is None:
            self._by_machine = {}
            assert self.best is not None
            for t, (m, _, _) in self.best.items():
                self._by_machine.setdefault(m, []).append(t)
            for t, (m, _, _) in self.existing.items():
                if self.best.get(t, (None,))[0] != m:
                    self._by_machine.setdefault(m, []).append(t)
        return self._by_machine.get(machine, [])

    def try_pinned(self, path: list[Placement], deadline: float) -> None:
        """Pin the request on its lower-bound path and let CP-SAT move the existing work
        around it, in growing time windows around the path (work outside stays put).

        The window is a restriction, but the target is the *global* lower bound: a schedule
        found here is optimal, whatever was frozen. Each window's model is small (the work
        planned near the request's path), so this usually settles a quote in well under a
        second when the request can go straight through.
        """
        if self.request is None or self.best is None:
            return
        problem = self.problem
        tasks = problem.jobs[self.request].tasks
        pinned = dict(zip(tasks, path, strict=True))
        base = dict(self.existing)
        base.update(pinned)
        hull_lo = min(start for _, start, _ in path)
        hull_hi = max(end for _, _, end in path)
        movable = [t.index for t in problem.tasks if t.fixed is None and t.index in self.existing]
        latest = {j.index: j.deadline for j in problem.jobs if j.deadline is not None}
        baseline = {
            t.index: t.baseline for t in problem.tasks if t.baseline is not None and t.fixed is None
        }
        previous = -1
        for width in _PINNED_WINDOWS:
            lo, hi = hull_lo - width, hull_hi + width
            variable = {t for t in movable if self.existing[t][1] < hi and self.existing[t][2] > lo}
            if len(variable) == previous:
                continue
            previous = len(variable)
            budget = deadline - self.clock.elapsed()
            if budget < 3 * _BUILD_SECONDS_PER_TASK * len(variable) + 0.05:
                return
            try:
                model = ScheduleModel(problem, base, variable, latest)
            except InfeasibleDomain:
                continue
            # Least disruption of the board's plan among the schedules that reach the bound.
            model.minimize_disruption({t: b for t, b in baseline.items() if t in variable})
            budget = deadline - self.clock.elapsed()
            if budget <= 0.02:
                return
            result = model.solve(
                time_limit=self.clock.wall_limit(budget),
                workers=self.workers,
                seed=self.seed,
                cancel=self.clock.is_cancelled,
                deterministic_limit=self.clock.work_limit(_PINNED_SHARE / len(_PINNED_WINDOWS)),
            )
            self.clock.spent(result.work)
            if result.solution is not None:
                self.best = result.solution
                self.proven = True
                return
            if result.status != "INFEASIBLE" or self.clock.is_cancelled():
                return  # out of time in this window: a wider one would not fare better

    def try_request_first(self, path: list[Placement]) -> None:
        """Pin the request on ``path`` (its lower-bound path) and shift the existing work right
        around it; keep the result if every promise still holds. When it does, the request
        completes at its lower bound: optimal without a search."""
        if self.request is None or self.best is None:
            return
        tasks = self.problem.jobs[self.request].tasks
        pinned = dict(zip(tasks, path, strict=True))
        # Existing work only shifts later (least disruption); give up at the first late order.
        candidate = dispatch(self.problem, anchor=self.existing, pinned=pinned, stop_when_late=True)
        if candidate is None or late_jobs(self.problem, candidate):
            return
        if candidate[tasks[-1]][2] < (self.completion or 0):
            self.best = candidate

    @property
    def completion(self) -> int | None:
        if self.best is None or self.request is None:
            return None
        return self.best[self.problem.jobs[self.request].tasks[-1]][2]

    def levels(self) -> list[_Level]:
        """Growing neighbourhoods of the incumbent to re-optimise, the whole problem last.

        Small boards are optimised whole at once (the bound is then global). On larger ones
        CP-SAT first gets the work planned before the incumbent's completion, allowed only to
        move later (within its promise): small domains, fast to build and to search; then the
        same window free to move both ways; the whole board only while it stays tractable.
        Windows list their operations earliest planned first, so that ``run`` can cut them to
        what the time left allows.
        """
        problem, best = self.problem, self.best
        assert best is not None and self.request is not None
        movable = [t for t in problem.tasks if t.fixed is None]
        if len(movable) <= FULL_MODEL_TASKS:
            return [_Level(None, False)]
        completion = self.completion or 0
        request_tasks = set(problem.jobs[self.request].tasks)
        early = [
            t
            for _, t in sorted(
                (best[t.index][1], t.index)
                for t in movable
                if best[t.index][1] < completion and t.index not in request_tasks
            )
        ]
        window = early[:MAX_WINDOW_TASKS]
        levels = [_Level(window, True), _Level(window, False)]
        if len(movable) <= WHOLE_BOARD_TASKS:
            levels.append(_Level(None, False))
        return levels

    def run(self, *, deadline: float, share: float) -> None:
        if self.request is None or self.best is None:
            return
        if deadline - self.clock.elapsed() <= _BUILD_SECONDS_PER_TASK * 50 + 0.03:
            return  # not even a small model fits in the time left
        levels = self.levels()
        request_tasks = self.problem.jobs[self.request].tasks
        for level in levels:
            if self.proven or self.clock.is_cancelled():
                return
            budget = deadline - self.clock.elapsed()
            # Building the model may take at most a third of the time left: cut the window
            # to its earliest-planned operations when needed.
            affordable = int((budget - 0.03) / (3 * _BUILD_SECONDS_PER_TASK))
            if level.window is None:
                if len(self.problem.tasks) > affordable:
                    continue
                variable = None
                min_start = None
            else:
                if affordable < 20:
                    return
                chosen = level.window[:affordable]
                variable = set(chosen) | set(request_tasks)
                min_start = {t: self.best[t][1] for t in chosen} if level.later_only else None
            self.solve_level(
                variable, min_start, deadline, self.clock.work_limit(share / len(levels))
            )

    def solve_level(
        self,
        window: set[int] | None,
        min_start: dict[int, int] | None,
        deadline: float,
        work: float | None,
    ) -> None:
        problem, best = self.problem, self.best
        assert best is not None and self.request is not None
        movable = {t.index for t in problem.tasks if t.fixed is None}
        variable = movable if window is None else window
        restricted = variable != movable or bool(min_start)
        completion = self.completion
        assert completion is not None
        latest = {j.index: j.deadline for j in problem.jobs if j.deadline is not None}
        latest[self.request] = completion
        try:
            model = ScheduleModel(problem, best, variable, latest, min_start=min_start)
        except InfeasibleDomain:
            return  # the incumbent itself fits, so this only means "nothing better here"
        model.minimize_job_end(self.request)
        model.hint(best)

        def listener(objective: int, bound: float) -> None:
            lower = None if restricted else max(self.lower, math.ceil(bound - 1e-6))
            self.clock.report("completion", min(objective, self.completion or objective), lower)

        budget = deadline - self.clock.elapsed()  # what is left once the model is built
        if budget <= 0.02:
            return
        result = model.solve(
            time_limit=self.clock.wall_limit(budget),
            workers=self.workers,
            seed=self.seed,
            listener=listener,
            cancel=self.clock.is_cancelled,
            deterministic_limit=work,
        )
        self.clock.spent(result.work)
        self.variable = variable
        if result.solution is not None and result.objective is not None:
            if result.objective < completion:
                self.best = result.solution
        if not restricted and result.bound is not None and not result.cancelled:
            self.lower = max(self.lower, math.ceil(result.bound - 1e-6))
            if result.optimal:
                self.proven = True
        if (self.completion or 0) <= self.lower:
            self.proven = True


@dataclass
class _Level:
    window: list[int] | None  # existing tasks to free, earliest planned first; None: all
    later_only: bool  # planned work may only move later


def _minimise_disruption(
    problem: Problem,
    best: Solution,
    search: _CompletionSearch,
    clock: _Clock,
    workers: int,
    seed: int,
) -> Solution:
    baseline = {
        t.index: t.baseline for t in problem.tasks if t.baseline is not None and t.fixed is None
    }
    moved = [t for t, (m, s) in baseline.items() if best[t][0] != m or best[t][1] != s]
    if not moved or clock.remaining() < 0.02:
        return best
    clock.report("disruption")
    movable = {t.index for t in problem.tasks if t.fixed is None}
    if search.variable is not None:
        variable = set(search.variable) | set(moved)
    elif len(movable) <= FULL_MODEL_TASKS:
        variable = movable
    else:
        # Moved work and whatever shares its machines while it (or its baseline) runs.
        machines = {best[t][0] for t in moved} | {baseline[t][0] for t in moved}
        lo = min(min(best[t][1], baseline[t][1]) for t in moved)
        hi = max(best[t][2] for t in moved)
        variable = set(moved) | {
            t for t in movable if best[t][0] in machines and best[t][1] < hi and best[t][2] > lo
        }
    if clock.remaining() < _BUILD_SECONDS_PER_TASK * len(variable) + 0.05:
        return best
    latest = {j.index: j.deadline for j in problem.jobs if j.deadline is not None}
    if search.request is not None:
        latest[search.request] = best[problem.jobs[search.request].tasks[-1]][2]
    try:
        model = ScheduleModel(problem, best, variable, latest)
    except InfeasibleDomain:
        return best
    model.minimize_disruption({t: b for t, b in baseline.items() if t in variable})
    model.hint(best)
    if clock.remaining() < 0.02:
        return best
    result = model.solve(
        time_limit=clock.wall_limit(clock.remaining()),
        workers=workers,
        seed=seed,
        cancel=clock.is_cancelled,
        deterministic_limit=clock.work_limit(0.2),
    )
    clock.spent(result.work)
    return result.solution if result.solution is not None else best


def _evaluate_option(
    board: Board,
    problem: Problem,
    option_id: str,
    search: _CompletionSearch,
    clock: _Clock,
    workers: int,
    seed: int,
    budget: float,
) -> OptionResult:
    """The completion the request would get with one more capacity option.

    Always a real schedule's completion, never an estimate: the answer's own schedule stays
    valid with the option (starts remain working time, ends can only come earlier), so it is
    the starting point; then the request is re-inserted into the gaps the option opens and,
    while its share of the time lasts, re-optimised.
    """
    assert search.best is not None and search.request is not None
    base_completion = search.completion
    assert base_completion is not None
    option = next(o for o in board.capacity_options or () if o.id == option_id)
    machine = problem.machine_by_id[option.work_center]
    request_job = problem.jobs[search.request]
    request_machines = {m for t in request_job.tasks for m in problem.tasks[t].alts}
    buffer = board.order_buffer(board.request) if board.request else board.buffer_minutes
    if machine not in request_machines and len(problem.tasks) > WHOLE_BOARD_TASKS:
        # Re-inserting the request would meet the same occupations on its own machines, and
        # a re-optimisation of a board this size does not fit an option's share of the time:
        # report the answer's own completion (gain 0), which this schedule does reach.
        return OptionResult(
            id=option_id,
            completion=to_instant(base_completion, board.now),
            promise=to_instant(base_completion, board.now) + timedelta(minutes=buffer),
            gain_minutes=0,
        )
    option_problem = with_option(problem, machine, option.extra)

    on_option_machine = search.on_machine(machine)

    def reflowed(solution: Solution, t: int) -> Placement:
        placement = solution[t]
        if placement[0] != machine:
            return placement
        task = option_problem.tasks[t]
        return (
            task.fixed if task.fixed is not None else option_problem.place(t, machine, placement[1])
        )

    # The answer's own schedule with the option: request ends can only come earlier.
    completion_here = reflowed(search.best, request_job.tasks[-1])[2]
    # The request re-inserted into the existing work, which the option may have compacted.
    occupations = [
        reflowed(search.existing, t)
        for m in request_machines
        for t in search.on_machine(m)
        if t in search.existing
    ]
    inserted = place_job(option_problem, occupations, search.request)
    if inserted is not None:
        completion_here = min(completion_here, inserted[-1][2])
    option_completion = completion_here
    if len(problem.tasks) <= WHOLE_BOARD_TASKS and not clock.is_cancelled():
        # Small enough to copy the whole schedule and re-optimise with the option's hours.
        def reflow(solution: Solution) -> Solution:
            result = dict(solution)
            for t in on_option_machine:
                if t in solution:
                    result[t] = reflowed(solution, t)
            return result

        option_search = _CompletionSearch(
            option_problem, reflow(search.existing), clock, workers, seed
        )
        hint = reflow(search.best)
        final = request_job.tasks[-1]
        if option_search.best is None or option_search.best[final][2] > hint[final][2]:
            option_search.best = hint
        option_search.run(
            deadline=clock.elapsed() + budget,
            share=_OPTIONS_SHARE / max(1, len(board.capacity_options or ())),
        )
        option_completion = min(option_completion, option_search.completion or base_completion)
    completion = min(option_completion, base_completion)
    return OptionResult(
        id=option_id,
        completion=to_instant(completion, board.now),
        promise=to_instant(completion, board.now) + timedelta(minutes=buffer),
        gain_minutes=max(0, base_completion - completion),
    )


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


def _finish(board: Board, clock: _Clock, answer: Answer, options: Sequence[str]) -> Answer:
    answer = replace(answer, solve_seconds=round(clock.wall(), 3))
    if answer.status == "promised":
        found = verify(board, answer, options)
        if found:
            raise EngineError(found)
    return answer
