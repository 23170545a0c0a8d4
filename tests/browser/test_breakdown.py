"""A breakdown in the browser: the scheduler records the mill down on the shop-floor page and
the engine finds no schedule keeping every promise; the shop floor and the job board say the
plan no longer fits reality and name the orders at risk with the projected dates, the board
marks the bars planned on the down mill and finds an order's bars; the customer's portal shows
the order late with the projected date, never "On track".

The engine's answer to the report is fixed (no schedule within the limit, a projection 30 days
later than the plan), so the scenario is the same on every machine."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from orders.templatetags.ui import when
from scheduling.engine.model import Answer
from scheduling.models import ScheduledOperation
from scheduling.services import revalidation
from tests.browser.conftest import signed_in
from tests.quoting.conftest import Shop, shifted_projection

pytestmark = [pytest.mark.browser]

SHIFT = timedelta(days=30)


def test_breakdown_banner_at_risk_orders_and_the_customer_told(
    browser: Any, live_server: Any, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    slots = list(
        ScheduledOperation.objects.filter(version__is_current=True).select_related(
            "operation__order", "work_center"
        )
    )
    projection = shifted_projection(SHIFT)
    last = max(s.end for s in slots if s.operation.order.code == "SO-100") + SHIFT
    monkeypatch.setattr(
        revalidation,
        "board_check",
        lambda board: Answer(
            status="no_solution", projection=projection, message="no time left to search"
        ),
    )
    now = timezone.now().replace(second=0, microsecond=0)
    with signed_in(browser, live_server.url, "scheduler") as page:
        page.goto(f"{live_server.url}/shop-floor/")
        page.select_option("#id_work_center", value="MILL")
        page.fill("#id_start", now.strftime("%Y-%m-%dT%H:%M"))
        page.fill("#id_end", (now + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"))
        page.fill("#id_reason", "Spindle bearing failure")
        page.click("#downtime button[type=submit]")
        banner = page.locator('[data-testid="board-broken"]')
        banner.wait_for()
        assert "The plan no longer fits reality" in banner.inner_text()
        assert "SO-100" in banner.inner_text()
        assert when(last) in banner.inner_text()  # as every page writes an instant
        assert "Orders at risk 0" not in page.inner_text("#at-risk")

        page.goto(f"{live_server.url}/board/")
        page.locator('[data-testid="board-broken"]').wait_for()
        assert page.locator('.op.conflict[data-wc="MILL"]').count() > 0
        assert page.locator(".op.green").count() == 0
        page.fill("#board-search", "SO-101")
        found = page.locator(".op.found")
        assert found.count() > 0
        assert all(
            o == "SO-101" for o in found.evaluate_all("els => els.map(e => e.dataset.order)")
        )
        assert "of 1 order" in page.inner_text("#board-search-count")

    with signed_in(browser, live_server.url, "globex-buyer") as page:
        page.goto(f"{live_server.url}/portal/")
        row = page.locator("tr", has_text="SO-100")
        assert row.locator('[data-outlook="late"]').count() == 1
        assert when(last) in row.inner_text()
        assert "On track" not in page.inner_text("main")
