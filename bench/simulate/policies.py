"""The three ways a shop makes promises, each driving the floor of its own simulation.

``yes`` (promise the requested date, expedite, pad), ``insert`` (an honest no-replan insertion)
and ``promise`` (this product: the engine's quote and check). What each does: docs/outcome.md
("Policies") and README.md ("The shop simulation").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from bench.simulate.boards import adopt_plan, board_now, offered_options
from bench.simulate.disturbances import Breakdown
from bench.simulate.floor import Simulation
from bench.simulate.state import DAY, Job, Op
from scheduling.engine import Answer, Board, check, quote, verify
from scheduling.engine.calendars import to_instant
from scheduling.engine.dispatch import dispatch, insert_job
from scheduling.engine.model import ScheduledOperation
from scheduling.engine.problem import Problem, Solution, build_problem

PAD_TARGET = 0.95  # the on-time level below which planners of the yes shop pad lead times
PAD_STEP = 2 * DAY  # padding added after each such week
AT_RISK_RATIO = 1.5  # working time left / remaining work below which an order is expedited


# -- yes -------------------------------------------------------------------------------------
class YesPolicy:
    name = "yes"

    def __init__(self) -> None:
        self.padding = 0

    def start(self, sim: Simulation) -> None:
        # The board's plan becomes the queue: orders in the order their work is planned.
        first = {}
        for job in sim.jobs.values():
            starts = [op.plan_start for op in job.ops if op.plan_start is not None]
            first[job.id] = min(starts) if starts else -1
        for rank, job_id in enumerate(sorted(first, key=lambda j: (first[j], j))):
            sim.jobs[job_id].queue_key = rank

    def on_arrival(self, sim: Simulation, job: Job) -> None:
        assert job.requested is not None
        sim.promise(job, job.requested + self.padding)
        job.queue_key = len(sim.jobs) + 10**6  # end of every queue

    def on_breakdown(self, sim: Simulation, breakdown: Breakdown) -> None:
        return None  # the queue absorbs it

    def on_day(self, sim: Simulation) -> None:
        for job in sim.jobs.values():
            if job.delivered is not None or job.expedited or job.promise is None:
                continue
            op = job.next_op()
            if op is None:
                continue
            remaining = sum(o.planned for o in job.ops if o.state != "done")
            wc = op.work_center or op.work_centers[0]
            left = sim.plan_time[wc].work_between(sim.t, job.promise)
            if sim.t > job.promise or left < AT_RISK_RATIO * remaining:
                job.expedited = True
                sim.books.expedites += 1

    def on_week(self, sim: Simulation, week: int) -> None:
        last = sim.weekly[-1]
        if last["delivered"] and last["on_time"] / last["delivered"] < PAD_TARGET:
            self.padding += PAD_STEP

    def pick(self, sim: Simulation, wc: str, ready: list[Op]) -> Op | int | None:
        return min(
            ready,
            key=lambda op: (
                not sim.jobs[op.order].expedited,
                sim.jobs[op.order].queue_key,
                op.id,
            ),
        )


# -- plan following (insert and promise) ----------------------------------------------------
def pick_from_plan(sim: Simulation, wc: str, ready: list[Op]) -> Op | int | None:
    """The plan's next operation on ``wc``: the ready one planned earliest there, started now
    if its planned start has come or nothing planned before it on ``wc`` is still to start;
    otherwise wake at its planned start. Ready operations without a plan go first."""
    unplanned = [op for op in ready if op.plan_wc is None]
    if unplanned:
        return unplanned[0]
    mine = [op for op in ready if op.plan_wc == wc]
    if not mine:
        return None
    best = min(mine, key=lambda op: (op.plan_start, op.order, op.id))
    assert best.plan_start is not None
    if best.plan_start <= sim.t:
        return best
    first = sim.first_planned(wc)
    return best if first is None or first is best else best.plan_start


def solution_rows(
    problem: Problem, solution: Solution, sim: Simulation
) -> list[ScheduledOperation]:
    now = sim.at(sim.t)
    return [
        ScheduledOperation(
            task.order,
            task.op,
            problem.machines[solution[task.index][0]].id,
            to_instant(solution[task.index][1], now),
            to_instant(solution[task.index][2], now),
        )
        for task in problem.tasks
        if task.index in solution
    ]


def roll_forward(board: Board) -> tuple[Problem, Solution]:
    """The plan shifted right in its own sequence where reality ran late (promises ignored)."""
    problem = build_problem(board)
    skip = frozenset() if problem.request_job is None else frozenset({problem.request_job})
    solution = dispatch(problem, skip_jobs=skip)
    if solution is None:
        raise RuntimeError("the greedy dispatch found no working time for the plan")
    return problem, solution


def insertion_promise(
    sim: Simulation, job: Job, board: Board
) -> tuple[int, list[ScheduledOperation]]:
    """The new order in the earliest gaps of the rolled-forward plan; its completion."""
    problem, base = roll_forward(board)
    assert problem.request_job is not None
    solution = insert_job(problem, base, problem.request_job)
    if solution is None:
        raise RuntimeError(f"{job.id}: no working time on its work centers")
    completion = solution[problem.jobs[problem.request_job].tasks[-1]][2]
    return sim.t + completion, solution_rows(problem, solution, sim)


class InsertPolicy:
    name = "insert"

    def start(self, sim: Simulation) -> None:
        return None

    def on_arrival(self, sim: Simulation, job: Job) -> None:
        completion, rows = insertion_promise(sim, job, board_now(sim, request=job))
        adopt_plan(sim, rows)
        sim.promise(job, completion + job.buffer)

    def _roll(self, sim: Simulation) -> None:
        problem, solution = roll_forward(board_now(sim))
        adopt_plan(sim, solution_rows(problem, solution, sim))

    def on_breakdown(self, sim: Simulation, breakdown: Breakdown) -> None:
        self._roll(sim)

    def on_day(self, sim: Simulation) -> None:
        self._roll(sim)

    def on_week(self, sim: Simulation, week: int) -> None:
        return None

    def pick(self, sim: Simulation, wc: str, ready: list[Op]) -> Op | int | None:
        return pick_from_plan(sim, wc, ready)


@dataclass
class EngineSettings:
    time_limit: float = 0.5  # per quote
    # per check: repairing a broken board needs CP-SAT, which the engine starts only with time
    # for at least three model builds (about a second on the demo shop's 800 operations)
    check_time_limit: float = 2.0
    workers: int = 1
    seed: int = 0


class PromisePolicy:
    name = "promise"

    def __init__(self, engine: EngineSettings, option_cost_limit: float) -> None:
        self.engine = engine
        self.option_cost_limit = option_cost_limit

    def start(self, sim: Simulation) -> None:
        self._check(sim)

    def _call(self, sim: Simulation, board: Board, **kwargs: object) -> Answer:
        sim.books.engine_calls += 1
        limits = {
            "time_limit": self.engine.time_limit
            if board.request is not None
            else self.engine.check_time_limit,
            "workers": self.engine.workers,
            "seed": self.engine.seed,
        }
        if board.request is None:
            return check(board, **limits)  # type: ignore[arg-type]
        return quote(board, **limits, **kwargs)  # type: ignore[arg-type]

    def _commit(
        self,
        sim: Simulation,
        board: Board,
        answer: Answer,
        options: tuple[str, ...] = (),
        *,
        accept_late: tuple[str, ...] = (),
    ) -> None:
        """Adopt ``answer``'s schedule, only if the verifier accepts it on ``board``."""
        errors = verify(board, answer, options, accept_late=accept_late)
        if sim.keep_commits:
            sim.books.commits.append((board, answer, options, accept_late))
        if errors:
            sim.books.rejected_commits += 1
            raise RuntimeError("the verifier rejects a schedule: " + "; ".join(errors[:3]))
        adopt_plan(sim, answer.schedule)

    def _check(self, sim: Simulation) -> None:
        """Check the board and roll its schedule forward. When reality broke the plan, commit
        the least-late schedule found: orders it finishes after their promised date are
        re-promised (projected completion + buffer, up to the hour); orders it finishes inside
        their buffer keep their promise (the buffer is there for this) and are committed late
        against their protected date, as the shop floor does (``verify``'s ``accept_late``)."""
        board = board_now(sim)
        answer = self._call(sim, board)
        if answer.status == "promised":
            if answer.moved or any(
                op.plan_wc is None
                for job in sim.open_jobs()
                for op in job.ops
                if op.state == "waiting"
            ):
                self._commit(sim, board, answer)
            return
        if not answer.projection:
            return  # nothing better known: the floor keeps following the old plan
        ends: dict[str, int] = {}
        for row in answer.projection:
            ends[row.order] = max(ends.get(row.order, -(10**9)), sim.minute(row.end))
        kept = []
        for order_id in answer.at_risk:
            job = sim.jobs[order_id]
            assert job.promise is not None
            if ends[order_id] <= job.promise:
                kept.append(order_id)
                continue
            due = ends[order_id] + job.buffer
            sim.promise(job, int(math.ceil(due / 60) * 60), change=True)
        repromised = board_now(sim)
        projection = replace(answer, status="promised", schedule=answer.projection)
        self._commit(sim, repromised, projection, accept_late=tuple(kept))

    def on_arrival(self, sim: Simulation, job: Job) -> None:
        board = board_now(sim, request=job)
        answer = self._call(sim, board, evaluate_options=False)
        if answer.status != "promised":
            self._check(sim)  # reality broke the plan: repair and re-promise first
            board = board_now(sim, request=job)
            answer = self._call(sim, board, evaluate_options=False)
        if answer.status != "promised":
            # No schedule found in the time limit: promise the honest insertion instead.
            sim.books.fallbacks += 1
            completion, rows = insertion_promise(sim, job, board)
            adopt_plan(sim, rows)
            sim.promise(job, completion + job.buffer)
            return
        applied: tuple[str, ...] = ()
        if answer.requested_due_feasible is False:
            answer, applied, board = self._with_capacity(sim, job, board, answer)
        self._commit(sim, board, answer, applied)
        assert answer.promise is not None
        sim.promise(job, sim.minute(answer.promise))
        for option_id in applied:
            option = next(o for o in board.capacity_options or () if o.id == option_id)
            sim.buy(option)

    def _with_capacity(
        self, sim: Simulation, job: Job, board: Board, answer: Answer
    ) -> tuple[Answer, tuple[str, ...], Board]:
        """The cheapest capacity option within the limit that meets the requested date."""
        offered = offered_options(sim)
        if not offered:
            return answer, (), board
        priced = replace(board, capacity_options=offered)
        evaluated = self._call(sim, priced, evaluate_options=True, warm_start=answer.schedule)
        if evaluated.status != "promised":
            return answer, (), board
        cost = {o.id: o.cost for o in offered}
        requested = board.request.requested_due if board.request else None
        fitting = sorted(
            (cost[o.id], o.id)
            for o in evaluated.options
            if o.promise is not None
            and requested is not None
            and o.promise <= requested
            and cost[o.id] <= self.option_cost_limit
        )
        if not fitting:
            return evaluated, (), priced
        option_id = fitting[0][1]
        bought = self._call(
            sim,
            priced,
            apply_options=(option_id,),
            evaluate_options=False,
            warm_start=evaluated.schedule,
        )
        if bought.status != "promised" or bought.promise is None or requested is None:
            return evaluated, (), priced
        if bought.promise > requested:
            return evaluated, (), priced
        return bought, (option_id,), priced

    def on_breakdown(self, sim: Simulation, breakdown: Breakdown) -> None:
        self._check(sim)

    def on_day(self, sim: Simulation) -> None:
        self._check(sim)

    def on_week(self, sim: Simulation, week: int) -> None:
        return None

    def pick(self, sim: Simulation, wc: str, ready: list[Op]) -> Op | int | None:
        return pick_from_plan(sim, wc, ready)


def make_policy(
    name: str, engine: EngineSettings, option_cost_limit: float
) -> YesPolicy | InsertPolicy | PromisePolicy:
    if name == "yes":
        return YesPolicy()
    if name == "insert":
        return InsertPolicy()
    if name == "promise":
        return PromisePolicy(engine, option_cost_limit)
    raise ValueError(f"unknown policy {name!r} (yes, insert, promise)")
