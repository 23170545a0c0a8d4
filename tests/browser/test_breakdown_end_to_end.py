"""The breakdown of issue 16 as one scenario on the real stack: PostgreSQL, Redis, a real
Celery worker process and Chromium.

MILL-1 goes down for three days. The scheduler reports it on the shop-floor page; every page
says the plan no longer fits reality and names the orders at risk; the customer's portal shows
their order late, never "On track"; the scheduler asks for a repair, which a worker solves with
the real engine (through Redis) while the page shows its progress; the scheduler approves it on
the job board; the sales rep is offered the re-promise (old date, new date) and confirms it.

One thing is fixed, as in tests/quoting/test_repair.py: the shop-floor report's own quick
check finds nothing (what a one-second limit does on a full shop), so the board is left broken
for the repair. Everything after that runs for real."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from orders.models import Order, Promise
from orders.templatetags.ui import promise_time
from quoting.models import RepairProposal, RepromiseProposal
from scheduling.boards import board_now
from scheduling.engine.model import Answer
from scheduling.models import BoardDisruption, ScheduleVersion, WorkCenter
from scheduling.services import revalidation
from tests.browser.conftest import signed_in
from tests.quoting.conftest import Shop, make_shop, seed_orders
from tests.quoting.test_worker import (  # noqa: F401  (fixtures, found by name)
    Worker,
    broker,
    start_worker,
    wait_for,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

# The scenario waits for the worker's repair this long at most (it searches for REPAIR_SECONDS).
REPAIR_SECONDS = 3.0
WORKER_WAIT_MS = 120_000


@pytest.fixture
def broken_shop(flushable_promises: None, live_server: Any, settings: Any) -> Shop:
    """The quoting tests' shop with its mill named MILL-1, and an order per customer on it due
    in two and a half days: three days without the mill break both promises."""
    settings.ENGINE_REPAIR_TIME_LIMIT = REPAIR_SECONDS
    shop = make_shop()
    WorkCenter.objects.filter(pk=shop.mill.pk).update(code="MILL-1")
    due = board_now() + timedelta(days=2, hours=12)
    seed_orders(
        shop,
        [
            ("SO-1", shop.acme, shop.cylinder, 5, due),
            ("SO-2", shop.globex, shop.bracket, 10, due),
        ],
    )
    return shop


def test_mill_down_three_days_banner_portal_repair_and_re_promise(
    browser: Any,
    live_server: Any,
    broken_shop: Shop,
    start_worker: Callable[..., Worker],  # noqa: F811  (the fixture imported above)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    worker = start_worker()
    monkeypatch.setattr(
        revalidation,
        "board_check",
        lambda board: Answer(status="no_solution", message="no time left to search"),
    )
    promised = {o.code: o.promised_due for o in Order.objects.all()}
    now = board_now()
    base = live_server.url

    # 1. The scheduler reports the breakdown: the banner names the orders at risk.
    with signed_in(browser, base, "scheduler") as page:
        page.goto(f"{base}/shop-floor/")
        page.select_option("#id_work_center", value="MILL-1")
        page.fill("#id_start", now.strftime("%Y-%m-%dT%H:%M"))
        page.fill("#id_end", (now + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"))
        page.fill("#id_reason", "Spindle bearing failure")
        page.click("#downtime button[type=submit]")
        banner = page.locator('[data-testid="board-broken"]')
        banner.wait_for()
        text = banner.inner_text()
        assert "The plan no longer fits reality" in text and "Spindle bearing failure" in text
        assert "SO-1" in text and "SO-2" in text
        assert BoardDisruption.objects.filter(closed_at__isnull=True).count() == 1

    # 2. The customer sees the order at risk, not "On track".
    with signed_in(browser, base, "globex-buyer") as page:
        page.goto(f"{base}/portal/")
        row = page.locator("tr", has_text="SO-2")
        outlook = row.locator("[data-outlook]").get_attribute("data-outlook")
        assert outlook in ("late", "at-risk"), outlook
        assert "On track" not in page.inner_text("main")

    # 3. The scheduler asks for a repair; the worker solves it through Redis; approved.
    with signed_in(browser, base, "scheduler") as page:
        page.goto(f"{base}/board/")
        page.get_by_role("button", name="Repair: find the best schedule").click()
        page.locator('[data-testid="repair"]').wait_for()
        found = page.get_by_text("found a schedule")
        found.wait_for(timeout=WORKER_WAIT_MS)  # the page refreshes itself while it searches
        repair = RepairProposal.objects.get()
        assert repair.solve_task_id and repair.status == RepairProposal.Status.PENDING
        late_rows = page.locator('[data-testid="repair"] tbody tr')
        assert {"SO-1", "SO-2"} <= {
            late_rows.nth(i).locator("td").first.inner_text() for i in range(late_rows.count())
        }
        page.get_by_role("button", name="Approve the repair").click()
        page.wait_for_load_state()
        assert page.locator('[data-testid="board-broken"]').count() == 0
        repair.refresh_from_db()
        assert repair.status == RepairProposal.Status.APPROVED
        current = ScheduleVersion.objects.get(is_current=True)
        assert current.kind == ScheduleVersion.Kind.REPAIR
        assert {"SO-1", "SO-2"} <= set(current.at_risk)
    # No promise moved by the repair itself: the rep confirms first.
    assert {o.code: o.promised_due for o in Order.objects.all()} == promised

    # 4. The sales rep is offered the re-promise (old date, new date) and confirms it.
    offer = RepromiseProposal.objects.get(order__code="SO-2")
    assert offer.old_due == promised["SO-2"] and offer.new_due > offer.projected_completion
    with signed_in(browser, base, "sales") as page:
        page.goto(f"{base}/repromises/")
        row = page.locator(f'[data-repromise="{offer.pk}"]')
        assert promise_time(offer.old_due) in row.inner_text()
        assert promise_time(offer.new_due) in row.inner_text()
        row.get_by_role("button", name="Confirm new date").click()
        page.wait_for_load_state()
        assert page.locator(f'[data-repromise="{offer.pk}"]').count() == 0
    offer.refresh_from_db()
    assert offer.status == RepromiseProposal.Status.CONFIRMED
    assert Order.objects.get(code="SO-2").promised_due == offer.new_due
    assert Promise.objects.filter(order__code="SO-2", kind=Promise.Kind.REPROMISE).count() == 1

    # 5. The customer now sees the new promise.
    with signed_in(browser, base, "globex-buyer") as page:
        page.goto(f"{base}/portal/orders/SO-2/")
        assert promise_time(offer.new_due)[:10] in page.inner_text("main")
    assert worker.process.poll() is None, worker.output()
