"""The staff order list: search, filters, pages and the CSV download; not for customers."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from django.utils import timezone

from orders.models import Order


def test_orders_can_be_searched_filtered_paged_and_downloaded(client_for: Any, shop: Any) -> None:
    due = timezone.now() + timedelta(days=40)
    for n in range(30):
        Order.objects.create(
            code=f"SO-{500 + n}",
            customer=shop.acme,
            product=shop.bracket,
            quantity=1,
            promised_due=due,
            buffer_minutes=60,
            status=Order.Status.DONE,
        )
    client = client_for("sales")
    first = client.get("/orders/").content.decode()
    assert "Page 1 of 2" in first and "32 rows" in first and 'href="/orders/"' in first
    only_globex = client.get(f"/orders/?customer={shop.globex.pk}").content.decode()
    assert "SO-2" in only_globex and "SO-1<" not in only_globex and "1 row" in only_globex
    assert "1 row" in client.get("/orders/?q=SO-529").content.decode()
    assert "30 rows" in client.get("/orders/?status=done").content.decode()
    day = timezone.localdate(due).isoformat()
    window = client.get(f"/orders/?promised_from={day}&promised_to={day}").content.decode()
    assert "30 rows" in window

    response = client.get(f"/orders/?customer={shop.globex.pk}&format=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:2] == ["order", "customer"] and [r[0] for r in rows[1:]] == ["SO-2"]
    assert rows[1][7] == "True"  # on track on the current schedule


def test_customers_use_their_portal_not_the_order_list(client_for: Any) -> None:
    assert client_for("acme").get("/orders/").status_code == 403
    assert client_for("manager").get("/orders/").status_code == 200
    assert client_for("scheduler").get("/orders/").status_code == 200
