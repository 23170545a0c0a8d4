"""seed_demo: a realistic, deterministic demo shop whose current schedule keeps every promise."""

from __future__ import annotations

import dataclasses
import io
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client

from orders.models import Customer, Operation, Order, Product, Profile, Promise
from scheduling import engine
from scheduling.boards import board_now, board_snapshot
from scheduling.models import (
    Calendar,
    CalendarException,
    CapacityOption,
    ScheduleVersion,
    WorkCenter,
)
from scheduling.services.demo import demo_shop_seed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_engine_limits(settings: Any) -> None:
    settings.ENGINE_TIME_LIMIT = 2
    settings.ENGINE_WORKERS = 1
    # Checking 24 passwords with the production hasher takes most of a second each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def seeded() -> str:
    out = io.StringIO()
    call_command("seed_demo", "--password", "s3cret", stdout=out)
    return out.getvalue()


def test_seed_demo_builds_a_realistic_shop(seeded: str) -> None:
    assert 10 <= WorkCenter.objects.count() <= 15
    assert 25 <= Product.objects.count() <= 35
    assert Order.objects.exclude(status="done").count() == 150
    assert Order.objects.filter(status="done").count() == 100
    assert Customer.objects.count() == 20
    assert WorkCenter.objects.filter(capacity__gte=2).count() >= 2
    assert Calendar.objects.exclude(timezone="UTC").exists()
    assert Calendar.objects.filter(timezone="UTC").exists()
    assert CalendarException.objects.filter(kind="closed").exists()
    assert 3 <= CapacityOption.objects.filter(status="available").count() <= 4
    for product in Product.objects.all():
        assert 3 <= product.routing.count() <= 8
    assert Product.objects.filter(routing__work_centers__code="LATHE-2").exists()
    assert Operation.objects.filter(state="running").exists()
    assert Operation.objects.filter(state="done").exists()
    assert Order.objects.filter(release__gt=board_now()).count() > 50
    # Orders spread over customers, not all on one.
    assert Customer.objects.filter(orders__isnull=False).distinct().count() >= 15

    # Users: the three staff roles, one customer user per customer, the superuser admin.
    for username, role in (("sales", "sales"), ("scheduler", "scheduler"), ("manager", "manager")):
        user = authenticate(username=username, password="s3cret")
        assert user is not None and user.profile.role == role
    for customer in Customer.objects.all():
        username = f"customer-{customer.code.lower()}"
        user = authenticate(username=username, password="s3cret")
        assert user is not None
        assert user.profile.role == Profile.Role.CUSTOMER and user.profile.customer == customer
        assert username in seeded
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("s3cret")
    assert "customer-acme" in seeded and "s3cret" in seeded


def test_seed_demo_schedule_is_current_verified_and_keeps_every_promise(seeded: str) -> None:
    version = ScheduleVersion.objects.get(is_current=True)
    assert ScheduleVersion.objects.count() == 1 and version.kind == "seed"
    board = board_snapshot(version=version, now=version.planned_at).board
    assert board.schedule and len(board.orders) == 150
    answer = engine.Answer(status="promised", schedule=board.schedule)
    # No baseline: rule 5 then holds every order to due - buffer, nothing excused.
    assert engine.verify(dataclasses.replace(board, schedule=None), answer) == []
    promises = Promise.objects.filter(order__status__in=["open", "in_progress"])
    assert promises.count() == 150
    assert {p.kind for p in promises} == {"initial"}
    assert {p.schedule_version_id for p in Promise.objects.all()} == {version.pk}
    for order in Order.objects.exclude(status="done"):
        assert order.promised_due == order.promises.get().due
    # The Berlin shifts start at 06:00 local time, whatever UTC offset applies.
    starts = [
        row.start.astimezone(ZoneInfo("Europe/Berlin"))
        for row in version.operations.filter(work_center__code="SAW-1")
    ]
    assert starts
    for start in starts:
        assert start.weekday() < 5 and 6 <= start.hour < 14
    assert max(row.end for row in version.operations.all()) < version.planned_at + timedelta(
        days=120
    )
    assert isinstance(version.planned_at, datetime)


def test_seed_demo_is_deterministic_relative_to_now() -> None:
    now = board_now()

    def signature() -> list[tuple[Any, ...]]:
        return [
            (
                o.code,
                o.customer.code,
                o.product.code,
                o.quantity,
                o.release - now if o.release else None,
                o.promised_due - now,
                o.buffer_minutes,
                o.completed_at - now if o.completed_at else None,
                tuple(
                    (seq, minutes, state, start - now if start else None)
                    for seq, minutes, state, start in o.operations.values_list(
                        "sequence", "minutes", "state", "actual_start"
                    )
                ),
                tuple(o.promises.values_list("kind", "due")),
            )
            for o in Order.objects.select_related("customer", "product").order_by("code")
        ]

    class Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            demo_shop_seed(now=now, seed=1)
            first = signature()
            raise Rollback
    except Rollback:
        pass
    assert not Order.objects.exists()
    demo_shop_seed(now=now, seed=1)
    assert signature() == first
    assert len(first) == 250


def test_seed_demo_if_empty_leaves_a_seeded_shop_alone(seeded: str) -> None:
    out = io.StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert "left it as it is" in out.getvalue()
    assert ScheduleVersion.objects.count() == 1 and Order.objects.count() == 250
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("seed_demo", stdout=io.StringIO())
    assert Order.objects.count() == 250


def test_seed_demo_has_delivery_history_for_the_dashboard(seeded: str) -> None:
    """Ten weeks of delivered orders: history that happened (every operation done, where and
    when, before now), mostly on time, a few re-promised; the manager sees charts, not blanks."""
    version = ScheduleVersion.objects.get(is_current=True)
    now = version.planned_at
    delivered = list(Order.objects.filter(status="done").prefetch_related("operations"))
    assert len(delivered) == 100
    on_time = 0
    for order in delivered:
        assert order.completed_at is not None
        assert now - timedelta(weeks=10, days=1) <= order.completed_at <= now
        ops = list(order.operations.all())
        assert ops and all(op.state == "done" for op in ops)
        for op, after in zip(ops, [*ops[1:], None], strict=True):
            assert op.work_center is not None and op.actual_start and op.actual_end
            assert op.work_center in op.work_centers.all()
            assert op.actual_start < op.actual_end <= order.completed_at
            if after is not None:  # the routing's order, as it ran
                assert after.actual_start is not None and op.actual_end <= after.actual_start
        promises = list(order.promises.order_by("created_at", "id"))
        assert order.promised_due == promises[-1].due
        assert promises[0].kind == "imported"
        on_time += order.completed_at <= order.promised_due
    assert 0.85 <= on_time / len(delivered) <= 0.92
    repromised = Order.objects.filter(status="done", promises__kind="repromise").distinct()
    assert 3 <= repromised.count() <= 15
    for order in repromised:
        first, last = order.promises.order_by("created_at", "id")
        assert order.completed_at is not None
        assert first.due < order.completed_at <= last.due  # late vs the first, kept the second
    # Still exactly one current schedule, verified, with no delivered order on it.
    board = board_snapshot(version=version, now=now).board
    assert {o.id for o in board.orders}.isdisjoint(o.code for o in delivered)
    answer = engine.Answer(status="promised", schedule=board.schedule or ())
    assert engine.verify(dataclasses.replace(board, schedule=None), answer) == []

    client = Client()
    client.force_login(get_user_model().objects.get(username="manager"))
    html = client.get("/dashboard/").content.decode()
    assert "No order delivered in the period yet" not in html
    assert "100 orders delivered in the period" in html
    on_time_card = html.split("On-time delivery by week", 1)[1].split("</div>", 2)[1]
    assert on_time_card.count("<circle") >= 8  # a point per week with deliveries
