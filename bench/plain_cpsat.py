"""The "plain full-board CP-SAT model" baselines, written independently of the engine.

``PlainBoardModel`` (every open operation a variable, nothing frozen, windowed or hinted) and
``solve_jssp`` (the textbook job-shop model, for ``run_jssp``). How they are modelled:
docs/bench-methods.md ("The plain full-board CP-SAT model").
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ortools.sat.python import cp_model

from bench.worktime import WorkingTime, calendar_windows, format_instant, parse_instant

# Windows are built this far past the last thing on the board, so a request can always be placed
# after everything (it never needs more than a few weeks of one work center's time).
REQUEST_SLACK_DAYS = 120


@dataclass(frozen=True)
class Segment:
    low: int  # start range, minutes from now, inclusive
    high: int
    pause: int  # non-working minutes the operation spans when it starts in [low, high]


@dataclass
class PlainResult:
    status: str  # "promised", "no_solution", "infeasible"
    completion: datetime | None
    lower_bound: datetime | None
    proven_optimal: bool
    solve_seconds: float
    schedule: list[dict[str, Any]] = field(default_factory=list)


def segments(walk: WorkingTime, minutes: int, earliest: int, latest: int) -> list[Segment]:
    """Start ranges in [earliest, latest] (working minutes only) with a constant pause."""
    result: list[Segment] = []
    for k, (a, b) in enumerate(walk.windows):
        if b <= earliest:
            continue
        if a > latest:
            break
        low, high = max(a, earliest), min(b - 1, latest)
        if low > high:
            continue
        offset_k = a - walk.worked[k]
        clock_low = walk.worked[k] + low - a
        clock_high = walk.worked[k] + high - a
        # windows j in which the end falls, for ends with clock in [clock_low+p, clock_high+p]
        end_clock = clock_low + minutes
        # starts whose end would fall past the horizon are left out (the horizon is generous)
        while end_clock <= min(clock_high + minutes, walk.total):
            end = walk.instant_at_clock(end_clock, closing=True)
            j = _window_of_end(walk, end)
            window_clock_end = walk.worked[j] + walk.ends[j] - walk.starts[j]
            last_clock = min(window_clock_end, clock_high + minutes, walk.total)
            pause = (walk.starts[j] - walk.worked[j]) - offset_k
            seg_low = end_clock - minutes - walk.worked[k] + a
            seg_high = last_clock - minutes - walk.worked[k] + a
            if result and result[-1].pause == pause and result[-1].high + 1 == seg_low:
                result[-1] = Segment(result[-1].low, seg_high, pause)
            else:
                result.append(Segment(seg_low, seg_high, pause))
            end_clock = last_clock + 1
    return result


def _window_of_end(walk: WorkingTime, end: int) -> int:
    """Index of the window an end instant closes in (an end may equal the window's end)."""
    return bisect.bisect_left(walk.ends, end)


@dataclass
class _Op:
    order: str
    operation: str
    minutes: int
    candidates: dict[str, list[Segment]]  # work center -> start segments
    start: Any = None  # cp_model var or constant
    end: Any = None
    presence: dict[str, Any] = field(default_factory=dict)
    fixed_work_center: str | None = None


class PlainBoardModel:
    """The board's operations as one CP-SAT model; ``solve`` adds a request and minimises it."""

    def __init__(self, board: Mapping[str, Any]) -> None:
        started = time.perf_counter()
        self.board = board
        self.now = parse_instant(board["now"])
        self.default_buffer = int(board["buffer_minutes"])
        self.capacity = {wc["id"]: int(wc["capacity"]) for wc in board["work_centers"]}
        schedule_end: dict[str, int] = {}
        last_instant = self.now
        for row in board.get("schedule") or []:
            end = parse_instant(row["end"])
            last_instant = max(last_instant, end)
            key = row["order"]
            schedule_end[key] = max(schedule_end.get(key, -(10**9)), self._m(end))
        self.baseline_order_end = schedule_end
        for order in board["orders"]:
            last_instant = max(
                last_instant,
                parse_instant(order["due"]),
                parse_instant(order.get("release", board["now"])),
            )
        self.horizon = self._m(last_instant) + REQUEST_SLACK_DAYS * 1440
        first = self.now - timedelta(days=60)
        last = self.now + timedelta(minutes=self.horizon)
        calendars = board["calendars"]
        self.walk = {
            wc["id"]: WorkingTime(
                calendar_windows(calendars[wc["calendar"]], origin=self.now, first=first, last=last)
            )
            for wc in board["work_centers"]
        }
        self.model = cp_model.CpModel()
        self.intervals: dict[str, list[Any]] = {wc: [] for wc in self.capacity}
        self.ops: list[_Op] = []
        self.infeasible_orders: list[str] = []
        for order in board["orders"]:
            buffer = order.get("buffer_minutes", self.default_buffer)
            deadline = self._m(parse_instant(order["due"])) - int(buffer)
            if order["id"] in self.baseline_order_end:
                deadline = max(deadline, self.baseline_order_end[order["id"]])
            self.ops.extend(self._add_order(order, deadline))
        self.resource_constraints: dict[str, int] = {}
        for wc, intervals in self.intervals.items():
            if self.capacity[wc] == 1:
                ct = self.model.add_no_overlap(intervals)
            else:
                ct = self.model.add_cumulative(intervals, [1] * len(intervals), self.capacity[wc])
            self.resource_constraints[wc] = ct.index
        self.build_seconds = time.perf_counter() - started

    def _m(self, instant: datetime) -> int:
        return int((instant - self.now).total_seconds() // 60)

    def _add_order(
        self,
        order: Mapping[str, Any],
        deadline: int,
        model: cp_model.CpModel | None = None,
        intervals: dict[str, list[Any]] | None = None,
    ) -> list[_Op]:
        model = model or self.model
        intervals = self.intervals if intervals is None else intervals
        ready = max(0, self._m(parse_instant(order["release"]))) if order.get("release") else 0
        open_ops: list[_Op] = []
        heads: list[int] = []
        for op in order["operations"]:
            state = op.get("state", "planned")
            if state == "done":
                continue
            if state == "running":
                wc = op["work_center"]
                start = self._m(parse_instant(op["start"]))
                end = self.walk[wc].end_of(start, int(op["minutes"]))
                item = _Op(
                    order["id"], op["id"], int(op["minutes"]), {}, start, end, fixed_work_center=wc
                )
                intervals[wc].append(
                    model.new_interval_var(start, end - start, end, f"{order['id']}/{op['id']}")
                )
                open_ops.append(item)
                heads.append(start)
                ready = end
                continue
            best_end = None
            for wc in op["work_centers"]:
                walk = self.walk[wc]
                es = walk.next_working(ready)
                ef = walk.end_of(es, int(op["minutes"]))
                best_end = ef if best_end is None else min(best_end, ef)
            open_ops.append(_Op(order["id"], op["id"], int(op["minutes"]), {}))
            heads.append(ready)
            assert best_end is not None
            ready = best_end
        # tails: latest end of each operation given the deadline and its successors
        latest_end = deadline
        latest_ends: list[int] = [0] * len(open_ops)
        for i in range(len(open_ops) - 1, -1, -1):
            item = open_ops[i]
            latest_ends[i] = latest_end
            if item.fixed_work_center is not None:
                latest_end = item.start  # nothing before a running operation is open
                continue
            latest_start = None
            op_doc = next(o for o in order["operations"] if o["id"] == item.operation)
            for wc in op_doc["work_centers"]:
                try:
                    ls = self.walk[wc].latest_start(latest_end, item.minutes)
                except ValueError:
                    continue
                latest_start = ls if latest_start is None else max(latest_start, ls)
            latest_end = latest_start if latest_start is not None else -(10**9)
        previous_end: Any = None
        for i, item in enumerate(open_ops):
            if item.fixed_work_center is None:
                op_doc = next(o for o in order["operations"] if o["id"] == item.operation)
                self._add_operation(
                    model, intervals, item, op_doc["work_centers"], heads[i], latest_ends[i]
                )
            if previous_end is not None and item.fixed_work_center is None:
                model.add(item.start >= previous_end)
            previous_end = item.end
        return open_ops

    def _add_operation(
        self,
        model: cp_model.CpModel,
        intervals: dict[str, list[Any]],
        item: _Op,
        work_centers: Sequence[str],
        head: int,
        latest_end: int,
    ) -> None:
        for wc in work_centers:
            walk = self.walk[wc]
            try:
                latest_start = walk.latest_start(latest_end, item.minutes)
            except ValueError:
                continue
            segs = segments(walk, item.minutes, head, latest_start)
            if segs:
                item.candidates[wc] = segs
        if not item.candidates:
            # no start fits between release and promise: the board itself is infeasible
            self.infeasible_orders.append(item.order)
            model.add_bool_or([])  # an empty clause: the model is infeasible, as the board is
            item.start = model.new_int_var(head, head, "")
            item.end = model.new_int_var(head, head, "")
            return
        starts = [[s.low, s.high] for segs in item.candidates.values() for s in segs]
        sizes = sorted({item.minutes + s.pause for segs in item.candidates.values() for s in segs})
        name = f"{item.order}/{item.operation}"
        item.start = model.new_int_var_from_domain(
            cp_model.Domain.from_intervals(starts), f"s {name}"
        )
        size = model.new_int_var_from_domain(cp_model.Domain.from_values(sizes), f"d {name}")
        item.end = model.new_int_var(
            min(s[0] for s in starts) + sizes[0], max(s[1] for s in starts) + sizes[-1], f"e {name}"
        )
        model.add(item.end == item.start + size)
        literals: list[Any] = []
        for wc, segs in item.candidates.items():
            if len(item.candidates) == 1:
                presence: Any = 1
            else:
                presence = model.new_bool_var(f"on {wc} {name}")
                literals.append(presence)
            item.presence[wc] = presence
            intervals[wc].append(
                model.new_optional_interval_var(
                    item.start, size, item.end, presence, f"{name}@{wc}"
                )
            )
            if len(segs) == 1 and len(item.candidates) == 1:
                model.add(size == item.minutes + segs[0].pause)
                continue
            choice = [model.new_bool_var("") for _ in segs]
            model.add(sum(choice) == presence)
            for literal, seg in zip(choice, segs, strict=True):
                model.add_linear_constraint(item.start, seg.low, seg.high).only_enforce_if(literal)
                model.add(size == item.minutes + seg.pause).only_enforce_if(literal)
        if literals:
            model.add_exactly_one(literals)

    def solve(
        self, request_board: Mapping[str, Any], *, time_limit: float, workers: int, seed: int = 0
    ) -> PlainResult:
        """Add the board's request to a copy of the model and minimise its completion."""
        started = time.perf_counter()  # wall clock from here: cloning the board part counts
        request = request_board["request"]
        model = self.model.clone()
        intervals: dict[str, list[Any]] = {wc: [] for wc in self.capacity}
        ops = self._add_order(request, self.horizon, model, intervals)
        for wc, new in intervals.items():
            proto = model.proto.constraints[self.resource_constraints[wc]]
            if self.capacity[wc] == 1:
                for interval in new:
                    proto.no_overlap.intervals.append(interval.index)
            else:
                for interval in new:
                    proto.cumulative.intervals.append(interval.index)
                    proto.cumulative.demands.add().offset = 1
        model.minimize(ops[-1].end)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = time_limit
        solver.parameters.num_workers = workers
        solver.parameters.random_seed = seed
        status = solver.solve(model)
        seconds = time.perf_counter() - started
        if status == cp_model.INFEASIBLE:
            return PlainResult("infeasible", None, None, False, seconds)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return PlainResult("no_solution", None, None, False, seconds)
        at = lambda minutes: self.now + timedelta(minutes=int(minutes))  # noqa: E731
        completion = at(solver.value(ops[-1].end))
        bound = at(-(-solver.best_objective_bound // 1))
        schedule = []
        for op in [*self.ops, *ops]:
            start = solver.value(op.start) if not isinstance(op.start, int) else op.start
            end = solver.value(op.end) if not isinstance(op.end, int) else op.end
            wc = op.fixed_work_center or next(
                w for w, p in op.presence.items() if isinstance(p, int) or solver.boolean_value(p)
            )
            schedule.append(
                {
                    "order": op.order,
                    "operation": op.operation,
                    "work_center": wc,
                    "start": format_instant(at(start)),
                    "end": format_instant(at(end)),
                }
            )
        return PlainResult(
            "promised", completion, bound, status == cp_model.OPTIMAL, seconds, schedule
        )


# -- job shop ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class JobShop:
    name: str
    machines: int
    jobs: list[list[tuple[int, int]]]  # per job, (machine, duration) in routing order


def read_orlib_jobshop(path: Path, name: str) -> JobShop:
    """One instance of an OR-Library job-shop file (``instance NAME``, a description line, then
    ``jobs machines`` and one line of machine/duration pairs per job)."""
    lines = path.read_text().splitlines()
    for i, line in enumerate(lines):  # noqa: B007 (i is used after the loop)
        words = line.split()
        if words == ["instance", name]:
            break
    else:
        raise KeyError(f"instance {name} not in {path}")
    rows = iter(lines[i + 1 :])
    for line in rows:
        words = line.split()
        if len(words) == 2 and all(w.isdigit() for w in words):
            n_jobs, n_machines = int(words[0]), int(words[1])
            break
    jobs = []
    for _ in range(n_jobs):
        numbers = [int(w) for w in next(rows).split()]
        if len(numbers) != 2 * n_machines:
            raise ValueError(f"{name}: a job line with {len(numbers)} numbers")
        jobs.append([(numbers[k], numbers[k + 1]) for k in range(0, len(numbers), 2)])
    return JobShop(name, n_machines, jobs)


@dataclass(frozen=True)
class JobShopResult:
    makespan: int | None
    lower_bound: int
    status: str
    seconds: float


def solve_jssp(shop: JobShop, *, time_limit: float, workers: int, seed: int = 0) -> JobShopResult:
    """Textbook model: one interval per operation, NoOverlap per machine, routing precedences,
    minimise the makespan."""
    started = time.perf_counter()
    model = cp_model.CpModel()
    horizon = sum(d for job in shop.jobs for _, d in job)
    per_machine: list[list[Any]] = [[] for _ in range(shop.machines)]
    ends: list[cp_model.IntVar] = []
    for j, job in enumerate(shop.jobs):
        previous: cp_model.IntVar | None = None
        for k, (machine, duration) in enumerate(job):
            start = model.new_int_var(0, horizon, f"s{j}_{k}")
            end = model.new_int_var(0, horizon, f"e{j}_{k}")
            per_machine[machine].append(model.new_interval_var(start, duration, end, f"i{j}_{k}"))
            if previous is not None:
                model.add(start >= previous)
            previous = end
        if previous is not None:
            ends.append(previous)
    for intervals in per_machine:
        model.add_no_overlap(intervals)
    makespan = model.new_int_var(0, horizon, "makespan")
    model.add_max_equality(makespan, ends)
    model.minimize(makespan)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    status = solver.solve(model)
    seconds = time.perf_counter() - started
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return JobShopResult(
            int(solver.objective_value),
            int(-(-solver.best_objective_bound // 1)),
            solver.status_name(status).lower(),
            seconds,
        )
    return JobShopResult(None, 0, solver.status_name(status).lower(), seconds)
