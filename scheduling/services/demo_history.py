"""The demo shop's past, written by the seeder (scheduling/services/demo.py): operations already
done or running on the floor now, and the weeks of delivered orders the manager's dashboard
reads (their promise rows go through the seeder's `schedule_commit`)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from orders.models import Customer, Operation, Order, Product, RoutingStep
from orders.services import operations_create
from scheduling.models import WorkCenter
from scheduling.services.commit import PromiseSpec
from scheduling.services.demo_data import (
    CALENDARS,
    DELIVERED_COUNT,
    DELIVERED_LATE,
    DELIVERED_REPROMISED,
    HISTORY_DAYS,
    ON_THE_FLOOR,
    SHOP_TZ,
)


def _working(calendar: str, instant: datetime, closed: list[tuple[datetime, datetime]]) -> bool:
    """Whether `instant` is working time of one of the demo calendars (for running operations'
    actual starts, which the engine expects in working time)."""
    if any(a <= instant < b for a, b in closed):
        return False
    _, tz, weekly = CALENDARS[calendar]
    local = instant.astimezone(ZoneInfo(tz))
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[local.weekday()]
    clock = local.strftime("%H:%M")
    return any(a <= clock < b for a, b in weekly[day])


def _latest_working_before(
    calendar: str, instant: datetime, closed: list[tuple[datetime, datetime]]
) -> datetime:
    # Quarter-hour steps: starts on the quarter look like real shop-floor bookings.
    t = instant.replace(minute=instant.minute - instant.minute % 15, second=0, microsecond=0)
    for _ in range(4 * 24 * 21):
        if _working(calendar, t, closed):
            return t
        t -= timedelta(minutes=15)
    raise RuntimeError(
        f"calendar {calendar} has no working time in the three weeks before {instant}"
    )


def demo_floor_progress_create(
    rng: random.Random,
    now: datetime,
    orders: list[Order],
    work_centers: dict[str, WorkCenter],
    calendar_of: dict[str, str],
    closed: dict[str, list[tuple[datetime, datetime]]],
) -> None:
    """A few released orders have their first operation done and the second running.

    Running operations started at a working instant before now (at most one per work center
    unit, as on a real floor) and need more time than they have had."""
    busy: dict[str, int] = {}
    placed = 0
    for order in orders:
        if placed >= ON_THE_FLOOR or order.release is not None:
            continue
        ops = list(order.operations.order_by("sequence").prefetch_related("work_centers"))
        if len(ops) < 3 or ops[1].minutes < 120:
            continue
        first_center = sorted(wc.code for wc in ops[0].work_centers.all())[0]
        second_choices = sorted(wc.code for wc in ops[1].work_centers.all())
        second_center = next(
            (c for c in second_choices if busy.get(c, 0) < work_centers[c].capacity), None
        )
        if second_center is None:
            continue
        start = _latest_working_before(
            calendar_of[second_center],
            now - timedelta(minutes=45),
            closed[calendar_of[second_center]],
        )
        done_end = start - timedelta(minutes=rng.choice([30, 60, 90]))
        first = ops[0]
        first.state = Operation.State.DONE
        first.work_center = work_centers[first_center]
        first.actual_start = done_end - timedelta(minutes=first.minutes)
        first.actual_end = done_end
        first.save(update_fields=["state", "work_center", "actual_start", "actual_end"])
        second = ops[1]
        second.state = Operation.State.RUNNING
        second.work_center = work_centers[second_center]
        second.actual_start = start
        second.save(update_fields=["state", "work_center", "actual_start"])
        order.status = Order.Status.IN_PROGRESS
        order.save(update_fields=["status"])
        busy[second_center] = busy.get(second_center, 0) + 1
        placed += 1


def demo_delivered_history_create(
    rng: random.Random,
    now: datetime,
    customers: list[Customer],
    buffer_days: dict[str, int],
    products: list[Product],
    routing: dict[int, list[RoutingStep]],
    work_centers: dict[str, WorkCenter],
    calendar_of: dict[str, str],
) -> list[PromiseSpec]:
    """DELIVERED_COUNT orders completed over the past HISTORY_DAYS, written done with every
    operation done (work center, actual start and end in working time before `now`).

    Returns their promise specs, each order's first promise before its re-promise. Most
    orders were promised with room to spare; DELIVERED_LATE missed their promise by hours to
    days; DELIVERED_REPROMISED slipped past their first promise, were re-promised while in
    work and delivered by the new date."""
    fates = (
        ["late"] * DELIVERED_LATE
        + ["repromised"] * DELIVERED_REPROMISED
        + ["on_time"] * (DELIVERED_COUNT - DELIVERED_LATE - DELIVERED_REPROMISED)
    )
    rng.shuffle(fates)
    # Completions spread evenly over the period's working days, oldest first (order codes grow
    # with the date the order was taken), each at a quarter-hour inside the day shift rather
    # than all at its last minute; none later than an hour before now.
    today = now.astimezone(SHOP_TZ).date()
    days = [
        day
        for day in (today - timedelta(days=back) for back in range(HISTORY_DAYS, -1, -1))
        if day.weekday() < 5  # nothing ships at the weekend
    ]
    completions = []
    for index in range(DELIVERED_COUNT):
        day = days[index * len(days) // DELIVERED_COUNT]
        completed = datetime.combine(day, time(6), tzinfo=SHOP_TZ).astimezone(UTC) + timedelta(
            minutes=15 * rng.randrange(1, 32)
        )
        if completed > now - timedelta(hours=1):
            completed = _latest_working_before("berlin-1shift", now - timedelta(hours=1), [])
        completions.append(completed)
    completions.sort()

    orders: list[Order] = []
    plans: list[tuple[list[tuple[RoutingStep, WorkCenter, datetime, datetime]], str]] = []
    for index, (completed, fate) in enumerate(zip(completions, fates, strict=True)):
        customer = customers[rng.randrange(len(customers))]
        product = products[rng.randrange(len(products))]
        quantity = rng.choice([1, 2, 4, 5, 8, 10, 12, 16, 20, 25])
        # Backwards from the completion: each operation ends in its work center's working
        # time, a queue of half an hour to a day before the next one starts.
        ran: list[tuple[RoutingStep, WorkCenter, datetime, datetime]] = []
        end = completed
        for step_row in reversed(routing[product.pk]):
            center = rng.choice(sorted(wc.code for wc in step_row.work_centers.all()))
            end = _latest_working_before(calendar_of[center], end, [])
            start = end - timedelta(
                minutes=round(step_row.minutes_for(quantity) * rng.uniform(0.9, 1.2))
            )
            ran.append((step_row, work_centers[center], start, end))
            end = start - timedelta(minutes=rng.choice([30, 60, 120, 240, 480, 1440]))
        ran.reverse()
        release = ran[0][2].replace(minute=0) - timedelta(hours=rng.choice([2, 6, 24]))
        buffer = buffer_days[customer.code] * 1440
        orders.append(
            Order(
                code=f"SO-{24001 - DELIVERED_COUNT + index}",
                customer=customer,
                product=product,
                quantity=quantity,
                release=release,
                # Provisional: schedule_commit writes the promise rows and the final date.
                promised_due=completed,
                buffer_minutes=buffer,
                status=Order.Status.DONE,
                completed_at=completed,
            )
        )
        plans.append((ran, fate))
    orders = Order.objects.bulk_create(orders)
    operations_create(
        operations=[
            (
                Operation(
                    order=order,
                    sequence=step_row.sequence,
                    name=step_row.name,
                    minutes=step_row.minutes_for(order.quantity),
                    state=Operation.State.DONE,
                    work_center=center,
                    actual_start=start,
                    actual_end=end,
                ),
                [allowed.pk for allowed in step_row.work_centers.all()],
            )
            for order, (ran, _) in zip(orders, plans, strict=True)
            for step_row, center, start, end in ran
        ]
    )

    specs: list[PromiseSpec] = []
    for order, (ran, fate) in zip(orders, plans, strict=True):
        assert order.completed_at is not None
        completed = order.completed_at
        quoted = order.release or ran[0][2]
        hours = timedelta(hours=1)
        if fate == "on_time":
            first_due = completed + hours * rng.choice([2, 6, 12, 24, 36, 48, 72, 96])
        elif fate == "late":
            first_due = completed - hours * rng.choice([2, 4, 8, 20, 30, 50, 76])
        else:
            first_due = completed - hours * rng.choice([20, 30, 50, 76, 100])
        first_due = first_due.replace(minute=0)
        specs.append(
            PromiseSpec(
                order_id=order.pk,
                due=first_due,
                buffer_minutes=order.buffer_minutes,
                kind="imported",
                reason=f"Demo history: quoted {quoted:%Y-%m-%d %H:%M} UTC when the order was taken",
            )
        )
        if fate == "repromised":
            # Re-promised half-way through its operations, when the slip showed.
            made = ran[len(ran) // 2][2]
            new_due = (completed + hours * rng.choice([2, 8, 24])).replace(minute=0)
            specs.append(
                PromiseSpec(
                    order_id=order.pk,
                    due=new_due,
                    buffer_minutes=order.buffer_minutes,
                    kind="repromise",
                    reason=f"Demo history: re-promised {made:%Y-%m-%d %H:%M} UTC after "
                    "a machine breakdown",
                )
            )
    return specs
