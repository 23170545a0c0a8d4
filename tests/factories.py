"""Model factories (factory_boy) shared by the whole test suite.

They build valid rows with realistic defaults; pass keyword arguments to pin what a test is
about. Orders and promises are normally written by scheduling services after the verifier has
passed; `OrderFactory` writes them directly so tests of reads and permissions need no solver.
Use the services in tests of writes.

Call `XFactory.create(...)` rather than `XFactory(...)`: both build the same row, but only
`create` is typed to return the model, so mypy checks what the test does with it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

import factory
from django.contrib.auth import get_user_model
from factory.django import DjangoModelFactory

from orders.models import Customer, Operation, Order, Product, Profile, Promise, RoutingStep
from scheduling.engine.boardio import dump_answer
from scheduling.engine.model import Answer
from scheduling.models import (
    Calendar,
    CalendarException,
    CapacityOption,
    CapacityOptionWindow,
    ScheduledOperation,
    ScheduleVersion,
    WorkCenter,
)

DEMO_PASSWORD = "demo"
# Two shifts, Monday to Friday: the most common pattern in the demo shop.
TWO_SHIFT_WEEKLY: dict[str, list[list[str]]] = {
    **{
        day: [["06:00", "14:00"], ["14:00", "22:00"]] for day in ("mon", "tue", "wed", "thu", "fri")
    },
    "sat": [],
    "sun": [],
}
ONE_SHIFT_WEEKLY: dict[str, list[list[str]]] = {
    **{day: [["07:00", "15:30"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "sat": [],
    "sun": [],
}
# A Monday, so that factory dates fall in working time of the calendars above.
BASE_INSTANT = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)


class CustomerFactory(DjangoModelFactory[Customer]):
    class Meta:
        model = Customer
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"C{n:03d}")
    name = factory.Sequence(lambda n: f"Customer {n} Hydraulics Ltd")
    email = factory.LazyAttribute(lambda c: f"buyer@{c.code.lower()}.example")


class ProfileFactory(DjangoModelFactory[Profile]):
    """A profile; a customer profile gets a new customer unless `given_customer` is set."""

    class Meta:
        model = Profile

    class Params:
        given_customer = None

    user = factory.SubFactory("tests.factories.UserFactory", profile=None)
    role = Profile.Role.SALES
    customer = factory.Maybe(
        factory.LazyAttribute(
            lambda p: p.role == Profile.Role.CUSTOMER and p.given_customer is None
        ),
        yes_declaration=factory.SubFactory(CustomerFactory),
        no_declaration=factory.SelfAttribute("given_customer"),
    )


class UserFactory(DjangoModelFactory[Any]):
    """A user with a profile of `role` (a `Profile.Role` value, default sales). A customer user
    belongs to `customer`, or to a new customer when none is given. Password: `demo`."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    class Params:
        role = Profile.Role.SALES
        customer = None

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(DEMO_PASSWORD)
    profile = factory.RelatedFactory(
        ProfileFactory,
        factory_related_name="user",
        role=factory.SelfAttribute("..role"),
        given_customer=factory.SelfAttribute("..customer"),
    )


class CalendarFactory(DjangoModelFactory[Calendar]):
    """A two-shift weekly calendar (Mon-Fri 06:00-22:00) in UTC."""

    class Meta:
        model = Calendar
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"two-shift-{n}")
    name = "Two shifts, Monday to Friday"
    timezone = "UTC"
    weekly = factory.LazyFunction(
        lambda: {k: [list(w) for w in v] for k, v in TWO_SHIFT_WEEKLY.items()}
    )


class CalendarExceptionFactory(DjangoModelFactory[CalendarException]):
    class Meta:
        model = CalendarException

    calendar = factory.SubFactory(CalendarFactory)
    kind = CalendarException.Kind.CLOSED
    start = BASE_INSTANT + timedelta(days=17)
    end = BASE_INSTANT + timedelta(days=20)
    reason = "Holiday"


class WorkCenterFactory(DjangoModelFactory[WorkCenter]):
    class Meta:
        model = WorkCenter
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"WC-{n:02d}")
    name = factory.LazyAttribute(lambda wc: f"Work center {wc.code}")
    capacity = 1
    calendar = factory.SubFactory(CalendarFactory)


class CapacityOptionFactory(DjangoModelFactory[CapacityOption]):
    class Meta:
        model = CapacityOption
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"OT-{n:02d}")
    name = "Saturday overtime"
    kind = CapacityOption.Kind.SATURDAY
    work_center = factory.SubFactory(WorkCenterFactory)
    cost = Decimal("800.00")
    window = factory.RelatedFactory(
        "tests.factories.CapacityOptionWindowFactory", factory_related_name="option"
    )


class CapacityOptionWindowFactory(DjangoModelFactory[CapacityOptionWindow]):
    class Meta:
        model = CapacityOptionWindow

    option = factory.SubFactory(CapacityOptionFactory, window=None)
    start = BASE_INSTANT + timedelta(days=5)  # the Saturday after BASE_INSTANT
    end = BASE_INSTANT + timedelta(days=5, hours=8)


class ProductFactory(DjangoModelFactory[Product]):
    """A product with a routing of `steps` steps (default 3), each on a new work center unless
    `work_centers` (one per step) is given."""

    class Meta:
        model = Product
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"P-{n:03d}")
    name = factory.Sequence(lambda n: f"Hydraulic cylinder type {n}")
    description = ""

    @factory.post_generation
    def routing(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        product = cast(Product, self)
        if not create or product.routing.exists():
            return
        steps = int(kwargs.get("steps", 3))
        work_centers = kwargs.get("work_centers") or [
            WorkCenterFactory.create() for _ in range(steps)
        ]
        names = ["Saw", "Turn", "Mill", "Drill", "Weld", "Paint", "Assemble", "Test"]
        for index, work_center in enumerate(work_centers):
            step = RoutingStep.objects.create(
                product=product,
                sequence=(index + 1) * 10,
                name=names[index % len(names)],
                setup_minutes=30,
                run_minutes_per_unit=Decimal("6.00"),
            )
            step.work_centers.set([work_center])


class ScheduleVersionFactory(DjangoModelFactory[ScheduleVersion]):
    """A schedule version; the first one made current wins, later ones default to not current."""

    class Meta:
        model = ScheduleVersion

    number = factory.Sequence(lambda n: n + 1)
    is_current = factory.LazyFunction(
        lambda: not ScheduleVersion.objects.filter(is_current=True).exists()
    )
    kind = ScheduleVersion.Kind.SEED
    reason = "Test fixture"
    planned_at = BASE_INSTANT


class OrderFactory(DjangoModelFactory[Order]):
    """An open order with operations copied from its product's routing and an initial promise
    against the current schedule version (one is created if there is none).

    `scheduled=True` also places its operations back to back on the current version."""

    class Meta:
        model = Order
        skip_postgeneration_save = True

    class Params:
        scheduled = factory.Trait(operations__scheduled=True)

    code = factory.Sequence(lambda n: f"SO-{1000 + n}")
    customer = factory.SubFactory(CustomerFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = 10
    release = BASE_INSTANT
    promised_due = BASE_INSTANT + timedelta(days=14)
    buffer_minutes = 1440
    status = Order.Status.OPEN

    @factory.post_generation
    def operations(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if not create:
            return
        order = cast(Order, self)
        version = ScheduleVersion.objects.filter(is_current=True).first()
        if version is None:
            version = ScheduleVersionFactory.create(is_current=True)
        Promise.objects.create(
            order=order,
            due=order.promised_due,
            buffer_minutes=order.buffer_minutes,
            kind=Promise.Kind.INITIAL,
            reason="Test fixture",
            schedule_version=version,
        )
        steps = order.product.routing.order_by("sequence").prefetch_related("work_centers")
        start = order.release or BASE_INSTANT
        for step in steps:
            operation = Operation.objects.create(
                order=order,
                sequence=step.sequence,
                name=step.name,
                minutes=step.minutes_for(order.quantity),
            )
            centers = list(step.work_centers.all())
            operation.work_centers.set(centers)
            if kwargs.get("scheduled"):
                end = start + timedelta(minutes=operation.minutes)
                ScheduledOperation.objects.create(
                    version=version,
                    operation=operation,
                    work_center=centers[0],
                    start=start,
                    end=end,
                )
                start = end


def promise_again(order: Order, due: datetime, **fields: Any) -> None:
    """Give `order` a new promised date as the product does: a Promise row appended, then the
    order's `promised_due` (PostgreSQL refuses, at commit, a date its history does not hold).
    `fields` are other columns of the order to update with it."""
    latest = order.promises.order_by("-id").first()
    assert latest is not None, f"{order.code} has no promise history"
    Promise.objects.create(
        order=order,
        due=due,
        buffer_minutes=latest.buffer_minutes,
        kind=Promise.Kind.REPROMISE,
        reason="Test fixture: promised again",
        schedule_version=latest.schedule_version,
    )
    Order.objects.filter(pk=order.pk).update(promised_due=due, **fields)


def answer_doc(**fields: Any) -> dict[str, Any]:
    """A stored answer/1 document as the engine writes it: an `Answer` with these fields
    (status `promised` unless given; instants in whole minutes)."""
    return dump_answer(Answer(**{"status": "promised", **fields}))
