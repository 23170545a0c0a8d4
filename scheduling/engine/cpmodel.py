"""The CP-SAT model of a (part of a) problem, its objectives and its solve loop.

Pause-aware durations keyed by the pause an operation takes, optional intervals per alternative,
fixed occupations for what is not a variable; domains in domains.py. How and why: docs/engine.md
("The CP-SAT model").
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from scheduling.engine.calendars import WorkingTime
from scheduling.engine.domains import InfeasibleDomain, time_windows
from scheduling.engine.problem import Problem, Solution

SolutionListener = Callable[[int, float], None]  # (objective value, objective bound)

# Count each operation's time in its calendar's working minutes (see ``ScheduleModel``); off,
# every model uses wall-clock minutes and pause-dependent sizes (to compare the two).
WORKING_AXIS = True
# Also when the board has several calendars (each operation on its own, the routing steps
# between two calendars through window literals). Off: measured no better than duration
# literals on the demo shop and the generated 1k and 3k boards (docs/benchmarks-search.md,
# approach 27); kept switchable to measure again.
CROSS_CALENDAR_AXES = False


@dataclass
class TaskVars:
    start: cp_model.IntVar
    end: cp_model.IntVar
    size: cp_model.IntVar | int
    presence: dict[int, cp_model.IntVar | bool]  # machine -> literal (True if only one)
    literals: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)


class ScheduleModel:
    def __init__(
        self,
        problem: Problem,
        base: Solution,
        variable: set[int],
        latest_end: dict[int, int],
        *,
        soft_deadlines: dict[int, int] | None = None,
        min_start: dict[int, int] | None = None,
    ) -> None:
        """Model the tasks in ``variable``; every other task stays at its ``base`` placement.

        ``latest_end[job]`` bounds the end of a job's last task (its promise, the request's
        known-achievable completion, ...). With ``soft_deadlines`` (job -> deadline) those jobs
        may end after their deadline by a lateness variable (used to diagnose infeasibility);
        their ``latest_end`` is then only a search bound.
        """
        self.problem = problem
        self.base = base
        self.variable = variable
        # Each operation's times count in its work centers' calendar's working minutes: its
        # duration is then its fixed work content, with no pause-dependent sizes to choose
        # (docs/engine.md, "The CP-SAT model"). None: wall-clock minutes and duration literals.
        self.axes = _task_axes(problem) if WORKING_AXIS else None
        self._objective_axis: WorkingTime | None = None
        self._time_objective = False
        # Routing steps between two calendars: (previous task, task, its end's wall-clock
        # time, the next one's start's, and the working window each is in).
        self.crossings: list[_Crossing] = []
        self.model = cp_model.CpModel()
        self.vars: dict[int, TaskVars] = {}
        self.lateness: dict[int, cp_model.IntVar] = {}
        self.late_flags: dict[int, cp_model.IntVar] = {}
        self._build(latest_end, soft_deadlines or {}, min_start or {})

    # -- building ---------------------------------------------------------------------------
    def _build(
        self, latest_end: dict[int, int], soft: dict[int, int], min_start: dict[int, int]
    ) -> None:
        problem, base, variable = self.problem, self.base, self.variable
        model = self.model
        tasks = problem.tasks
        _, alt_ranges = time_windows(problem, base, variable, latest_end, min_start)

        occupations: dict[int, list[tuple[cp_model.IntervalVar, int]]] = {}
        reach: dict[int, list[int]] = {}  # machine -> [min start, max end] of its variables
        for t in sorted(variable):
            task = tasks[t]
            groups: dict[tuple[int, int], list[tuple[int, int]]] = {}
            for m, (lo, hi) in alt_ranges[t].items():
                if self.axes is not None:
                    groups[(m, task.minutes)] = [(self.at(t, lo), self.at(t, hi))]
                    continue
                for offset, spans in (
                    problem.machines[m].wt.offset_groups(lo, hi, task.minutes).items()
                ):
                    groups[(m, offset)] = spans
            if not groups:
                raise InfeasibleDomain(task.job)
            all_spans = sorted(span for spans in groups.values() for span in spans)
            start = model.new_int_var_from_domain(
                cp_model.Domain.from_intervals([list(s) for s in all_spans]), f"s{t}"
            )
            offsets = sorted({offset for _, offset in groups})
            end_lo = min(spans[0][0] + off for (_, off), spans in groups.items())
            end_hi = max(spans[-1][1] + off for (_, off), spans in groups.items())
            end = model.new_int_var(end_lo, end_hi, f"e{t}")
            machines = sorted({m for m, _ in groups}, key=task.alts.index)
            size: cp_model.IntVar | int
            if len(offsets) == 1:
                size = offsets[0]
                model.add(end == start + size)
            else:
                size = model.new_int_var_from_domain(cp_model.Domain.from_values(offsets), f"d{t}")
                model.add(end == start + size)
            presence: dict[int, cp_model.IntVar | bool] = {}
            if len(machines) == 1:
                presence[machines[0]] = True
            else:
                for m in machines:
                    presence[m] = model.new_bool_var(f"p{t}_{m}")
                model.add_exactly_one(presence.values())  # type: ignore[arg-type]
            tv = TaskVars(start, end, size, presence)
            if len(groups) > 1:
                for (m, offset), spans in groups.items():
                    literal = model.new_bool_var(f"l{t}_{m}_{offset}")
                    tv.literals[(m, offset)] = literal
                    model.add_linear_expression_in_domain(
                        start, cp_model.Domain.from_intervals([list(s) for s in spans])
                    ).only_enforce_if(literal)
                    if not isinstance(size, int):
                        model.add(size == offset).only_enforce_if(literal)
                model.add_exactly_one(tv.literals.values())
                for m in machines:
                    literals = [lit for (mm, _), lit in tv.literals.items() if mm == m]
                    if presence[m] is True:
                        continue
                    model.add(sum(literals) == presence[m])
            self.vars[t] = tv
            for m in machines:
                if presence[m] is True:
                    interval = model.new_interval_var(start, size, end, f"i{t}_{m}")
                else:
                    interval = model.new_optional_interval_var(
                        start, size, end, presence[m], f"i{t}_{m}"
                    )
                occupations.setdefault(m, []).append((interval, 1))
                span = reach.setdefault(m, [end_hi, end_lo])
                span[0] = min(span[0], all_spans[0][0])
                span[1] = max(span[1], end_hi)

        # Routing between consecutive variable tasks; promises on last tasks.
        for job in problem.jobs:
            previous = None
            for t in job.tasks:
                if t in variable and previous is not None and previous in variable:
                    if self.axes is None or self.axes[t] is self.axes[previous]:
                        model.add(self.vars[t].start >= self.vars[previous].end)
                    else:
                        self._cross(previous, t)
                previous = t
            if not job.tasks or job.tasks[-1] not in variable:
                continue
            last_end = self.vars[job.tasks[-1]].end
            if job.index in soft:
                due = self.at(job.tasks[-1], soft[job.index])
                late = model.new_int_var(0, max(0, _upper(last_end) - due), f"late{job.index}")
                model.add(last_end <= due + late)
                flag = model.new_bool_var(f"lateflag{job.index}")
                model.add(late == 0).only_enforce_if(~flag)
                self.lateness[job.index] = late
                self.late_flags[job.index] = flag

        # Fixed occupations, merged, only where a variable can reach them.
        fixed: dict[int, list[tuple[int, int]]] = {}
        for t, (m, s, e) in base.items():
            if t in variable or m not in reach:
                continue
            if self.axes is not None:
                wt = problem.machines[m].wt
                s, e = wt.position(s), wt.position(e)
            if e <= s:
                continue
            lo, hi = reach[m]
            if e <= lo or s >= hi:
                continue
            fixed.setdefault(m, []).append((s, e))
        for m, spans in fixed.items():
            for s, e, demand in _fixed_profile(spans, problem.machines[m].capacity):
                occupations.setdefault(m, []).append(
                    (model.new_fixed_size_interval_var(s, e - s, f"f{m}_{s}"), demand)
                )
        for m, items in occupations.items():
            capacity = problem.machines[m].capacity
            if len(items) <= 1 and all(d <= capacity for _, d in items):
                continue
            if capacity == 1:
                model.add_no_overlap([interval for interval, _ in items])
            else:
                model.add_cumulative(
                    [interval for interval, _ in items], [d for _, d in items], capacity
                )

    # -- objectives ---------------------------------------------------------------------------
    def job_end(self, job: int) -> cp_model.IntVar:
        return self.vars[self.problem.jobs[job].tasks[-1]].end

    def minimize_job_end(self, job: int) -> None:
        self.model.minimize(self.job_end(job))
        self._time_objective = True
        if self.axes is not None:
            self._objective_axis = self.axes[self.problem.jobs[job].tasks[-1]]

    def require_end(self, task: int, end: int) -> None:
        """Task ``task`` (a variable) ends exactly at ``end``."""
        self.model.add(self.vars[task].end == self.at(task, end))

    # -- the working-time axes ----------------------------------------------------------------
    def at(self, task: int, instant: int) -> int:
        """An instant in ``task``'s time in the model: itself, or its calendar's working
        minutes before it."""
        return instant if self.axes is None else self.axes[task].position(instant)

    def _cross(self, previous: int, task: int) -> None:
        """``task`` starts no earlier than ``previous`` ends, each counted on its own calendar:
        both times on the wall clock, each through one literal per working window its domain
        meets (within a window, wall-clock time = working minutes + that window's shift)."""
        assert self.axes is not None
        model = self.model
        ends = self._on_clock(self.vars[previous].end, self.axes[previous], f"{previous}", True)
        starts = self._on_clock(self.vars[task].start, self.axes[task], f"{task}", False)
        model.add(ends[0] <= starts[0])
        self.crossings.append(_Crossing(previous, task, ends, starts))

    def _on_clock(
        self, value: cp_model.IntVar, axis: WorkingTime, name: str, ends: bool
    ) -> tuple[cp_model.IntVar, list[tuple[cp_model.IntVar, int, int, int]]]:
        """A wall-clock variable equal to ``value`` (working minutes on ``axis``) mapped to an
        instant (an end's or a start's), with its window literals (literal, first, last, shift)."""
        lo, hi = _lower(value), _upper(value)
        windows = axis.position_windows(lo, hi, ends=ends)
        clock = self.model.new_int_var(
            min(f + k for f, _, k in windows), max(last + k for _, last, k in windows), f"w{name}"
        )
        literals = []
        if len(windows) == 1:
            self.model.add(clock == value + windows[0][2])
        else:
            for first, last, shift in windows:
                literal = self.model.new_bool_var(f"win{name}_{first}")
                self.model.add_linear_constraint(value, first, last).only_enforce_if(literal)
                self.model.add(clock == value + shift).only_enforce_if(literal)
                literals.append((literal, first, last, shift))
            self.model.add_exactly_one([literal for literal, _, _, _ in literals])
        return clock, literals

    def start_from(self, task: int, value: int) -> int:
        """``task``'s start in the model's time back as an instant."""
        if self.axes is None:
            return value
        start = self.axes[task].start_at(value)
        assert start is not None
        return start

    def end_from(self, value: int) -> int:
        """An end (or a bound on one) of the objective's time back as an instant."""
        if self._objective_axis is None:
            return value
        end = self._objective_axis.end_at(value)
        assert end is not None
        return end

    def _time(self, objective: int) -> int:
        """The objective back in minutes when it is a time (an end), else as it is."""
        return self.end_from(objective) if self._time_objective else objective

    def minimize_makespan(self) -> cp_model.IntVar:
        jobs = [j for j in self.problem.jobs if j.tasks]
        if self.axes is not None:
            calendars = {id(self.axes[j.tasks[-1]]) for j in jobs}
            if len(calendars) > 1:
                raise ValueError("a makespan across calendars has no single time to count in")
            self._objective_axis = self.axes[jobs[0].tasks[-1]]
        ends = [self.job_end(j.index) for j in jobs]
        makespan = self.model.new_int_var(0, max(_upper(e) for e in ends), "makespan")
        self.model.add_max_equality(makespan, ends)
        self.model.minimize(makespan)
        self._time_objective = True
        return makespan

    def minimize_lateness(self) -> None:
        """Fewest late orders first, then the least total lateness (minutes)."""
        total_cap = sum(_upper(v) for v in self.lateness.values()) + 1
        self.model.minimize(total_cap * sum(self.late_flags.values()) + sum(self.lateness.values()))

    def minimize_disruption(self, baseline: dict[int, tuple[int, int]]) -> None:
        """Fewest moved operations first (start or work center differs from the baseline),
        then the least total displacement of starts (minutes)."""
        moved = []
        displacement = []
        span_total = 1
        for t, (machine, planned) in baseline.items():
            tv = self.vars.get(t)
            if tv is None:
                continue
            start = self.at(t, planned)
            flag = self.model.new_bool_var(f"mv{t}")
            stays = [~flag]
            self.model.add(tv.start == start).only_enforce_if(stays)
            on_machine = tv.presence.get(machine)
            if on_machine is None:
                self.model.add_bool_or([flag])  # baseline machine no longer possible
            elif on_machine is not True:
                self.model.add_implication(~flag, on_machine)
            lo, hi = _lower(tv.start), _upper(tv.start)
            bound = max(abs(lo - start), abs(hi - start))
            shift = self.model.new_int_var(0, bound, f"dx{t}")
            self.model.add_abs_equality(shift, tv.start - start)
            moved.append(flag)
            displacement.append(shift)
            span_total += bound
        self.model.minimize(span_total * sum(moved) + sum(displacement))

    # -- hints and solving --------------------------------------------------------------------
    def hint(self, solution: Solution) -> None:
        self.model.clear_hints()
        for t, tv in self.vars.items():
            machine, start, end = solution[t]
            start, end = self.at(t, start), self.at(t, end)
            self.model.add_hint(tv.start, start)
            self.model.add_hint(tv.end, end)
            if not isinstance(tv.size, int):
                self.model.add_hint(tv.size, end - start)
            for m, literal in tv.presence.items():
                if not isinstance(literal, bool):
                    self.model.add_hint(literal, m == machine)
            for (m, offset), literal in tv.literals.items():
                self.model.add_hint(literal, m == machine and offset == end - start)
        for crossing in self.crossings:
            for (clock, literals), instant in (
                (crossing.ends, solution[crossing.previous][2]),
                (crossing.starts, solution[crossing.task][1]),
            ):
                self.model.add_hint(clock, instant)
                for literal, first, last, shift in literals:
                    self.model.add_hint(literal, first <= instant - shift <= last)

    def solve(
        self,
        *,
        time_limit: float,
        workers: int,
        seed: int,
        listener: SolutionListener | None = None,
        cancel: Callable[[], bool] | None = None,
        deterministic_limit: float | None = None,
    ) -> SolveResult:
        solver = cp_model.CpSolver()
        params = solver.parameters
        params.max_time_in_seconds = max(0.01, time_limit)
        if deterministic_limit is not None:
            # A work limit that does not depend on the machine's speed or load: with one worker
            # and a fixed seed the same board then gives the same answer.
            params.max_deterministic_time = max(0.01, deterministic_limit)
        params.num_workers = max(1, workers)
        params.random_seed = seed
        # Probing in presolve costs seconds of wall time on these models (many enforced
        # domain constraints) for little gain; the search does its own propagation.
        params.cp_model_probing_level = 0
        if listener is not None and self._time_objective and self._objective_axis is not None:
            report = listener

            def listener(objective: int, bound: float) -> None:
                report(self.end_from(objective), self.end_from(math.ceil(bound - 1e-6)))

        callback = _Callback(listener, cancel)
        stop = threading.Event()
        watcher = None
        if cancel is not None:
            # Solution callbacks only fire on new solutions; a watcher thread makes a cancel
            # take effect within a few tens of milliseconds even while the search proves.
            def watch() -> None:
                while not stop.wait(0.02):
                    if cancel():
                        solver.stop_search()
                        callback.cancelled = True
                        return

            watcher = threading.Thread(target=watch, daemon=True)
            watcher.start()
        started = time.monotonic()
        try:
            status = solver.solve(self.model, callback)
        finally:
            stop.set()
            if watcher is not None:
                watcher.join()
        solution: Solution | None = None
        objective = bound = None
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            solution = dict(self.base)
            for t, tv in self.vars.items():
                machine = next(
                    m for m, lit in tv.presence.items() if lit is True or solver.boolean_value(lit)
                )
                start = solver.value(tv.start)
                if self.axes is None:
                    solution[t] = (machine, start, solver.value(tv.end))
                else:
                    wall = self.start_from(t, start)
                    end = self.axes[t].end_after(wall, self.problem.tasks[t].minutes)
                    assert end is not None
                    solution[t] = (machine, wall, end)
            objective = self._time(round(solver.objective_value))
            bound = solver.best_objective_bound
            if self._time_objective and self._objective_axis is not None:
                bound = self.end_from(math.ceil(bound - 1e-6))
        return SolveResult(
            status=solver.status_name(status),
            work=solver.deterministic_time,
            solution=solution,
            objective=objective,
            bound=bound,
            cancelled=callback.cancelled,
            seconds=time.monotonic() - started,
            values=solver,
        )


@dataclass
class SolveResult:
    status: str  # OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN, MODEL_INVALID
    work: float  # CP-SAT's deterministic time spent
    solution: Solution | None
    objective: int | None
    bound: float | None
    cancelled: bool
    seconds: float
    values: cp_model.CpSolver

    @property
    def optimal(self) -> bool:
        return self.status == "OPTIMAL"


class _Callback(cp_model.CpSolverSolutionCallback):
    def __init__(
        self, listener: SolutionListener | None, cancel: Callable[[], bool] | None
    ) -> None:
        super().__init__()
        self.listener = listener
        self.cancel = cancel
        self.cancelled = False

    def on_solution_callback(self) -> None:
        if self.listener is not None:
            self.listener(round(self.objective_value), self.best_objective_bound)
        if self.cancel is not None and self.cancel():
            self.cancelled = True
            self.stop_search()


def _fixed_profile(spans: list[tuple[int, int]], capacity: int) -> list[tuple[int, int, int]]:
    """Fixed occupations as few (start, end, demand) pieces: merged runs for capacity 1, the
    step profile of simultaneous occupations otherwise."""
    spans.sort()
    if capacity == 1:
        merged: list[list[int]] = []
        for s, e in spans:
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        return [(s, e, 1) for s, e in merged]
    events: dict[int, int] = {}
    for s, e in spans:
        events[s] = events.get(s, 0) + 1
        events[e] = events.get(e, 0) - 1
    pieces: list[tuple[int, int, int]] = []
    level = 0
    previous = None
    for instant in sorted(events):
        if previous is not None and level > 0:
            if pieces and pieces[-1][1] == previous and pieces[-1][2] == level:
                pieces[-1] = (pieces[-1][0], instant, level)
            else:
                pieces.append((previous, instant, level))
        level += events[instant]
        previous = instant
    return pieces


def _lower(var: cp_model.IntVar) -> int:
    return int(var.proto.domain[0])


def _upper(var: cp_model.IntVar) -> int:
    # The proto's repeated field does not support negative indexing (d[-1] reads 0).
    domain = var.proto.domain
    return int(domain[len(domain) - 1])


@dataclass
class _Crossing:
    previous: int
    task: int
    ends: tuple[cp_model.IntVar, list[tuple[cp_model.IntVar, int, int, int]]]
    starts: tuple[cp_model.IntVar, list[tuple[cp_model.IntVar, int, int, int]]]


def _task_axes(problem: Problem) -> dict[int, WorkingTime] | None:
    """Each task's calendar (the one all its alternative work centers share), or None when
    some task's alternatives work on different calendars, or the board has several calendars
    and CROSS_CALENDAR_AXES is off."""
    if not CROSS_CALENDAR_AXES and len({id(m.wt) for m in problem.machines}) > 1:
        return None
    axes: dict[int, WorkingTime] = {}
    for task in problem.tasks:
        calendars = {id(problem.machines[m].wt) for m in task.alts}
        if len(calendars) > 1:
            return None
        axes[task.index] = problem.machines[task.alts[0]].wt
    return axes
