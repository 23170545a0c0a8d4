"""How times read on every page: the viewer's time zone (stated in the footer), the year when
it is not this one, promises to the hour."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from orders.templatetags.ui import promise_time, when


def test_dates_show_the_year_only_when_it_is_not_this_one() -> None:
    now = timezone.now()
    this_year = now.replace(month=6, day=15, hour=14, minute=5)
    assert when(this_year) == this_year.strftime("%a %d %b 14:05")
    other = this_year.replace(year=now.year + 1)
    assert when(other) == other.strftime(f"%a %d %b {now.year + 1} 14:05")


def test_promises_are_shown_to_the_hour_never_earlier_than_kept() -> None:
    year = timezone.now().year
    assert promise_time(datetime(year, 3, 3, 8, 54, tzinfo=UTC)).endswith("09:00")
    assert promise_time(datetime(year, 3, 3, 9, 0, tzinfo=UTC)).endswith("09:00")
    late = datetime(year, 3, 3, 23, 30, tzinfo=UTC)  # rounds up into the next day
    assert promise_time(late) == datetime(year, 3, 4, tzinfo=UTC).strftime("%a %d %b 00:00")


def test_each_user_reads_times_in_its_own_zone_set_on_a_page(client_for: Any, shop: Any) -> None:
    client = client_for("sales")
    page = client.get("/quotes/").content.decode()
    assert "Times are in UTC." in page  # the shop's, by default

    bad = client.post("/account/time-zone/", {"time_zone": "Mars/Olympus"})
    assert bad.status_code == 400
    response = client.post("/account/time-zone/", {"time_zone": "America/New_York"})
    assert response.status_code == 302 and response["Location"] == "/account/time-zone/"
    shop.users["sales"].profile.refresh_from_db()
    assert shop.users["sales"].profile.time_zone == "America/New_York"

    order = shop.acme.orders.get()
    listing = client.get(f"/orders/?q={order.code}").content.decode()
    assert "Times are in America/New_York." in listing
    with timezone.override(zoneinfo.ZoneInfo("America/New_York")):
        in_new_york = promise_time(order.promised_due)
    assert in_new_york != promise_time(order.promised_due)  # not the UTC reading
    assert in_new_york in listing
    # Another user still reads the shop's zone.
    assert "Times are in UTC." in client_for("scheduler").get("/orders/").content.decode()
