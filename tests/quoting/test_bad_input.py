"""Bad input to the quoting API is a 4xx naming the field, and writes nothing.

Dates: a requested or re-promised date needs a time zone (DRF would otherwise read it as UTC),
must lie ahead and within PROMISE_HORIZON_DAYS (year 9999 overflowed the solver). List filters:
a value no row can have (a NUL byte, which PostgreSQL refuses in a query) is a 400, not a 500.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from orders.models import Order, Promise
from quoting import services
from quoting.models import DateChangeRequest, Quote
from scheduling.boards import board_now
from scheduling.models import ScheduleVersion
from tests.quoting.conftest import Shop, as_user, seed_orders

pytestmark = pytest.mark.django_db


def _in_days(days: float) -> str:
    return (timezone.now() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


BAD_DUE_DATES = {
    "no time zone": lambda: _in_days(9).removesuffix("Z"),
    "date only": lambda: _in_days(9)[:10],
    "in the past": lambda: _in_days(-1),
    "beyond the horizon": lambda: _in_days(4 * 366),
    "year 9999": lambda: "9999-12-31T23:59:59Z",
}


@pytest.mark.parametrize("bad", BAD_DUE_DATES.values(), ids=BAD_DUE_DATES.keys())
def test_a_quote_for_a_bad_requested_date_is_400_and_writes_nothing(shop: Shop, bad: Any) -> None:
    response = as_user(shop.users["sales"]).post(
        "/api/quotes/",
        {
            "customer": shop.acme.pk,
            "product": shop.cylinder.pk,
            "quantity": 1,
            "requested_due": bad(),
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    assert set(response.json()) == {"requested_due"}
    assert Quote.objects.count() == 0


def test_the_horizon_is_said_in_the_message(shop: Shop, settings: Any) -> None:
    settings.PROMISE_HORIZON_DAYS = 30
    response = as_user(shop.users["sales"]).post(
        "/api/quotes/",
        {
            "customer": shop.acme.pk,
            "product": shop.cylinder.pk,
            "quantity": 1,
            "requested_due": _in_days(31),
        },
        format="json",
    )
    assert response.status_code == 400
    assert "at most 30 days ahead" in str(response.json()["requested_due"])


@pytest.mark.parametrize("bad", BAD_DUE_DATES.values(), ids=BAD_DUE_DATES.keys())
def test_a_repromise_to_a_bad_date_is_400_and_writes_nothing(shop: Shop, bad: Any) -> None:
    due = board_now() + timedelta(days=20)
    seed_orders(shop, [("SO-1", shop.acme, shop.cylinder, 1, due)])
    order = Order.objects.get(code="SO-1")
    versions, promises = ScheduleVersion.objects.count(), Promise.objects.count()
    response = as_user(shop.users["scheduler"]).post(
        f"/api/orders/{order.pk}/repromise/", {"due": bad(), "reason": "asked"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert set(response.json()) == {"due"}
    order.refresh_from_db()
    assert order.promised_due == due
    assert (ScheduleVersion.objects.count(), Promise.objects.count()) == (versions, promises)


def test_a_customer_date_request_beyond_the_horizon_is_refused(shop: Shop) -> None:
    seed_orders(shop, [("SO-1", shop.acme, shop.cylinder, 1, board_now() + timedelta(days=20))])
    order = Order.objects.get(code="SO-1")
    with pytest.raises(ValidationError) as error:
        services.date_change_request_create(
            order_id=order.pk,
            requested_due=timezone.now() + timedelta(days=4 * 366),
            note="",
            requested_by=shop.users["acme"],
        )
    assert "requested_due" in error.value.message_dict
    assert DateChangeRequest.objects.count() == 0


@pytest.mark.parametrize(
    ("who", "url", "parameter"),
    [
        ("sales", "/api/quotes/", "status"),
        ("scheduler", "/api/proposals/", "status"),
        ("scheduler", "/api/orders/", "status"),
        ("scheduler", "/api/orders/", "customer"),
    ],
)
def test_a_nul_byte_in_a_list_filter_is_400_naming_the_parameter(
    shop: Shop, who: str, url: str, parameter: str
) -> None:
    response = as_user(shop.users[who]).get(f"{url}?{parameter}=%00")
    assert response.status_code == 400, response.content
    assert set(response.json()) == {parameter}


def test_list_filters_still_filter(shop: Shop) -> None:
    seed_orders(shop, [("SO-1", shop.acme, shop.cylinder, 1, board_now() + timedelta(days=20))])
    scheduler = as_user(shop.users["scheduler"])
    assert scheduler.get("/api/orders/?status=open&customer=ACME").json()["count"] == 1
    assert scheduler.get("/api/orders/?customer=GLOBEX").json()["count"] == 0
    assert scheduler.get("/api/orders/?status=&customer=").json()["count"] == 1
    assert scheduler.get("/api/quotes/?status=done").json()["count"] == 0
    assert scheduler.get("/api/orders/?status=shipped-yesterday").status_code == 400
