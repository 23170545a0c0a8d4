"""The demo shop: a hydraulic components maker, built deterministically relative to `now`.

What `demo_shop_seed` writes is in docs/import-export.md ("The demo shop"). Promises are
honest: orders are written with a provisional due date a year out, the engine's check plans
them, and each is promised at its planned completion + buffer + slack through `schedule_commit`.
A delivered order's first promise is recorded as "imported", not "initial", because a promise
row's `created_at` cannot be backdated: the quoted-lead-time chart (initial promises only) then
shows no negative lead times.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from orders.models import Customer, Order, Product, Profile, RoutingStep
from orders.services import order_operations_create
from scheduling.boards import board_check, board_snapshot
from scheduling.instants import minute_floor
from scheduling.models import (
    Calendar,
    CalendarException,
    CapacityOption,
    CapacityOptionWindow,
    ScheduleVersion,
    WorkCenter,
)
from scheduling.services.commit import PromiseSpec, schedule_commit
from scheduling.services.demo_data import (
    CALENDARS,
    CUSTOMERS,
    DELIVERED_COUNT,
    FAMILIES,
    ORDER_COUNT,
    SHOP_TZ,
    STAFF_USERS,
    WORK_CENTERS,
)
from scheduling.services.demo_history import (
    demo_delivered_history_create,
    demo_floor_progress_create,
)

# Engine time for the seed's check: the greedy dispatch answers at once when the provisional
# dates are a year out; the limit only bounds a pathological case.
SEED_CHECK_SECONDS = 3.0
# Provisional due dates: far enough that no order is late in the first schedule.
PROVISIONAL_DAYS = 365


class ShopNotEmpty(Exception):
    """seed_demo writes into an empty shop only."""


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    customer: str | None


@dataclass(frozen=True)
class DemoShopResult:
    version: ScheduleVersion
    work_centers: int
    products: int
    customers: int
    orders: int  # open (on the board)
    delivered: int  # history: done, completed in the past
    logins: list[DemoLogin]
    seconds_solving: float


def _local(day: datetime, clock: str) -> datetime:
    """`clock` (HH:MM) on the local Berlin date of `day`, as UTC."""
    hours, minutes = (int(x) for x in clock.split(":"))
    local_date = day.astimezone(SHOP_TZ).date()
    return datetime.combine(local_date, time(hours, minutes), tzinfo=SHOP_TZ).astimezone(UTC)


def _next_weekday(now: datetime, weekday: int, weeks_ahead: int = 0) -> datetime:
    """The local date (as a midnight-ish anchor) of the next `weekday` after `now`."""
    local = now.astimezone(SHOP_TZ)
    days = (weekday - local.weekday()) % 7 or 7
    return (local + timedelta(days=days + 7 * weeks_ahead)).astimezone(UTC)


def demo_shop_seed(*, now: datetime, seed: int = 1, password: str = "demo") -> DemoShopResult:
    """Build the demo shop (see the module docstring) into an empty shop.

    Writes calendars, a closed period, work centers, capacity options with windows, customers,
    products with routings, orders with operations (a few done / running), users with profiles,
    and the first schedule version (kind "seed") with an "initial" promise per order through
    `schedule_commit`. Enqueues nothing. Raises ShopNotEmpty when a schedule version, order or
    work center exists, and ScheduleRejected if the verifier refuses the schedule.
    """
    rng = random.Random(seed)
    now = minute_floor(now)
    with transaction.atomic():
        if (
            ScheduleVersion.objects.exists()
            or Order.objects.exists()
            or WorkCenter.objects.exists()
        ):
            raise ShopNotEmpty("the shop already has a schedule, orders or work centers")
        taken = sorted(
            get_user_model()
            .objects.filter(username__in=_demo_usernames())
            .values_list("username", flat=True)
        )
        if taken:
            raise ShopNotEmpty(f"demo user name(s) already taken: {', '.join(taken)}")

        # --- calendars, a plant shutdown two weeks out (two local days), work centers ----
        calendars = {
            code: Calendar.objects.create(code=code, name=name, timezone=tz, weekly=weekly)
            for code, (name, tz, weekly) in CALENDARS.items()
        }
        shutdown_start = _local(_next_weekday(now, 3, weeks_ahead=1), "00:00")  # a Thursday
        shutdown = (shutdown_start, _local(shutdown_start + timedelta(days=2, hours=12), "00:00"))
        for code in ("berlin-1shift", "berlin-2shift"):
            CalendarException.objects.create(
                calendar=calendars[code],
                kind=CalendarException.Kind.CLOSED,
                start=shutdown[0],
                end=shutdown[1],
                reason="Plant shutdown (bridge days)",
            )
        closed_by_calendar = {
            "berlin-1shift": [shutdown],
            "berlin-2shift": [shutdown],
            "utc-24x7": [],
        }
        work_centers = {
            code: WorkCenter.objects.create(
                code=code, name=name, capacity=capacity, calendar=calendars[calendar]
            )
            for code, name, capacity, calendar in WORK_CENTERS
        }
        calendar_of = {code: calendar for code, _, _, calendar in WORK_CENTERS}

        _capacity_options(now, work_centers)

        # --- customers and products --------------------------------------------------------
        customers = [
            Customer.objects.create(code=code, name=name, email=f"orders@{code.lower()}.example")
            for code, name, _ in CUSTOMERS
        ]
        buffer_days = {code: days for code, _, days in CUSTOMERS}
        products: list[Product] = []
        for family, (prefix, names, template) in FAMILIES.items():
            for number, name in enumerate(names, start=1):
                products.append(
                    _product(rng, f"{prefix}-{number:03d}", name, family, template, work_centers)
                )

        # --- orders: about a third already released, the rest over the next four weeks ----
        orders: list[Order] = []
        routing = {
            p.pk: list(p.routing.order_by("sequence").prefetch_related("work_centers"))
            for p in products
        }
        for index in range(ORDER_COUNT):
            customer = customers[rng.randrange(len(customers))]
            product = products[rng.randrange(len(products))]
            quantity = rng.choice([1, 2, 4, 5, 8, 10, 12, 16, 20, 25, 40])
            if index < ORDER_COUNT // 3:
                release = None
            else:
                release = _local(now + timedelta(days=rng.randint(1, 28)), "06:00")
            orders.append(
                Order(
                    code=f"SO-{24001 + index}",
                    customer=customer,
                    product=product,
                    quantity=quantity,
                    # Two orders in three carry the customer's PO number (derived from the
                    # index, not drawn: the random stream, and so the demo shop, stay as is).
                    customer_po=f"4500{(index * 7919) % 1_000_000:06d}" if index % 3 else "",
                    release=release,
                    promised_due=(release or now) + timedelta(days=PROVISIONAL_DAYS),
                    buffer_minutes=buffer_days[customer.code] * 1440,
                )
            )
        # In bulk: row-by-row inserts were most of the seed's time.
        orders = Order.objects.bulk_create(orders)
        order_operations_create(orders=orders, routing=routing)

        demo_floor_progress_create(rng, now, orders, work_centers, calendar_of, closed_by_calendar)
        # Its own random stream: the open shop stays exactly what it was without history.
        history = demo_delivered_history_create(
            random.Random(f"history-{seed}"),
            now,
            customers,
            buffer_days,
            products,
            routing,
            work_centers,
            calendar_of,
        )

        # --- the first schedule, then promises from it ----------------------------------------
        board = board_snapshot(version=None, now=now).board
        answer = board_check(board, time_limit=SEED_CHECK_SECONDS, seed=seed)
        if answer.status != "promised":
            raise RuntimeError(
                f"the demo shop has no valid schedule ({answer.status}: {answer.message}); "
                "the seed data is wrong"
            )
        completion: dict[str, datetime] = {}
        for row in answer.schedule:
            completion[row.order] = max(completion.get(row.order, row.end), row.end)
        promises = []
        for order in orders:
            done = completion.get(order.code, now)
            slack = timedelta(hours=rng.choice([4, 8, 12, 24, 36, 48]))
            due = done + timedelta(minutes=order.buffer_minutes) + slack
            due = due.replace(minute=0) + timedelta(hours=1)  # round up to the hour
            promises.append(
                PromiseSpec(
                    order_id=order.pk,
                    due=due,
                    buffer_minutes=order.buffer_minutes,
                    kind="initial",
                    reason="Demo shop: promised at planned completion + buffer + slack",
                )
            )
        # History promises after the open orders', each order's in the order they were made
        # (schedule_commit writes the order's promised_due per spec, so the last one stays).
        promises += [spec for spec in history if spec.kind != "repromise"]
        promises += [spec for spec in history if spec.kind == "repromise"]
        result = schedule_commit(
            expected_version_id=None,
            now=now,
            answer=answer,
            kind=ScheduleVersion.Kind.SEED,
            reason=f"Demo shop (seed {seed})",
            created_by=None,
            promises=promises,
        )

        logins = _users(customers, password)
    return DemoShopResult(
        version=result.version,
        work_centers=len(work_centers),
        products=len(products),
        customers=len(customers),
        orders=len(orders),
        delivered=DELIVERED_COUNT,
        logins=logins,
        seconds_solving=answer.solve_seconds,
    )


def _product(
    rng: random.Random,
    code: str,
    name: str,
    family: str,
    template: list[tuple[str, tuple[str, ...], int, str]],
    work_centers: dict[str, WorkCenter],
) -> Product:
    """A product whose routing is its family's template with some steps left out (3-8 steps)
    and minutes varied by size."""
    size = Decimal(rng.choice(["0.6", "0.8", "1.0", "1.2", "1.5"]))
    steps = list(template)
    # The first and the last two steps always stay; a middle step is dropped now and then.
    keep = [s for i, s in enumerate(steps) if i == 0 or i >= len(steps) - 2 or rng.random() > 0.3]
    while len(keep) < 3:
        keep = steps[:3]
    product = Product.objects.create(
        code=code, name=name, description=f"{family.title()}, {len(keep)}-step routing"
    )
    for index, (step_name, centers, setup, run) in enumerate(keep, start=1):
        step = RoutingStep.objects.create(
            product=product,
            sequence=index * 10,
            name=step_name,
            setup_minutes=setup,
            run_minutes_per_unit=(Decimal(run) * size).quantize(Decimal("0.01")),
        )
        step.work_centers.set([work_centers[c] for c in centers])
    return product


def _capacity_options(now: datetime, work_centers: dict[str, WorkCenter]) -> None:
    """Saturday overtime on the test bench (the bottleneck) and on assembly, a second shift on
    the vertical mill for two weeks, evening overtime on the test bench next week."""
    saturdays = [_next_weekday(now, 5, weeks_ahead=k) for k in (0, 1)]
    next_monday = _next_weekday(now, 0)
    options = [
        (
            "SAT-TEST-1",
            "Saturday overtime, test bench (the bottleneck; 2 Saturdays)",
            CapacityOption.Kind.SATURDAY,
            "TEST-1",
            Decimal("1600.00"),
            [(_local(d, "06:00"), _local(d, "14:00")) for d in saturdays],
        ),
        (
            "SHIFT2-MILL-2",
            "Second shift, vertical mill (two weeks)",
            CapacityOption.Kind.SECOND_SHIFT,
            "MILL-2",
            Decimal("4200.00"),
            [
                (
                    _local(next_monday + timedelta(days=d), "14:00"),
                    _local(next_monday + timedelta(days=d), "22:00"),
                )
                for d in (0, 1, 2, 3, 4, 7, 8, 9, 10, 11)
            ],
        ),
        (
            "SAT-ASSY-1",
            "Saturday shift, assembly",
            CapacityOption.Kind.SATURDAY,
            "ASSY-1",
            Decimal("1500.00"),
            [(_local(saturdays[0], "06:00"), _local(saturdays[0], "14:00"))],
        ),
        (
            "OT-TEST-1",
            "Evening overtime, test bench (next week)",
            CapacityOption.Kind.OVERTIME,
            "TEST-1",
            Decimal("650.00"),
            [
                (
                    _local(next_monday + timedelta(days=d), "14:00"),
                    _local(next_monday + timedelta(days=d), "17:00"),
                )
                for d in range(5)
            ],
        ),
    ]
    for code, name, kind, center, cost, windows in options:
        option = CapacityOption.objects.create(
            code=code, name=name, kind=kind, work_center=work_centers[center], cost=cost
        )
        CapacityOptionWindow.objects.bulk_create(
            [CapacityOptionWindow(option=option, start=a, end=b) for a, b in windows]
        )


def _demo_usernames() -> list[str]:
    """Every demo login except admin (an existing admin is kept as it is)."""
    return [u for u, *_ in STAFF_USERS] + [f"customer-{c.lower()}" for c, *_ in CUSTOMERS]


def _users(customers: list[Customer], password: str) -> list[DemoLogin]:
    """sales, scheduler, manager, one customer user per customer, and the superuser admin."""
    User = get_user_model()
    # One hash for every demo user: PBKDF2 costs most of a second per call, and these accounts
    # share one password anyway.
    hashed = make_password(password)
    logins: list[DemoLogin] = []
    for username, first, last, role in STAFF_USERS:
        user = User.objects.create(
            username=username,
            password=hashed,
            first_name=first,
            last_name=last,
            email=f"{username}@shop.example",
        )
        Profile.objects.create(user=user, role=role)
        logins.append(DemoLogin(username=username, role=role, customer=None))
    for customer in customers:
        username = f"customer-{customer.code.lower()}"
        user = User.objects.create(
            username=username, password=hashed, email=f"buyer@{customer.code.lower()}.example"
        )
        Profile.objects.create(user=user, role=Profile.Role.CUSTOMER, customer=customer)
        logins.append(DemoLogin(username=username, role="customer", customer=customer.code))
    if not User.objects.filter(username="admin").exists():
        admin = User.objects.create(
            username="admin",
            password=hashed,
            email="admin@shop.example",
            is_staff=True,
            is_superuser=True,
        )
        # A manager profile so the role-aware pages have something to show the superuser.
        Profile.objects.create(user=admin, role=Profile.Role.MANAGER)
        logins.append(DemoLogin(username="admin", role="superuser (manager)", customer=None))
    return logins
