"""The engine's internal, integer form of a board: what the CP model and the heuristics work on.

Times are whole minutes since ``board.now``. A *task* is one operation that is not done; a *job*
is the chain of tasks of one order (or of the request). Running tasks are fixed: they keep their
work center and start, and end at ``max(now, E)`` where ``E`` is the calendar end of their
minutes from their start (an overrun is taken to finish now, as the verifier does).

A *solution* maps every task index to ``(machine, start, end)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from scheduling.engine.calendars import WorkingTime, to_minute
from scheduling.engine.model import Board, Order, Request, ScheduledOperation, Span

Placement = tuple[int, int, int]  # (machine index, start, end)
Solution = dict[int, Placement]

# The working-time horizon starts this long before the earliest instant the board mentions, so
# that a running operation's received minutes can be counted from its start.
_HORIZON_MARGIN_MINUTES = 60 * 24 * 7
_INITIAL_HORIZON_MINUTES = 60 * 24 * 90


@dataclass
class Machine:
    index: int
    id: str
    capacity: int
    wt: WorkingTime


@dataclass
class Task:
    index: int
    job: int
    order: str
    op: str
    minutes: int
    alts: tuple[int, ...]  # machine indices, in the board's order of preference
    fixed: Placement | None = None  # running operations
    baseline: tuple[int, int] | None = None  # (machine, start) from board.schedule
    baseline_row: ScheduledOperation | None = None  # that row, reused when nothing changed


@dataclass
class Job:
    index: int
    id: str
    tasks: list[int]
    ready: int  # earliest start of the first non-running task
    deadline: int | None  # latest end of the last task (rule 5); None for the request
    protected: int | None = None  # due - buffer, for reporting slack
    is_request: bool = False


@dataclass
class Problem:
    machines: list[Machine]
    tasks: list[Task]
    jobs: list[Job]
    now: datetime | None = None
    request_job: int | None = None
    machine_by_id: dict[str, int] = field(default_factory=dict)

    def end_of(self, task: int, machine: int, start: int) -> int | None:
        return self.machines[machine].wt.end_after(start, self.tasks[task].minutes)

    def place(self, task: int, machine: int, start: int) -> Placement:
        end = self.end_of(task, machine, start)
        if end is None:
            raise ValueError(f"no working time on {self.machines[machine].id} after {start}")
        return (machine, start, end)


def build_problem(
    board: Board, *, options: Sequence[str] = (), with_request: bool = True
) -> Problem:
    """The integer problem for ``board`` with the capacity options ``options`` chosen."""
    now = board.now
    option_extra: dict[str, list] = {}
    by_option = {o.id: o for o in board.capacity_options or ()}
    for option_id in options:
        if option_id not in by_option:
            raise KeyError(f"unknown capacity option {option_id!r}")
        option = by_option[option_id]
        option_extra.setdefault(option.work_center, []).extend(option.extra)

    earliest = 0
    for order in board.orders:
        for op in order.operations:
            if op.effective_state == "running" and op.start is not None:
                earliest = min(earliest, to_minute(op.start, now))
    for row in board.schedule or ():
        earliest = min(earliest, to_minute(row.start, now))
    lo = earliest - _HORIZON_MARGIN_MINUTES
    hi = _INITIAL_HORIZON_MINUTES

    # Work centers that share a calendar and have no chosen option share one WorkingTime.
    shared: dict[str, WorkingTime] = {}
    machines: list[Machine] = []
    for index, wc in enumerate(board.work_centers):
        calendar = board.calendar(wc.calendar)
        extra = option_extra.get(wc.id)
        if extra:
            wt = WorkingTime(calendar, now, lo, hi, extra)
        else:
            if wc.calendar not in shared:
                shared[wc.calendar] = WorkingTime(calendar, now, lo, hi)
            wt = shared[wc.calendar]
        machines.append(Machine(index, wc.id, wc.capacity, wt))
    machine_by_id = {m.id: m.index for m in machines}

    baseline_rows = {(r.order, r.operation): r for r in board.schedule or ()}
    problem = Problem(machines=machines, tasks=[], jobs=[], now=now, machine_by_id=machine_by_id)

    def add_job(job: Order | Request, is_request: bool) -> None:
        job_index = len(problem.jobs)
        release = to_minute(job.release, now) if job.release is not None else 0
        deadline = protected = None
        if isinstance(job, Order):
            protected = to_minute(job.due - timedelta(minutes=board.order_buffer(job)), now)
            deadline = protected
            last_row = baseline_rows.get((job.id, job.operations[-1].id))
            if last_row is not None:
                deadline = max(deadline, to_minute(last_row.end, now))
        entry = Job(
            job_index, job.id, [], max(0, release), deadline, protected, is_request=is_request
        )
        for op in job.operations:
            state = op.effective_state
            if state == "done":
                continue
            task = Task(
                index=len(problem.tasks),
                job=job_index,
                order=job.id,
                op=op.id,
                minutes=op.minutes,
                alts=tuple(machine_by_id[w] for w in op.work_centers),
            )
            if state == "running":
                assert op.start is not None and op.work_center is not None
                machine = machine_by_id[op.work_center]
                start = to_minute(op.start, now)
                end = machines[machine].wt.end_after(start, op.minutes)
                if end is None:
                    raise ValueError(f"{job.id}/{op.id}: no working time to finish it")
                task.fixed = (machine, start, max(0, end))
            else:
                row = baseline_rows.get((job.id, op.id))
                if row is not None and row.work_center in machine_by_id:
                    machine = machine_by_id[row.work_center]
                    if machine in task.alts:
                        task.baseline = (machine, to_minute(row.start, now))
                        task.baseline_row = row
            entry.tasks.append(task.index)
            problem.tasks.append(task)
        problem.jobs.append(entry)

    for order in board.orders:
        if any(op.effective_state != "done" for op in order.operations):
            add_job(order, False)
    if with_request and board.request is not None:
        problem.request_job = len(problem.jobs)
        add_job(board.request, True)
    return problem


def with_option(problem: Problem, machine: int, extra: Sequence[Span]) -> Problem:
    """A copy of ``problem`` in which one machine also works ``extra`` (a capacity option).

    Only that machine's working time and the running tasks on it change; everything else is
    shared with the original, so evaluating an option on a 50,000-operation board is cheap.
    """
    original = problem.machines[machine]
    wt = original.wt
    calendar_wt = WorkingTime(wt.calendar, wt.now, wt.lo, wt.hi, (*wt.option_extra, *extra))
    machines = list(problem.machines)
    machines[machine] = Machine(original.index, original.id, original.capacity, calendar_wt)
    tasks = list(problem.tasks)
    for task in problem.tasks:
        if task.fixed is not None and task.fixed[0] == machine:
            _, start, _ = task.fixed
            # The board's minutes are what the running task needs in total from its start.
            end = calendar_wt.end_after(start, task.minutes)
            assert end is not None
            tasks[task.index] = replace(task, fixed=(machine, start, max(0, end)))
    return Problem(
        machines=machines,
        tasks=tasks,
        jobs=problem.jobs,
        now=problem.now,
        request_job=problem.request_job,
        machine_by_id=problem.machine_by_id,
    )


def baseline_solution(problem: Problem) -> Solution | None:
    """The baseline placements (ends recomputed on today's calendars), or None if incomplete."""
    solution: Solution = {}
    for task in problem.tasks:
        if task.fixed is not None:
            solution[task.index] = task.fixed
        elif problem.jobs[task.job].is_request:
            continue
        elif task.baseline is None:
            return None
        else:
            machine, start = task.baseline
            end = problem.end_of(task.index, machine, start)
            if end is None:
                return None
            solution[task.index] = (machine, start, end)
    return solution


def violations(
    problem: Problem,
    solution: Solution,
    *,
    deadlines: bool = True,
    ends_known: bool = False,
    partial: bool = False,
) -> list[str]:
    """Rule violations of an integer solution (the engine's own quick check, used to decide
    whether the baseline can be kept; the independent ``verify`` has the last word).
    ``ends_known``: the ends were computed from the calendar already (skip recomputing).
    ``partial``: tasks missing from ``solution`` are not reported (part of a schedule)."""
    found: list[str] = []
    for job in problem.jobs:
        if job.is_request and job.tasks and job.tasks[0] not in solution:
            continue  # checking the board without the request
        previous_end: int | None = None
        for position, t in enumerate(job.tasks):
            task = problem.tasks[t]
            placement = solution.get(t)
            if placement is None:
                if not partial:
                    found.append(f"{task.order}/{task.op} unscheduled")
                previous_end = None
                continue
            machine, start, end = placement
            if task.fixed is None:
                if machine not in task.alts:
                    found.append(f"{task.order}/{task.op} on a foreign machine")
                wt = problem.machines[machine].wt
                if not wt.is_working(start) or (
                    not ends_known and wt.end_after(start, task.minutes) != end
                ):
                    found.append(f"{task.order}/{task.op} off calendar")
                earliest = job.ready if position == 0 else 0
                if start < max(earliest, 0):
                    found.append(f"{task.order}/{task.op} before its release/now")
            elif placement != task.fixed:
                found.append(f"{task.order}/{task.op} running but moved")
            if previous_end is not None and start < previous_end:
                found.append(f"{task.order}/{task.op} before its predecessor ends")
            previous_end = end
        if deadlines and job.deadline is not None and job.tasks and previous_end is not None:
            if previous_end > job.deadline:
                found.append(f"order {job.id} late")
    by_machine: dict[int, list[tuple[int, int]]] = {}
    for machine, start, end in solution.values():
        by_machine.setdefault(machine, []).append((start, end))
    for machine, spans in by_machine.items():
        events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
        level = 0
        for _, delta in events:
            level += delta
            if level > problem.machines[machine].capacity:
                found.append(f"{problem.machines[machine].id} over capacity")
                break
    return found


def late_jobs(problem: Problem, solution: Solution) -> list[int]:
    late = []
    for job in problem.jobs:
        if job.deadline is None or not job.tasks:
            continue
        end = solution[job.tasks[-1]][2]
        if end > job.deadline:
            late.append(job.index)
    return late


def moved_count(problem: Problem, solution: Solution) -> int:
    """Planned operations whose work center or start in ``solution`` differs from the plan."""
    return sum(
        1
        for t in problem.tasks
        if t.baseline is not None
        and t.fixed is None
        and (solution[t.index][0], solution[t.index][1]) != t.baseline
    )
