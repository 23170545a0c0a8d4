"""The shop floor: a discrete-event model at minute resolution, in the shop's calendars.

Events are orders arriving, orders released, operations finishing, machines failing, and the
start of every day and week. Between events nothing changes, so the clock jumps from one to the
next (never minute by minute). After every event each idle unit of a working, undamaged work
center asks the policy which waiting operation to start (``Policy.pick``): the plan-following
policies start their plan's next operation, the ``yes`` policy its queue's head.

An operation's actual minutes are its planned minutes times its drawn factor. It runs in its
work center's working time, which here is the calendar, plus any capacity bought, minus every
breakdown (all known to the floor in advance, to nobody else), and pauses across whatever is not
working time. Its end is therefore exact at the minute: ``WorkingTime.end_after``.

The books (``Books``) record every arrival, promise, delivery, expedite and engine call, so the
tests can reconcile them.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

from bench.simulate.disturbances import WEEK, Arrival, Breakdown, Disturbances
from bench.simulate.state import DAY, Books, Delivery, Job, Op
from scheduling.engine.calendars import WorkingTime, to_minute
from scheduling.engine.model import Board, Calendar, CapacityOption


class Policy(Protocol):
    name: str

    def start(self, sim: Simulation) -> None: ...
    def on_arrival(self, sim: Simulation, job: Job) -> None: ...
    def on_breakdown(self, sim: Simulation, breakdown: Breakdown) -> None: ...
    def on_day(self, sim: Simulation) -> None: ...
    def on_week(self, sim: Simulation, week: int) -> None: ...
    def pick(self, sim: Simulation, wc: str, ready: list[Op]) -> Op | int | None: ...


class Simulation:
    """One policy on one replication's disturbances."""

    def __init__(
        self,
        board: Board,
        disturbances: Disturbances,
        policy: Policy,
        *,
        weeks: int,
        keep_commits: bool = False,
        on_progress: Callable[[Simulation], None] | None = None,
    ) -> None:
        self.board = board
        self.epoch = board.now
        self.disturbances = disturbances
        self.policy = policy
        self.horizon = weeks * WEEK
        self.keep_commits = keep_commits
        self.on_progress = on_progress
        self.books = Books()
        self.weekly: list[dict[str, float]] = []
        self.t = 0
        self.jobs: dict[str, Job] = {}
        self.bought: dict[str, list[tuple[int, int]]] = {wc.id: [] for wc in board.work_centers}
        self.bought_ids: set[str] = set()
        self.capacity = {wc.id: wc.capacity for wc in board.work_centers}
        self.busy = {wc.id: 0 for wc in board.work_centers}
        self.ready: dict[str, set[Op]] = {wc.id: set() for wc in board.work_centers}
        self._events: list[tuple[int, int, str, object]] = []
        self._sequence = 0
        self._wakes: set[int] = set()
        self._planned: dict[str, list[Op]] | None = None  # waiting ops by planned work center
        self._down: dict[str, list[Breakdown]] = {wc.id: [] for wc in board.work_centers}
        for b in disturbances.breakdowns:
            self._down[b.work_center].append(b)
        lo = -2 * WEEK
        for order in board.orders:
            for op in order.operations:
                if op.start is not None:
                    lo = min(lo, to_minute(op.start, self.epoch) - WEEK)
        self._lo = lo
        self.open_count = 0  # orders in the shop (arrived, not delivered): work in progress
        self.floor_time: dict[str, WorkingTime] = {}
        self.plan_time: dict[str, WorkingTime] = {}
        for wc in board.work_centers:
            self._build_time(wc.id)
        self._load_board()

    # -- time ------------------------------------------------------------------------------
    def at(self, minute: int) -> datetime:
        return self.epoch + timedelta(minutes=minute)

    def minute(self, instant: datetime) -> int:
        return to_minute(instant, self.epoch)

    def base_calendar(self, wc: str) -> Calendar:
        return self.board.calendar(self.board.work_center(wc).calendar)

    def planning_calendar(self, wc: str, *, known_down: bool = True) -> Calendar:
        """What the planners know of ``wc``'s working time now: its calendar, the capacity
        bought for it, and the breakdown it is in (repair time announced at failure)."""
        base = self.base_calendar(wc)
        extra = tuple((self.at(a), self.at(b)) for a, b in self.bought[wc])
        closed = base.closed
        if known_down:
            closed += tuple((self.at(b.start), self.at(b.end)) for b in self.down_now(wc))
        return replace(base, id=f"wc:{wc}", extra=base.extra + extra, closed=closed)

    def _build_time(self, wc: str) -> None:
        base = self.base_calendar(wc)
        extra = base.extra + tuple((self.at(a), self.at(b)) for a, b in self.bought[wc])
        down = tuple((self.at(b.start), self.at(b.end)) for b in self._down[wc])
        hi = self.horizon + 8 * WEEK
        floor = replace(base, extra=extra, closed=base.closed + down)
        self.floor_time[wc] = WorkingTime(floor, self.epoch, self._lo, hi)
        self.plan_time[wc] = WorkingTime(replace(base, extra=extra), self.epoch, self._lo, hi)

    def down_now(self, wc: str) -> list[Breakdown]:
        return [b for b in self._down[wc] if b.start <= self.t < b.end]

    def worked(self, op: Op) -> int:
        """Working minutes a running operation has really received so far."""
        assert op.start is not None and op.work_center is not None
        return self.floor_time[op.work_center].work_between(op.start, self.t)

    # -- set-up ----------------------------------------------------------------------------
    def _load_board(self) -> None:
        factors = self.disturbances.board_factors
        for order in self.board.orders:
            ops = []
            for operation in order.operations:
                factor = factors.get((order.id, operation.id), 1.0)
                op = Op(
                    order.id,
                    operation.id,
                    operation.work_centers,
                    operation.minutes,
                    max(1, round(operation.minutes * factor)),
                )
                ops.append(op)
                if operation.effective_state == "done":
                    op.state = "done"
                elif operation.effective_state == "running":
                    assert operation.start is not None and operation.work_center is not None
                    op.state = "running"
                    op.work_center = operation.work_center
                    op.start = self.minute(operation.start)
                    self.busy[operation.work_center] += 1
            release = self.minute(order.release) if order.release else 0
            job = Job(order.id, min(0, release), release, self.board.order_buffer(order), ops)
            job.promise = self.minute(order.due)
            job.promises.append((0, job.promise))
            job.queue_key = len(self.jobs)
            self.jobs[job.id] = job
            self.open_count += 1
        for row in self.board.schedule or ():
            planned = self.op(row.order, row.operation)
            planned.plan_wc, planned.plan_start = row.work_center, self.minute(row.start)
            planned.plan_end = self.minute(row.end)
        for job in self.jobs.values():
            for running in job.ops:
                if running.state == "running":
                    self._schedule_end(running)
            if job.release > 0:
                self._push(job.release, "release", job.id)
            else:
                self._make_ready(job)

    def op(self, order: str, op_id: str) -> Op:
        return next(op for op in self.jobs[order].ops if op.id == op_id)

    def open_jobs(self) -> list[Job]:
        return [j for j in self.jobs.values() if j.delivered is None]

    # -- events ----------------------------------------------------------------------------
    def _push(self, at: int, kind: str, payload: object) -> None:
        self._sequence += 1
        heapq.heappush(self._events, (at, self._sequence, kind, payload))

    def _schedule_end(self, op: Op) -> None:
        assert op.work_center is not None and op.start is not None
        end = self.floor_time[op.work_center].end_after(op.start, op.actual)
        if end is None:
            raise RuntimeError(f"{op.order}/{op.id}: no working time to finish it")
        op.end = max(end, self.t)
        self._push(op.end, "finish", op)

    def _make_ready(self, job: Job) -> None:
        op = job.next_op()
        if op is not None and op.state == "waiting":
            for wc in op.work_centers:
                self.ready[wc].add(op)

    def run(self) -> Books:
        for arrival in self.disturbances.arrivals:
            self._push(arrival.at, "arrival", arrival)
        for breakdown in self.disturbances.breakdowns:
            self._push(breakdown.start, "breakdown", breakdown)
        for day in range(1, self.horizon // DAY + 1):
            self._push(day * DAY, "day", day)
        self.policy.start(self)
        self._dispatch()
        last = 0
        while self._events and self._events[0][0] <= self.horizon:
            at, _, kind, payload = heapq.heappop(self._events)
            self.books.wip_minutes += self.open_count * (at - last)
            last = self.t = at
            self._handle(kind, payload)
            if not self._events or self._events[0][0] > at:
                self._wakes.discard(at)
                self._dispatch()
        self.books.wip_minutes += self.open_count * (self.horizon - last)
        self.t = self.horizon
        return self.books

    def _handle(self, kind: str, payload: object) -> None:
        if kind == "finish":
            assert isinstance(payload, Op)
            if payload.state == "running" and payload.end == self.t:
                self._finish(payload)
        elif kind == "arrival":
            assert isinstance(payload, Arrival)
            self._arrive(payload)
        elif kind == "release":
            assert isinstance(payload, str)
            self._make_ready(self.jobs[payload])
        elif kind == "breakdown":
            assert isinstance(payload, Breakdown)
            self.books.breakdowns_seen.append(payload)
            self.policy.on_breakdown(self, payload)
        elif kind == "day":
            assert isinstance(payload, int)
            if payload % 7 == 0:
                self._close_week(payload // 7)
            self.policy.on_day(self)
            if self.on_progress is not None:
                self.on_progress(self)

    def _arrive(self, arrival: Arrival) -> None:
        ops = [
            Op(arrival.id, str(10 * (k + 1)), centers, minutes, max(1, round(minutes * factor)))
            for k, ((centers, minutes), factor) in enumerate(
                zip(arrival.routing, arrival.factors, strict=True)
            )
        ]
        job = Job(
            arrival.id,
            arrival.at,
            arrival.at,
            arrival.buffer_minutes,
            ops,
            requested=arrival.at + arrival.requested_lead,
        )
        job.queue_key = len(self.jobs)
        self.jobs[job.id] = job
        self.open_count += 1
        self.books.arrivals.append(job.id)
        self.policy.on_arrival(self, job)
        if job.promise is None:
            raise RuntimeError(f"policy {self.policy.name} made no promise for {job.id}")
        self.books.quotes.append((job.id, job.arrival, job.promise))
        if job.promise == job.requested:
            self.books.requested_kept += 1
        self._make_ready(job)

    def promise(self, job: Job, due: int, *, change: bool = False) -> None:
        job.promise = due
        job.promises.append((self.t, due))
        if change:
            self.books.promises_changed += 1

    def _finish(self, op: Op) -> None:
        assert op.work_center is not None
        op.state = "done"
        self.busy[op.work_center] -= 1
        job = self.jobs[op.order]
        if job.next_op() is None:
            job.delivered = self.t
            self.open_count -= 1
            assert job.promise is not None
            self.books.deliveries.append(
                Delivery(job.id, self.t, job.promise, job.arrival, job.is_new)
            )
        elif self.t >= job.release:
            self._make_ready(job)

    def _close_week(self, week: int) -> None:
        start, end = (week - 1) * WEEK, week * WEEK
        done = [d for d in self.books.deliveries if start <= d.at < end]
        quoted = [p - a for _, a, p in self.books.quotes if start <= a < end]
        self.weekly.append(
            {
                "week": week,
                "delivered": len(done),
                "on_time": sum(d.at <= d.promise for d in done),
                "quoted_lead_days": sum(quoted) / len(quoted) / DAY if quoted else float("nan"),
                "quotes": len(quoted),
            }
        )
        self.policy.on_week(self, week)

    # -- capacity --------------------------------------------------------------------------
    def buy(self, option: CapacityOption) -> None:
        """Add a capacity option's windows to its work center from now on."""
        if option.id in self.bought_ids:
            return
        self.bought_ids.add(option.id)
        wc = option.work_center
        windows = [(self.minute(a), self.minute(b)) for a, b in option.extra]
        before = _covered(self.bought[wc])
        self.bought[wc].extend(windows)
        # Hours of working time added: what the windows cover beyond what was bought already.
        self.books.overtime_minutes += _covered(self.bought[wc]) - before
        self.books.overtime_cost += option.cost
        self._build_time(wc)
        for job in self.jobs.values():
            for op in job.ops:
                if op.state == "running" and op.work_center == wc:
                    self._schedule_end(op)

    # -- dispatching -----------------------------------------------------------------------
    def plan_changed(self) -> None:
        self._planned = None

    def first_planned(self, wc: str) -> Op | None:
        """The waiting operation planned to start first on ``wc`` (None: none planned)."""
        if self._planned is None:
            self._planned = {center: [] for center in self.capacity}
            for job in self.jobs.values():
                for op in job.ops:
                    if op.state == "waiting" and op.plan_wc is not None:
                        self._planned[op.plan_wc].append(op)
            for ops in self._planned.values():
                ops.sort(key=lambda op: (op.plan_start, op.order, op.id))
        queue = self._planned[wc]
        while queue and queue[0].state != "waiting":
            queue.pop(0)
        return queue[0] if queue else None

    def _dispatch(self) -> None:
        for wc, ready in self.ready.items():
            while ready and self.busy[wc] < self.capacity[wc]:
                floor = self.floor_time[wc]
                if not floor.is_working(self.t):
                    nxt = floor.next_working(self.t)
                    if nxt is not None:
                        self._wake(nxt)
                    break
                choice = self.policy.pick(self, wc, sorted(ready, key=_op_key))
                if choice is None:
                    break
                if isinstance(choice, int):
                    self._wake(choice)
                    break
                self._start(choice, wc)

    def _wake(self, at: int) -> None:
        if at > self.t and at not in self._wakes:
            self._wakes.add(at)
            self._push(at, "wake", None)

    def _start(self, op: Op, wc: str) -> None:
        for center in op.work_centers:
            self.ready[center].discard(op)
        op.state = "running"
        op.work_center = wc
        op.start = self.t
        self.busy[wc] += 1
        self._schedule_end(op)


def _covered(windows: list[tuple[int, int]]) -> int:
    """Minutes covered by the union of ``windows``."""
    total, reached = 0, None
    for start, end in sorted(windows):
        if reached is not None and start < reached:
            start = reached
        if end > start:
            total += end - start
            reached = end if reached is None else max(reached, end)
    return total


def _op_key(op: Op) -> tuple[str, str]:
    return (op.order, op.id)
