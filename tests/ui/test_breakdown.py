"""A breakdown never leaves a false picture: when an event makes the current version stop
fitting reality and no schedule keeping every promise is found, every page says so and names
the orders at risk with their projected dates from the engine's projection, never the stale
plan's. The engine's answer is fixed here (its own behaviour is tested in the engine suite)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from orders.models import Order
from orders.templatetags.ui import when
from quoting.models import AuditEvent
from scheduling.boards import board_now
from scheduling.engine.model import Answer
from scheduling.models import (
    BoardDisruption,
    ScheduledOperation,
    ScheduleVersion,
    WorkCenterDowntime,
)
from scheduling.services import revalidation, shop_floor
from scheduling.services.shop_floor import work_center_downtime_record
from tests.quoting.conftest import Shop, shifted_projection

pytestmark = pytest.mark.django_db

SHIFT = timedelta(days=12)  # the projection finishes every order 12 days later than planned


def _answer(monkeypatch: Any, answer: Answer) -> None:
    monkeypatch.setattr(revalidation, "board_check", lambda board: answer)


def _stale_end(code: str) -> datetime:
    return max(
        s.end
        for s in ScheduledOperation.objects.filter(
            version__is_current=True, operation__order__code=code
        )
    )


def _break_the_mill(shop: Shop) -> None:
    now = board_now()
    result = work_center_downtime_record(
        work_center_id=shop.mill.pk,
        start=now,
        end=now + timedelta(days=3),
        reason="Spindle bearing failure",
        user=shop.users["scheduler"],
    )
    assert result.version is None
    assert "no longer fits reality" in result.message


def test_projection_names_the_late_orders_everywhere(
    shop: Shop, client_for: Any, api_client: Any, monkeypatch: Any
) -> None:
    stale = _stale_end("SO-1")
    projected = stale + SHIFT
    _answer(
        monkeypatch,
        Answer(
            status="no_solution",
            projection=shifted_projection(SHIFT),
            message="the best attempt leaves 2 order(s) late: SO-1, SO-2",
        ),
    )
    _break_the_mill(shop)
    shown = when(projected)
    assert BoardDisruption.objects.get().has_projection

    scheduler = client_for("scheduler")
    floor = scheduler.get("/shop-floor/").content.decode()
    assert 'data-testid="board-broken"' in floor
    assert "Spindle bearing failure" in floor
    assert "SO-1" in floor and shown in floor
    assert "Every open order is projected to finish inside its buffer" not in floor

    board = scheduler.get("/board/").content.decode()
    assert 'data-testid="board-broken"' in board
    assert 'class="op red' in board and " conflict" in board  # MILL bars across the down window
    assert 'class="op green' not in board

    dashboard = client_for("manager").get("/dashboard/").content.decode()
    assert 'data-testid="board-broken"' in dashboard and shown in dashboard

    portal = client_for("acme").get("/portal/").content.decode()
    assert 'data-outlook="late"' in portal and "On track" not in portal
    assert shown in portal and when(stale) not in portal
    order = client_for("acme").get("/portal/orders/SO-1/").content.decode()
    assert 'data-outlook="late"' in order and "On track" not in order

    api_client.force_authenticate(shop.users["scheduler"])
    rows = {r["code"]: r for r in api_client.get("/api/orders/").json()["results"]}
    assert rows["SO-1"]["at_risk"] is True
    assert rows["SO-1"]["projected_completion"].startswith(projected.strftime("%Y-%m-%dT%H:%M"))
    assert rows["SO-1"]["on_track"] is False


def test_without_a_projection_the_orders_on_the_down_machine_are_at_risk_date_unknown(
    shop: Shop, client_for: Any, api_client: Any, monkeypatch: Any
) -> None:
    _answer(monkeypatch, Answer(status="no_solution", message="no time left to search"))
    _break_the_mill(shop)

    floor = client_for("scheduler").get("/shop-floor/").content.decode()
    assert 'data-testid="board-broken"' in floor
    assert "the engine gave no projection" in floor and "no time left to search" in floor
    assert "completion unknown" in floor and "SO-1" in floor and "SO-2" in floor

    portal = client_for("acme").get("/portal/").content.decode()
    assert 'data-outlook="at-risk"' in portal and "On track" not in portal
    assert "being re-planned" in portal

    api_client.force_authenticate(shop.users["acme"])
    (row,) = api_client.get("/api/orders/").json()["results"]
    assert row["code"] == "SO-1" and row["at_risk"] is True
    assert row["projected_completion"] is None and row["on_track"] is None
    assert "buffer_minutes" not in row  # the shop's safety is not the customer's business


def test_an_event_that_finds_a_valid_schedule_ends_the_disruption(
    shop: Shop, client_for: Any, monkeypatch: Any
) -> None:
    _answer(monkeypatch, Answer(status="no_solution", message="no time left to search"))
    _break_the_mill(shop)
    monkeypatch.undo()  # the real engine from here on
    downtime = WorkCenterDowntime.objects.get()
    change = shop_floor.work_center_downtime_change(
        downtime_id=downtime.pk,
        end=board_now() + timedelta(hours=1),
        user=shop.users["scheduler"],
    )
    assert change.result.version is not None, change.result.message
    floor = client_for("scheduler").get("/shop-floor/").content.decode()
    assert 'data-testid="board-broken"' not in floor
    assert Order.objects.get(code="SO-1").promised_due  # untouched


def test_the_scheduler_ends_a_downtime_early_from_the_page(shop: Shop, client_for: Any) -> None:
    now = board_now()
    down = WorkCenterDowntime.objects.create(
        work_center=shop.mill, start=now, end=now + timedelta(days=1), reason="Pump"
    )
    scheduler = client_for("scheduler")
    page = scheduler.get("/shop-floor/").content.decode()
    assert f'action="/shop-floor/downtime/{down.pk}/"' in page and "Back up at" in page

    back = (now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = scheduler.post(f"/shop-floor/downtime/{down.pk}/", {f"downtime-{down.pk}-end": back})
    assert response.status_code == 302 and response["Location"] == "/shop-floor/"
    down.refresh_from_db()
    assert f"{down.end:%Y-%m-%dT%H:%M}" == back
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.DOWNTIME_CHANGED)
    assert event.actor == shop.users["scheduler"] and "back up at" in event.reason
    followed = scheduler.get("/shop-floor/").content.decode()
    assert "Every promise still holds" in followed


def test_a_bad_downtime_edit_shows_the_error_and_writes_nothing(
    shop: Shop, client_for: Any
) -> None:
    now = board_now()
    down = WorkCenterDowntime.objects.create(
        work_center=shop.mill, start=now, end=now + timedelta(days=1), reason="Pump"
    )
    before = (ScheduleVersion.objects.count(), AuditEvent.objects.count())
    response = client_for("scheduler").post(
        f"/shop-floor/downtime/{down.pk}/",
        {f"downtime-{down.pk}-end": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 400
    assert "The end must be after the start." in response.content.decode()
    assert (ScheduleVersion.objects.count(), AuditEvent.objects.count()) == before
    down.refresh_from_db()
    assert down.end == now + timedelta(days=1)
    assert client_for("sales").post(f"/shop-floor/downtime/{down.pk}/", {}).status_code == 403


def test_a_verified_version_around_a_downtime_draws_no_conflict(
    shop: Shop, client_for: Any
) -> None:
    now = board_now()
    # A running operation is paused across the downtime by the re-plan: not a conflict.
    running = Order.objects.get(code="SO-2").operations.get()
    shop_floor.operation_start(
        operation_id=running.pk,
        work_center_id=shop.mill.pk,
        at=now - timedelta(minutes=2),
        user=shop.users["scheduler"],
    )
    result = work_center_downtime_record(
        work_center_id=shop.mill.pk,
        start=now,
        end=now + timedelta(hours=6),
        reason="Coolant pump",
        user=shop.users["scheduler"],
    )
    assert result.version is not None, result.message
    slot = ScheduledOperation.objects.get(version=result.version, operation=running)
    assert slot.end > now + timedelta(hours=6)  # it spans the downtime
    board = client_for("scheduler").get("/board/").content.decode()
    assert 'data-testid="board-broken"' not in board and " conflict" not in board


def test_the_customer_api_hides_the_shops_safety_and_versions(shop: Shop, api_client: Any) -> None:
    api_client.force_authenticate(shop.users["acme"])
    (row,) = api_client.get("/api/orders/").json()["results"]
    assert "buffer_minutes" not in row and row["at_risk"] is False
    detail = api_client.get(f"/api/orders/{row['id']}/").json()
    assert "buffer_minutes" not in detail
    assert detail["promises"] and all(
        "buffer_minutes" not in p and "schedule_version" not in p for p in detail["promises"]
    )
    api_client.force_authenticate(shop.users["scheduler"])
    staff = api_client.get(f"/api/orders/{row['id']}/").json()
    assert "buffer_minutes" in staff and "buffer_minutes" in staff["promises"][0]


def test_a_delivered_late_order_is_not_green(shop: Shop, client_for: Any) -> None:
    order = Order.objects.get(code="SO-1")
    Order.objects.filter(pk=order.pk).update(
        status=Order.Status.DONE, completed_at=order.promised_due + timedelta(hours=5)
    )
    portal = client_for("acme").get("/portal/").content.decode()
    assert 'data-outlook="delivered-late"' in portal and "Delivered late" in portal
    page = client_for("acme").get("/portal/orders/SO-1/").content.decode()
    assert 'data-outlook="delivered-late"' in page


def test_the_order_page_shows_the_date_the_customer_asked_for(shop: Shop, client_for: Any) -> None:
    order = Order.objects.get(code="SO-1")
    asked = order.promised_due - timedelta(days=2)
    # The order records the date its quote asked for when the quote commits it
    # (tests/quoting/test_customer_po.py goes through that commit).
    Order.objects.filter(pk=order.pk).update(requested_due=asked)
    page = client_for("acme").get("/portal/orders/SO-1/").content.decode()
    assert f'<span data-testid="requested">{when(asked)}</span>' in page
    # Promise history in the customer's words: no schedule version numbers.
    assert "Schedule v" not in page and "schedule v" not in page
