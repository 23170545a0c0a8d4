"""The breakdown from issue 16 on the demo shop, with the real engine: MILL-1 down for three
days. Whatever the engine answers, no page and no API row may keep showing the stale plan as
the truth: a banner, the orders at risk named with the projected dates the answer gives (or
"unknown"), and no order planned on the broken machine reported on track."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from orders.models import Order, Profile
from scheduling.boards import board_now
from scheduling.models import DisruptedOrder, ScheduledOperation, WorkCenter
from scheduling.selectors import board_health
from scheduling.services.demo import demo_shop_seed
from scheduling.services.shop_floor import work_center_downtime_record

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_engine_limits(settings: Any) -> None:
    settings.ENGINE_TIME_LIMIT = 2
    settings.ENGINE_WORKERS = 1
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _client(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def test_mill_down_for_three_days_never_leaves_a_false_picture() -> None:
    now = board_now()
    demo_shop_seed(now=now, password="demo")
    mill = WorkCenter.objects.get(code="MILL-1")
    end = now + timedelta(days=3)
    on_the_mill = set(
        ScheduledOperation.objects.filter(
            version__is_current=True, work_center=mill, start__lt=end, end__gt=now
        ).values_list("operation__order__code", flat=True)
    )
    assert on_the_mill, "the demo plans work on MILL-1 in the next three days"

    result = work_center_downtime_record(
        work_center_id=mill.pk,
        start=now,
        end=end,
        reason="Spindle bearing failure",
        user=get_user_model().objects.get(username="scheduler"),
    )
    health = board_health()
    # Three days without MILL-1 cannot keep every demo promise (the repair's best leaves about
    # 18 orders late at 1 s): what this test checks is that every page then says so.
    assert result.version is None or result.at_risk, result.message
    # Either the version no longer fits reality (disruption) or the proven least-late
    # projection was committed with the late orders flagged: both say so on every page.
    assert health.broken or (health.version and health.version.at_risk)
    marker = 'data-testid="board-broken"' if health.broken else 'data-testid="version-at-risk"'
    for username, path in [
        ("scheduler", "/board/"),
        ("scheduler", "/shop-floor/"),
        ("manager", "/dashboard/"),
    ]:
        page = _client(username).get(path).content.decode()
        assert marker in page, path
        if health.broken:
            assert "Spindle bearing failure" in page, path

    floor = _client("scheduler").get("/shop-floor/").content.decode()
    assert "Every open order is projected to finish inside its buffer" not in floor
    named = {row.order.code for row in health.at_risk}
    assert named, "the orders at risk are named"
    for code in list(named)[:5]:
        assert code in floor

    api = APIClient()
    api.force_authenticate(get_user_model().objects.get(username="scheduler"))
    rows: dict[str, dict[str, Any]] = {}
    url: str | None = "/api/orders/?limit=500"
    while url:
        page_json = api.get(url).json()
        rows.update({r["code"]: r for r in page_json["results"]})
        url = page_json["next"]
    if health.broken:
        assert health.disruption is not None
        projected = {
            d.order.code: d.projected_completion
            for d in DisruptedOrder.objects.filter(disruption=health.disruption).select_related(
                "order"
            )
        }
        for code in on_the_mill:
            row = rows[code]
            if row["status"] not in ("open", "in_progress"):
                continue
            # The date is the projection's (None when the engine gave none), never the plan's.
            expected = projected.get(code)
            if expected is None:
                assert row["projected_completion"] is None and row["at_risk"] is True, code
            else:
                assert row["projected_completion"].startswith(f"{expected:%Y-%m-%dT%H:%M}")
        # A customer whose order is planned on the broken machine is never told "On track".
        order = Order.objects.filter(code__in=on_the_mill).select_related("customer").first()
        assert order is not None
        buyer = Profile.objects.filter(customer=order.customer).first()
        assert buyer is not None
        portal = _client(buyer.user.username).get(f"/portal/orders/{order.code}/")
        text = portal.content.decode()
        assert 'data-outlook="on-track"' not in text and 'data-outlook="tight"' not in text
