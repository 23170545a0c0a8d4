"""Customer portal: only the customer's own orders, honest projection, requests not promises."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from orders.models import Order, Promise
from quoting.models import DateChangeRequest


def test_portal_lists_own_orders_only(client_for: Any) -> None:
    html = client_for("acme").get("/portal/").content.decode()
    assert "SO-1" in html
    assert "SO-2" not in html


def test_order_page_shows_promise_projection_routing_and_history(client_for: Any) -> None:
    order = Order.objects.get(code="SO-1")
    response = client_for("acme").get("/portal/orders/SO-1/")
    html = response.content.decode()
    assert response.status_code == 200
    assert order.promised_due.strftime("%a %d %b %Y") in html
    assert "Projected completion" in html
    for op in order.operations.all():
        assert op.name in html
    assert "Promise history" in html
    assert "On track" in html


def test_another_customers_order_is_404(client_for: Any) -> None:
    assert client_for("acme").get("/portal/orders/SO-2/").status_code == 404
    assert client_for("acme").get("/portal/orders/SO-2/earlier/").status_code in (404, 405)
    response = client_for("acme").post(
        "/portal/orders/SO-2/earlier/", {"requested_due": "2030-01-01T10:00"}
    )
    assert response.status_code == 404
    assert not DateChangeRequest.objects.exists()


def test_earlier_date_request_goes_to_sales_and_keeps_the_promise(client_for: Any) -> None:
    order = Order.objects.get(code="SO-1")
    promises_before = Promise.objects.filter(order=order).count()
    wanted = (order.promised_due - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client_for("acme").post(
        "/portal/orders/SO-1/earlier/", {"requested_due": wanted, "note": "line stop"}
    )
    assert response.status_code == 302
    request = DateChangeRequest.objects.get()
    assert request.order == order
    assert request.note == "line stop"
    order.refresh_from_db()
    assert Promise.objects.filter(order=order).count() == promises_before
    # Sales sees it in its work list.
    assert "line stop" in client_for("sales").get("/quotes/").content.decode()


def test_earlier_date_request_rejects_a_later_date_and_writes_nothing(client_for: Any) -> None:
    order = Order.objects.get(code="SO-1")
    later = (order.promised_due + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client_for("acme").post(
        "/portal/orders/SO-1/earlier/", {"requested_due": later, "note": "keep me"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "not earlier than the date already promised" in html
    assert "keep me" in html
    assert not DateChangeRequest.objects.exists()
    past = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client_for("acme").post("/portal/orders/SO-1/earlier/", {"requested_due": past})
    assert response.status_code == 400
    assert not DateChangeRequest.objects.exists()
