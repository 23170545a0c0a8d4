"""The shop floor's queue: filtered by work center, paginated, and every report redirects back
to the view it came from (post/redirect/get)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from orders.models import Operation
from quoting import views_scheduler as views
from scheduling.boards import board_now
from tests.quoting.conftest import Shop

pytestmark = pytest.mark.django_db


def _listed(html: str) -> list[str]:
    return re.findall(r'<tr data-operation="(\d+)"', html)


def test_filter_by_work_center(shop: Shop, client_for: Any) -> None:
    client = client_for("scheduler")
    everything = _listed(client.get("/shop-floor/").content.decode())
    mill = client.get("/shop-floor/?wc=MILL").content.decode()
    on_mill = {
        str(pk)
        for pk in Operation.objects.filter(work_centers=shop.mill).values_list("pk", flat=True)
    }
    assert set(_listed(mill)) == on_mill and len(everything) > len(on_mill)
    assert '<option value="MILL" selected>' in mill
    # An unknown code shows every work center rather than an empty page.
    assert _listed(client.get("/shop-floor/?wc=NOPE").content.decode()) == everything


def test_pages(shop: Shop, client_for: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(views, "FLOOR_PAGE_SIZE", 2)
    client = client_for("scheduler")
    first = client.get("/shop-floor/").content.decode()
    second = client.get("/shop-floor/?page=2").content.decode()
    assert len(_listed(first)) == 2 and _listed(second)
    assert not set(_listed(first)) & set(_listed(second))
    assert "Page 1 of" in first and "page=2" in first
    assert "Page 2 of" in second


def test_a_report_comes_back_to_the_filtered_page(shop: Shop, client_for: Any) -> None:
    operation = Operation.objects.get(order__code="SO-2", sequence=10)
    at = (board_now() - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    client = client_for("scheduler")
    response = client.post(
        f"/shop-floor/operations/{operation.pk}/start/",
        {
            f"start-{operation.pk}-work_center": "MILL",
            f"start-{operation.pk}-at": at,
            "back": "/shop-floor/?wc=MILL&page=1",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/shop-floor/?wc=MILL&page=1"
    operation.refresh_from_db()
    assert operation.state == Operation.State.RUNNING


@pytest.mark.parametrize(
    "back", ["https://example.com/shop-floor/", "//example.com/x", "/board/", ""]
)
def test_back_never_leaves_the_shop_floor(shop: Shop, client_for: Any, back: str) -> None:
    operation = Operation.objects.get(order__code="SO-2", sequence=10)
    at = (board_now() - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    response = client_for("scheduler").post(
        f"/shop-floor/operations/{operation.pk}/start/",
        {f"start-{operation.pk}-work_center": "MILL", f"start-{operation.pk}-at": at, "back": back},
    )
    assert response.status_code == 302 and response["Location"] == "/shop-floor/"
