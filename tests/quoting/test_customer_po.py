"""The customer's PO reference: entered by the rep on the quote (page or API), carried onto the
order with the date the customer asked for, and shown to the customer in the portal and the
orders API; bad input is a field error and writes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from orders.models import Order
from orders.templatetags.ui import when
from quoting.models import Quote
from scheduling.boards import board_now
from tests.quoting.conftest import Shop, as_user, make_shop

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("flushable_promises", "eager_celery"),
]

PO = "4500012345/ACME-7"


@pytest.fixture
def shop() -> Shop:
    return make_shop()


def _page(shop: Shop, who: str) -> Client:
    client = Client()
    client.force_login(shop.users[who])
    return client


def test_the_po_entered_via_the_api_reaches_the_order_and_the_customer(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    sales = as_user(shop.users["sales"])
    requested = board_now().replace(minute=0) + timedelta(days=12)
    with django_capture_on_commit_callbacks(execute=True):
        created = sales.post(
            "/api/quotes/",
            {
                "customer": shop.acme.pk,
                "product": shop.cylinder.pk,
                "quantity": 5,
                "requested_due": requested.isoformat(),
                "customer_po": f"  {PO} ",
            },
            format="json",
        )
    assert created.status_code == 202, created.content
    quote_id = created.json()["id"]
    assert sales.get(f"/api/quotes/{quote_id}/").json()["customer_po"] == PO
    accepted = sales.post(f"/api/quotes/{quote_id}/accept/", {}, format="json")
    assert accepted.status_code == 201, accepted.content
    order = Order.objects.get(code=accepted.json()["order"]["code"])
    assert order.customer_po == PO and order.requested_due == requested

    buyer = as_user(shop.users["acme"])
    rows = buyer.get("/api/orders/").json()["results"]
    row = next(r for r in rows if r["code"] == order.code)
    assert row["customer_po"] == PO
    assert row["requested_due"].startswith(f"{requested:%Y-%m-%dT%H:%M}")
    assert buyer.get(f"/api/orders/{order.pk}/").json()["customer_po"] == PO

    portal = _page(shop, "acme").get("/portal/").content.decode()
    assert PO in portal and when(requested) in portal
    detail = _page(shop, "acme").get(f"/portal/orders/{order.code}/").content.decode()
    assert f'data-testid="customer-po">{PO}<' in detail
    assert f'data-testid="requested">{when(requested)}<' in detail
    # Another customer sees neither the order nor its reference.
    assert PO not in _page(shop, "globex").get("/portal/").content.decode()
    # Staff find the order by the customer's reference.
    listing = _page(shop, "sales").get("/orders/", {"q": "4500012345"}).content.decode()
    assert order.code in listing


def test_the_rep_enters_the_po_on_the_quote_page(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    sales = _page(shop, "sales")
    form = sales.get("/quotes/new/").content.decode()
    assert 'name="customer_po"' in form
    with django_capture_on_commit_callbacks(execute=True):
        response = sales.post(
            "/quotes/new/",
            {
                "customer": shop.acme.pk,
                "product": shop.cylinder.pk,
                "quantity": 3,
                "customer_po": PO,
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    quote = Quote.objects.get()
    assert quote.customer_po == PO
    assert PO in sales.get(f"/quotes/{quote.pk}/").content.decode()


def test_a_bad_po_is_a_field_error_and_writes_nothing(shop: Shop) -> None:
    too_long = "P" * 65
    api = as_user(shop.users["sales"]).post(
        "/api/quotes/",
        {
            "customer": shop.acme.pk,
            "product": shop.cylinder.pk,
            "quantity": 3,
            "customer_po": too_long,
        },
        format="json",
    )
    assert api.status_code == 400 and "customer_po" in api.json(), api.content
    control = as_user(shop.users["sales"]).post(
        "/api/quotes/",
        {
            "customer": shop.acme.pk,
            "product": shop.cylinder.pk,
            "quantity": 3,
            "customer_po": "a\tb",
        },
        format="json",
    )
    assert control.status_code == 400 and "customer_po" in control.json(), control.content
    page = _page(shop, "sales").post(
        "/quotes/new/",
        {
            "customer": shop.acme.pk,
            "product": shop.cylinder.pk,
            "quantity": 3,
            "customer_po": too_long,
        },
    )
    assert page.status_code == 400
    assert 'data-field="customer_po"' in page.content.decode()
    assert "has-error" in page.content.decode().split('data-field="customer_po"')[0][-60:]
    assert Quote.objects.count() == 0
