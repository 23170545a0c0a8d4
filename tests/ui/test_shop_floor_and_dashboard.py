"""Shop floor forms (bad input writes nothing) and the manager dashboard's figures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from orders.models import Order
from scheduling.models import WorkCenterDowntime
from tests.factories import promise_again


def test_shop_floor_lists_the_next_operations(client_for: Any) -> None:
    html = client_for("scheduler").get("/shop-floor/").content.decode()
    assert "SO-1" in html and "SO-2" in html
    assert "Record downtime" in html


def test_downtime_ending_before_it_starts_is_a_field_error(client_for: Any, shop: Any) -> None:
    now = timezone.now()
    response = client_for("scheduler").post(
        "/shop-floor/downtime/",
        {
            "work_center": "MILL",
            "start": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "end": (now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "reason": "spindle",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "must come back up after it went down" in html
    assert 'value="spindle"' in html
    assert not WorkCenterDowntime.objects.exists()


def test_start_in_the_future_is_refused(client_for: Any, shop: Any) -> None:
    op = Order.objects.get(code="SO-2").operations.get()
    future = (timezone.now() + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    response = client_for("scheduler").post(
        f"/shop-floor/operations/{op.pk}/start/",
        {f"start-{op.pk}-work_center": "MILL", f"start-{op.pk}-at": future},
    )
    assert response.status_code == 400
    assert "cannot start in the future" in response.content.decode()
    op.refresh_from_db()
    assert op.state == "planned"


def test_downtime_is_recorded_through_the_service_and_reported(client_for: Any, shop: Any) -> None:
    now = timezone.now()
    response = client_for("scheduler").post(
        "/shop-floor/downtime/",
        {
            "work_center": "SAW",
            "start": (now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "end": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "reason": "blade change",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert WorkCenterDowntime.objects.get().reason == "blade change"
    assert "Recorded." in response.content.decode()


def test_dashboard_counts_on_time_deliveries(client_for: Any, shop: Any) -> None:
    now = timezone.now()
    one, two = Order.objects.get(code="SO-1"), Order.objects.get(code="SO-2")
    Order.objects.filter(pk=one.pk).update(
        status="done", completed_at=one.promised_due - timedelta(hours=1)
    )
    Order.objects.filter(pk=two.pk).update(
        status="done", completed_at=two.promised_due + timedelta(hours=1)
    )
    # Completed in the past weeks window: move the promises so completion is before now.
    for order in (one, two):
        promise_again(order, now - timedelta(days=3))
    Order.objects.filter(pk=one.pk).update(completed_at=now - timedelta(days=3, hours=1))
    Order.objects.filter(pk=two.pk).update(completed_at=now - timedelta(hours=1))
    html = client_for("manager").get("/dashboard/").content.decode()
    assert 'class="value">50%<' in html  # one on time, one late
    assert "2 orders delivered" in html
    assert html.count("<svg") >= 4


def _late_so1() -> Order:
    """SO-1 as if its promise had been made tighter than the plan (its projection misses it)."""
    from scheduling.boards import current_version
    from scheduling.models import ScheduledOperation

    order = Order.objects.get(code="SO-1")
    last = max(
        s.end
        for s in ScheduledOperation.objects.filter(
            version=current_version(), operation__order=order
        )
    )
    promise_again(order, last - timedelta(hours=1))
    order.refresh_from_db()
    return order


def test_at_risk_order_can_be_re_promised_explicitly(client_for: Any, shop: Any) -> None:
    from orders.models import Promise

    order = _late_so1()
    page = client_for("scheduler").get("/shop-floor/").content.decode()
    assert 'data-order="SO-1"' in page and "Late" in page
    before = Promise.objects.filter(order=order).count()

    bad = client_for("scheduler").post(
        f"/shop-floor/orders/{order.pk}/repromise/",
        {f"repromise-{order.pk}-due": "", f"repromise-{order.pk}-reason": "machine broke"},
    )
    assert bad.status_code == 400
    assert 'value="machine broke"' in bad.content.decode()
    assert Promise.objects.filter(order=order).count() == before

    new_due = order.promised_due + timedelta(days=5)
    done = client_for("scheduler").post(
        f"/shop-floor/orders/{order.pk}/repromise/",
        {
            f"repromise-{order.pk}-due": new_due.strftime("%Y-%m-%dT%H:%M"),
            f"repromise-{order.pk}-reason": "machine broke",
        },
        follow=True,
    )
    assert "re-promised" in done.content.decode()
    order.refresh_from_db()
    assert order.promised_due == new_due.replace(second=0, microsecond=0)
    assert Promise.objects.filter(order=order).count() == before + 1


def test_a_delivery_on_the_promised_day_is_on_time(client_for: Any, shop: Any) -> None:
    from scheduling.selectors_performance import delivered_on_time

    promised = timezone.now().replace(hour=9, minute=0) - timedelta(days=2)
    assert delivered_on_time(promised + timedelta(hours=8), promised)  # same day, later hour
    assert not delivered_on_time(promised + timedelta(days=1), promised)
    one = Order.objects.get(code="SO-1")
    promise_again(one, promised, status="done", completed_at=promised + timedelta(hours=8))
    html = client_for("manager").get("/dashboard/").content.decode()
    assert 'class="value">100%<' in html and "1 order delivered" in html


def test_each_dashboard_table_downloads_as_csv(client_for: Any, shop: Any) -> None:
    import csv
    import io

    client = client_for("manager")
    page = client.get("/dashboard/").content.decode()
    for table, header in [
        ("on-time", "week"),
        ("reliability", "days_vs_first_promise"),
        ("lead-time", "lead_time_days"),
        ("load", "work_center"),
    ]:
        assert f"table={table}" in page
        response = client.get(f"/dashboard/?format=csv&table={table}")
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows[0][0] == header and len(rows) > 1
    load = client.get("/dashboard/?format=csv&table=load").content.decode()
    assert "MILL," in load
    assert client.get("/dashboard/?format=csv&table=nope").status_code == 404
