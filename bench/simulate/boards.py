"""The simulated shop as the engine sees it: a board of the planners' knowledge at this minute.

Done operations are left out (history). A running operation keeps its work center and start;
its minutes are what the board's calendar says it has received plus the planners' estimate of
what is left (the planned minutes not yet worked, at least a tenth of them: an operation past its
planned time is not about to end this minute). Planned operations carry the current plan as the
board's schedule (the baseline "moved" is counted against). A work center in a breakdown has the
repair period closed in its own calendar; capacity bought is extra working time there.

Capacity options on offer roll with time: each of the board's options is offered again every
week (its windows shifted by whole weeks), for windows that start within the next two weeks and
do not overlap capacity already bought on that work center.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bench.simulate.disturbances import WEEK
from bench.simulate.floor import Simulation
from bench.simulate.state import Job
from scheduling.engine.calendars import WorkingTime
from scheduling.engine.model import (
    Board,
    CapacityOption,
    Operation,
    Order,
    Request,
    ScheduledOperation,
    WorkCenter,
)

OPTION_LOOKAHEAD = 2 * WEEK  # how far ahead capacity can be booked


def offered_options(sim: Simulation) -> tuple[CapacityOption, ...]:
    offered = []
    for option in sim.board.capacity_options or ():
        if not option.extra:
            continue
        first = sim.minute(option.extra[0][0])
        for week in range(0, sim.horizon // WEEK + 3):
            shift = week * WEEK
            if not sim.t < first + shift <= sim.t + OPTION_LOOKAHEAD:
                continue
            option_id = f"{option.id}+{week}w"
            if option_id in sim.bought_ids:
                continue
            delta = timedelta(minutes=shift)
            extra = tuple((a + delta, b + delta) for a, b in option.extra)
            # A window already bought cannot be sold again (the weekly copies of a two-Saturday
            # option overlap): such an option is not on offer.
            bought = sim.bought[option.work_center]
            if any(
                sim.minute(a) < end and start < sim.minute(b)
                for a, b in extra
                for start, end in bought
            ):
                continue
            offered.append(replace(option, id=option_id, extra=extra))
    return tuple(offered)


def _running_minutes(
    sim: Simulation, wt: WorkingTime, start: int, op_planned: int, worked: int
) -> int:
    received = wt.work_between(start, sim.t)
    left = max(op_planned - worked, op_planned // 10, 1)
    return received + left


def _order(sim: Simulation, job: Job, times: dict[str, WorkingTime]) -> Order:
    operations = []
    for op in job.ops:
        if op.state == "done":
            continue
        if op.state == "running":
            assert op.work_center is not None and op.start is not None
            minutes = _running_minutes(
                sim, times[op.work_center], op.start, op.planned, sim.worked(op)
            )
            operations.append(
                Operation(
                    op.id,
                    op.work_centers,
                    minutes,
                    state="running",
                    start=sim.at(op.start),
                    work_center=op.work_center,
                )
            )
        else:
            operations.append(Operation(op.id, op.work_centers, op.planned))
    assert job.promise is not None
    return Order(
        id=job.id,
        due=sim.at(job.promise),
        operations=tuple(operations),
        buffer_minutes=job.buffer,
        release=sim.at(job.release) if job.release > sim.t else None,
    )


def board_now(
    sim: Simulation,
    *,
    request: Job | None = None,
    options: tuple[CapacityOption, ...] = (),
    with_plan: bool = True,
) -> Board:
    """The board at the simulation's minute, with ``request`` (a new order) when quoting."""
    calendars = tuple(sim.planning_calendar(wc.id) for wc in sim.board.work_centers)
    times = {
        wc.id: WorkingTime(calendar, sim.epoch, sim._lo, sim.t + 1)
        for wc, calendar in zip(sim.board.work_centers, calendars, strict=True)
    }
    work_centers = tuple(
        WorkCenter(wc.id, wc.capacity, f"wc:{wc.id}") for wc in sim.board.work_centers
    )
    orders = tuple(
        _order(sim, job, times)
        for job in sim.jobs.values()
        if job.delivered is None and job is not request and job.promise is not None
    )
    schedule = []
    if with_plan:
        for job in sim.jobs.values():
            if job.delivered is not None or job is request or job.promise is None:
                continue
            for op in job.ops:
                if op.state == "running":
                    # Its row ends where the engine will end it: an order whose last operation
                    # is running late is then not "made later" by anything (board rule 5).
                    assert op.work_center is not None and op.start is not None
                    wt = times[op.work_center]
                    minutes = _running_minutes(sim, wt, op.start, op.planned, sim.worked(op))
                    end = wt.end_after(op.start, minutes)
                    assert end is not None
                    schedule.append(
                        ScheduledOperation(
                            job.id, op.id, op.work_center, sim.at(op.start), sim.at(max(end, sim.t))
                        )
                    )
                elif op.state == "waiting" and op.plan_wc is not None:
                    assert op.plan_start is not None and op.plan_end is not None
                    schedule.append(
                        ScheduledOperation(
                            job.id, op.id, op.plan_wc, sim.at(op.plan_start), sim.at(op.plan_end)
                        )
                    )
    engine_request = None
    if request is not None:
        assert request.requested is not None
        engine_request = Request(
            id=request.id,
            operations=tuple(Operation(op.id, op.work_centers, op.planned) for op in request.ops),
            requested_due=sim.at(request.requested),
            buffer_minutes=request.buffer,
        )
    return Board(
        now=sim.at(sim.t),
        buffer_minutes=sim.board.buffer_minutes,
        calendars=calendars,
        work_centers=work_centers,
        orders=orders,
        schedule=tuple(schedule) if with_plan else None,
        capacity_options=options or None,
        request=engine_request,
    )


def adopt_plan(
    sim: Simulation, rows: tuple[ScheduledOperation, ...] | list[ScheduledOperation]
) -> None:
    """Make ``rows`` the plan the floor follows (the rows of waiting operations count)."""
    sim.plan_changed()
    for row in rows:
        job = sim.jobs.get(row.order)
        if job is None:
            continue
        op = next((o for o in job.ops if o.id == row.operation), None)
        if op is None or op.state != "waiting":
            continue
        op.plan_wc = row.work_center
        op.plan_start = sim.minute(row.start)
        op.plan_end = sim.minute(row.end)
