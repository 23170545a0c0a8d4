"""What happens to the shop, drawn once per replication and shown to every policy alike.

Common random numbers: each kind of disturbance has its own seeded stream (arrivals, the
arrivals' routings and processing times, each work center's breakdowns, the board's own
operations), so the three policies meet exactly the same orders, the same operations running
long and the same machines failing at the same minutes. Everything is drawn before the run;
nothing a policy does can change what comes next.

All times are whole minutes since the board's ``now`` (the simulation's minute 0).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from statistics import median
from zoneinfo import ZoneInfo

from scheduling.engine.calendars import WorkingTime, to_minute
from scheduling.engine.model import Board

WEEK = 7 * 1440

Routing = tuple[tuple[tuple[str, ...], int], ...]  # per operation: (work centers, minutes)


@dataclass(frozen=True)
class DisturbanceParams:
    """The distributions, stated in the report. Defaults are a busy make-to-order shop."""

    load: float = 0.9  # the bottleneck's expected utilisation from the arrivals alone
    burst_probability: float = 0.15  # share of working days on which orders arrive in a burst
    burst_factor: float = 2.5  # a burst day's arrival rate relative to an ordinary day's
    office_hours: tuple[int, int] = (8 * 60, 17 * 60)  # orders arrive then, shop time, Mon-Fri
    # Customers ask for this fraction of the shop's standard lead time (uniform), at least a day.
    requested_fraction: tuple[float, float] = (0.4, 0.9)
    sizes: tuple[float, ...] = (0.5, 0.75, 1.0, 1.0, 1.25, 1.5)  # quantity relative to template
    processing_mean: float = 1.05  # actual / planned minutes: lognormal with this mean
    processing_sigma: float = 0.25
    mtbf_hours: float = 80.0  # working hours between failures, exponential, per work center
    mttr_hours: float = 3.0  # working hours to repair, exponential (at least 15 minutes)


@dataclass(frozen=True)
class Arrival:
    id: str
    at: int
    template: str  # the board order whose routing this order repeats
    routing: Routing  # planned minutes, scaled by the quantity
    factors: tuple[float, ...]  # actual / planned minutes, per operation
    requested_lead: int  # minutes from arrival to the customer's requested date
    buffer_minutes: int


@dataclass(frozen=True)
class Breakdown:
    work_center: str
    start: int
    end: int  # repaired; known to the planners from ``start`` on


@dataclass(frozen=True)
class Disturbances:
    arrivals: tuple[Arrival, ...]
    breakdowns: tuple[Breakdown, ...]
    # actual / planned minutes of the operations already on the board, by (order, operation)
    board_factors: dict[tuple[str, str], float]
    rate_per_week: float
    standard_lead: int  # minutes: the board's median promised lead time


def shop_time_zone(board: Board) -> ZoneInfo:
    """The time zone most work centers' calendars keep (when orders come in)."""
    zones = Counter(board.calendar(wc.calendar).timezone for wc in board.work_centers)
    return ZoneInfo(zones.most_common(1)[0][0])


def templates(board: Board) -> dict[str, tuple[Routing, int]]:
    """The routings of the board's orders (its product mix) with their buffers."""
    found = {}
    for order in board.orders:
        routing = tuple((op.work_centers, op.minutes) for op in order.operations)
        found[order.id] = (routing, board.order_buffer(order))
    return found


def standard_lead(board: Board) -> int:
    """Median of promised date minus release over the board's orders, in minutes."""
    leads = [
        to_minute(o.due, board.now) - max(0, to_minute(o.release, board.now) if o.release else 0)
        for o in board.orders
    ]
    return int(median(leads)) if leads else 14 * 1440


def weekly_capacity(board: Board, weeks: int) -> dict[str, float]:
    """Working minutes per week of every work center (all its units), averaged over the run."""
    horizon = max(weeks, 1) * WEEK
    capacity = {}
    for wc in board.work_centers:
        wt = WorkingTime(board.calendar(wc.calendar), board.now, 0, horizon)
        capacity[wc.id] = wc.capacity * wt.work_between(0, horizon) / max(weeks, 1)
    return capacity


def arrival_rate(board: Board, weeks: int, params: DisturbanceParams) -> float:
    """Orders per week that load the busiest work center to ``params.load``.

    Expected actual minutes per order on each work center (an operation with alternatives split
    evenly between them), times the size and processing means, against its weekly capacity.
    """
    routings = templates(board)
    if not routings:
        raise ValueError("the board has no orders to take routings from")
    per_order: dict[str, float] = {}
    for routing, _ in routings.values():
        for centers, minutes in routing:
            for wc in centers:
                per_order[wc] = per_order.get(wc, 0.0) + minutes / len(centers)
    size = sum(params.sizes) / len(params.sizes)
    capacity = weekly_capacity(board, weeks)
    share = max(
        per_order[wc] / len(routings) * size * params.processing_mean / capacity[wc]
        for wc in per_order
        if capacity[wc] > 0
    )
    return params.load / share


def _lognormal(rng: random.Random, params: DisturbanceParams) -> float:
    sigma = params.processing_sigma
    return rng.lognormvariate(math.log(params.processing_mean) - sigma * sigma / 2, sigma)


def _arrival_times(
    board: Board, weeks: int, rate: float, rng: random.Random, params: DisturbanceParams
) -> list[int]:
    zone = shop_time_zone(board)
    local_start = board.now.astimezone(zone)
    first_day = local_start.replace(hour=0, minute=0, second=0, microsecond=0)
    base = 1 / (1 - params.burst_probability + params.burst_probability * params.burst_factor)
    open_minutes = params.office_hours[1] - params.office_hours[0]
    times: list[int] = []
    for day in range(weeks * 7 + 1):
        midnight = (first_day + timedelta(days=day)).replace(tzinfo=zone)
        if midnight.weekday() >= 5:
            continue
        burst = rng.random() < params.burst_probability
        per_minute = rate / 5 * base * (params.burst_factor if burst else 1.0) / open_minutes
        at = float(params.office_hours[0])
        while True:
            at += rng.expovariate(per_minute)
            if at >= params.office_hours[1]:
                break
            minute = to_minute(midnight + timedelta(minutes=int(at)), board.now)
            if 0 <= minute < weeks * WEEK:
                times.append(minute)
    return times


def _breakdowns(board: Board, weeks: int, seed: str, params: DisturbanceParams) -> list[Breakdown]:
    found = []
    horizon = weeks * WEEK
    for wc in board.work_centers:
        rng = random.Random(f"{seed}:breakdowns:{wc.id}")
        wt = WorkingTime(board.calendar(wc.calendar), board.now, 0, horizon)
        position = 0.0
        while True:
            position += rng.expovariate(1 / (params.mtbf_hours * 60))
            at = wt.end_after(0, int(position))
            start = None if at is None else wt.next_working(at)
            if start is None or start >= horizon:
                break
            repair = max(15, int(rng.expovariate(1 / (params.mttr_hours * 60))))
            end = wt.end_after(start, repair)
            if end is None:
                break
            found.append(Breakdown(wc.id, start, end))
            position = wt.position(end) - wt.position(0)
    return sorted(found, key=lambda b: (b.start, b.work_center))


def draw(
    board: Board,
    *,
    weeks: int,
    seed: int,
    replication: int,
    params: DisturbanceParams | None = None,
) -> Disturbances:
    """One replication's disturbances (deterministic in ``seed`` and ``replication``)."""
    params = params or DisturbanceParams()
    key = f"{seed}:{replication}"
    rate = arrival_rate(board, weeks, params)
    lead = standard_lead(board)
    routings = templates(board)
    names = sorted(routings)
    times = _arrival_times(board, weeks, rate, random.Random(f"{key}:arrivals"), params)
    orders = random.Random(f"{key}:orders")
    arrivals = []
    for number, at in enumerate(times, start=1):
        template = names[orders.randrange(len(names))]
        routing, buffer = routings[template]
        size = orders.choice(params.sizes)
        scaled = tuple((centers, max(1, round(minutes * size))) for centers, minutes in routing)
        factors = tuple(_lognormal(orders, params) for _ in scaled)
        fraction = orders.uniform(*params.requested_fraction)
        arrivals.append(
            Arrival(
                id=f"N-{number:04d}",
                at=at,
                template=template,
                routing=scaled,
                factors=factors,
                requested_lead=max(1440, int(lead * fraction)),
                buffer_minutes=buffer,
            )
        )
    on_board = random.Random(f"{key}:board")
    board_factors = {
        (order.id, op.id): _lognormal(on_board, params)
        for order in sorted(board.orders, key=lambda o: o.id)
        for op in order.operations
    }
    return Disturbances(
        arrivals=tuple(arrivals),
        breakdowns=tuple(_breakdowns(board, weeks, key, params)),
        board_factors=board_factors,
        rate_per_week=rate,
        standard_lead=lead,
    )
