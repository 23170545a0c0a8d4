"""Fixtures for the quoting workflow: a small shop whose existing orders are committed through
the same verified gate as everything else, eager Celery, and helpers to solve quotes.

Times are relative to the real clock: a quote is solved from `board_now()`. Existing orders are
released an hour ahead so that their planned starts are never in the past while a test runs
(a plan with a planned start in the past is, correctly, repaired by the engine, which would
show up as "moved" operations).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from config.celery import app as celery_app
from orders.models import Customer, Operation, Order, Product, RoutingStep
from scheduling import engine
from scheduling.boards import board_now, board_snapshot, current_version
from scheduling.engine import model as engine_model
from scheduling.models import (
    Calendar,
    CapacityOption,
    CapacityOptionWindow,
    ScheduledOperation,
    ScheduleVersion,
    WorkCenter,
)
from scheduling.services import PromiseSpec, schedule_commit
from tests.factories import UserFactory

EVERY_DAY_TWO_SHIFTS = {
    day: [["06:00", "22:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}
# Tests keep CP-SAT short: the machine is small and shared.
TEST_TIME_LIMIT = 1.0


@dataclasses.dataclass
class Shop:
    saw: WorkCenter
    mill: WorkCenter
    assy: WorkCenter
    cylinder: Product  # SAW 10 -> MILL 20 -> ASSY 30
    bracket: Product  # MILL only
    acme: Customer
    globex: Customer
    night_mill: CapacityOption
    users: dict[str, Any]


@pytest.fixture(autouse=True)
def _small_engine(settings: Any) -> None:
    settings.ENGINE_TIME_LIMIT = TEST_TIME_LIMIT
    settings.ENGINE_PROPOSAL_TIME_LIMIT = TEST_TIME_LIMIT
    settings.ENGINE_WORKERS = 1
    # Anytime improvement off by default (a quote's answer is final at once); its own
    # tests (tests/quoting/test_improving.py) turn it on.
    settings.QUOTE_MAX_SECONDS = 0
    # Six users per shop: the production hasher's deliberate slowness is not under test here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Tasks run in the caller (still after commit, from on_commit), errors propagate."""
    old = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = old


def _step(product: Product, sequence: int, name: str, wc: WorkCenter, setup: int, run: str) -> None:
    step = RoutingStep.objects.create(
        product=product,
        sequence=sequence,
        name=name,
        setup_minutes=setup,
        run_minutes_per_unit=Decimal(run),
    )
    step.work_centers.set([wc])


def make_shop() -> Shop:
    calendar = Calendar.objects.create(
        code="two-shift-7", name="Two shifts every day", weekly=EVERY_DAY_TWO_SHIFTS
    )
    saw = WorkCenter.objects.create(code="SAW", name="Saw", calendar=calendar)
    mill = WorkCenter.objects.create(code="MILL", name="Mill (bottleneck)", calendar=calendar)
    assy = WorkCenter.objects.create(code="ASSY", name="Assembly", capacity=2, calendar=calendar)
    cylinder = Product.objects.create(code="CYL-50", name="Cylinder 50")
    _step(cylinder, 10, "Saw", saw, 15, "3")
    _step(cylinder, 20, "Mill", mill, 30, "20")
    _step(cylinder, 30, "Assemble", assy, 15, "5")
    bracket = Product.objects.create(code="BRK-1", name="Bracket")
    _step(bracket, 10, "Mill", mill, 20, "10")
    night = CapacityOption.objects.create(
        code="MILL-NIGHT",
        name="Night shift on the mill",
        kind=CapacityOption.Kind.SECOND_SHIFT,
        work_center=mill,
        cost=Decimal("900"),
    )
    # The next three nights: 22:00-06:00 is outside the calendar, so this is real extra time.
    midnight = board_now().replace(hour=0, minute=0)
    for day in range(3):
        start = midnight + timedelta(days=day, hours=22)
        CapacityOptionWindow.objects.create(
            option=night, start=start, end=start + timedelta(hours=8)
        )
    acme = Customer.objects.create(code="ACME", name="Acme Hydraulics")
    globex = Customer.objects.create(code="GLOBEX", name="Globex Presses")
    users = {
        "sales": UserFactory(username="sales", role="sales"),
        "sales2": UserFactory(username="sales2", role="sales"),
        "scheduler": UserFactory(username="scheduler", role="scheduler"),
        "manager": UserFactory(username="manager", role="manager"),
        "acme": UserFactory(username="acme-buyer", role="customer", customer=acme),
        "globex": UserFactory(username="globex-buyer", role="customer", customer=globex),
    }
    return Shop(saw, mill, assy, cylinder, bracket, acme, globex, night, users)


def seed_orders(
    shop: Shop,
    specs: list[tuple[str, Customer, Product, int, datetime]],
    *,
    release: datetime | None = None,
) -> ScheduleVersion:
    """Create existing orders (code, customer, product, quantity, due) and commit a schedule
    for them through `schedule_commit` (kind seed), with imported promises."""
    buffer = settings.QUOTE_BUFFER_MINUTES
    release = release or board_now() + timedelta(hours=1)
    created = []
    for code, customer, product, quantity, due in specs:
        order = Order.objects.create(
            code=code,
            customer=customer,
            product=product,
            quantity=quantity,
            release=release,
            promised_due=due,
            buffer_minutes=buffer,
        )
        for step in product.routing.order_by("sequence").prefetch_related("work_centers"):
            op = Operation.objects.create(
                order=order,
                sequence=step.sequence,
                name=step.name,
                minutes=step.minutes_for(quantity),
            )
            op.work_centers.set(step.work_centers.all())
        created.append(order)
    version = current_version()
    snapshot = board_snapshot(now=board_now())
    answer = engine.check(snapshot.board, time_limit=2.0, workers=1)
    assert answer.status == "promised", answer.message
    result = schedule_commit(
        expected_version_id=version.pk if version else None,
        now=snapshot.board.now,
        answer=answer,
        kind=ScheduleVersion.Kind.SEED,
        reason="test seed",
        created_by=None,
        promises=[
            PromiseSpec(
                order_id=o.pk,
                due=o.promised_due,
                buffer_minutes=buffer,
                kind="imported",
                reason="seed",
            )
            for o in created
        ],
    )
    return result.version


def seed_one_order_each(shop: Shop) -> ScheduleVersion:
    """One order per customer, due in ten days (ACME: SO-1 cylinder, GLOBEX: SO-2 bracket)."""
    due = board_now() + timedelta(days=10)
    return seed_orders(
        shop,
        [
            ("SO-1", shop.acme, shop.cylinder, 5, due),
            ("SO-2", shop.globex, shop.bracket, 10, due),
        ],
    )


def shifted_projection(shift: timedelta) -> tuple[engine_model.ScheduledOperation, ...]:
    """The current schedule moved `shift` later, as an engine's least-late projection."""
    return tuple(
        engine_model.ScheduledOperation(
            order=slot.operation.order.code,
            operation=str(slot.operation.sequence),
            work_center=slot.work_center.code,
            start=slot.start + shift,
            end=slot.end + shift,
        )
        for slot in ScheduledOperation.objects.filter(version__is_current=True).select_related(
            "operation__order", "work_center"
        )
    )


def as_user(user: Any) -> APIClient:
    """An API client signed in as `user`."""
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def shop(db: None) -> Shop:
    return make_shop()


@pytest.fixture
def busy_mill(shop: Shop) -> ScheduleVersion:
    """Six bracket orders fill the mill from an hour ahead, due in three weeks: lots of slack,
    so a rush order can go in front of them (moving them) without breaking a promise."""
    due = board_now() + timedelta(days=21)
    specs = [(f"SO-{100 + i}", shop.globex, shop.bracket, 30, due) for i in range(6)]
    return seed_orders(shop, specs)


def import_generated_board(*, operations: int, seed: int = 1, time_limit: float = 3.0) -> None:
    """Fill the (empty) shop with a generated board of about `operations` operations
    (bench.generate), planned from a few minutes ahead so no planned start is in the past while
    the test runs. Its products are IMPORT-nnn, its customer IMPORT."""
    from bench import generate
    from scheduling.services.board_import import board_import

    now = board_now() + timedelta(minutes=5)
    with mock.patch.object(generate, "NOW", now):
        doc = generate.generate_board(operations=operations, seed=seed)
    # Done operations are history the shop tables hold only with where/when they ran; the
    # generator does not say, and they do not matter to a quote.
    for order in doc["orders"]:
        order["operations"] = [op for op in order["operations"] if op.get("state") != "done"]
    doc["orders"] = [order for order in doc["orders"] if order["operations"]]
    board_import(
        board=engine.load_board(doc), created_by=None, time_limit=time_limit, repromise_late=True
    )


def current_schedule_violations(accept_late: tuple[str, ...] = ()) -> list[str]:
    """The verifier on the current schedule, held to every order's protected date (no baseline
    exemption: nothing in these tests is late but `accept_late`), at the instant the version
    was planned from."""
    version = current_version()
    assert version is not None
    snapshot = board_snapshot(version=version, now=version.planned_at)
    board = dataclasses.replace(snapshot.board, schedule=None)
    answer = engine.Answer(status="promised", schedule=snapshot.board.schedule or ())
    return engine.verify(board, answer, accept_late=accept_late)


def committed_version() -> ScheduleVersion:
    version = current_version()
    assert version is not None, "no schedule version is current"
    return version


@pytest.fixture
def verify_current() -> Callable[[], list[str]]:
    return current_schedule_violations
