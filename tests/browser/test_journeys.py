"""One browser journey per role, on the live server with a real Celery worker thread.

Sales quotes a rush order, watches the progress bar, reads the answer and accepts it with the
night shift on the mill; the scheduler sees that proposal on the job board, shown as
before/after, and approves it; the customer sees the new order with its promise and cannot
open another customer's order; a bad quote form shows a field error and writes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from orders.models import Order
from orders.templatetags.ui import when
from quoting import services
from quoting.models import Quote, ReplanProposal
from scheduling.models import CapacityOption
from tests.browser.conftest import WAIT_MS, signed_in
from tests.quoting.conftest import Shop, current_schedule_violations

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The journeys with a solve run three threads with their own database connections (live
# server, Celery worker, the solve's progress monitor). SQLite's in-memory test database is
# shared between connections with table-level locks that fail at once ("database table is
# locked") instead of waiting, so these need PostgreSQL, as CI has (skipped elsewhere, with the
# reason, by tests/conftest.py).
needs_worker = pytest.mark.postgres

# The quote page records every state its status panel passes through, so the test can tell
# that the progress bar was really on screen before the answer replaced it.
RECORD_STATES = """
() => {
  window.__states = [];
  const note = () => {
    const panel = document.getElementById("quote-status");
    if (panel) window.__states.push(panel.dataset.status +
        (panel.querySelector('[role=progressbar]') ? ":bar" : ""));
  };
  note();
  new MutationObserver(note).observe(document.body, {childList: true, subtree: true});
}
"""


def _wait_for(predicate: Callable[[], bool], what: str, timeout: float = WAIT_MS / 1000) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _pending_proposal(shop: Shop, start_worker: Callable[[], Any]) -> ReplanProposal:
    """Through the services (what the sales page does): a rush quote for ACME accepted with the
    night shift on the mill, re-solved with it, waiting for the scheduler."""
    start_worker()
    quote = services.quote_request_create(
        created_by=shop.users["sales"],
        customer_id=shop.acme.pk,
        product_id=shop.cylinder.pk,
        quantity=10,
    )
    _wait_for(lambda: Quote.objects.get(pk=quote.pk).status == Quote.Status.DONE, "the answer")
    outcome = services.quote_accept(
        quote_id=quote.pk, accepted_by=shop.users["sales"], capacity_option_code="MILL-NIGHT"
    )
    assert outcome.proposal is not None
    pk = outcome.proposal.pk
    _wait_for(
        lambda: ReplanProposal.objects.get(pk=pk).status == ReplanProposal.Status.PENDING,
        "the proposal to be re-solved with the option",
    )
    return ReplanProposal.objects.get(pk=pk)


@needs_worker
def test_sales_quotes_watches_progress_and_accepts_with_a_capacity_option(
    browser: Any, live_server: Any, shop: Shop, solver_worker: Callable[[], Any]
) -> None:
    with signed_in(browser, live_server.url, "sales") as page:
        page.goto(f"{live_server.url}/quotes/new/")
        page.select_option("#id_customer", value=str(shop.acme.pk))
        page.select_option("#id_product", value=str(shop.cylinder.pk))
        # Enough mill work (about 20 hours) to run past the day shift, so the night shift
        # buys an earlier date and is offered (an option that buys nothing gets no button).
        page.fill("#id_quantity", "60")
        page.click("#quote-form button[type=submit]")
        page.wait_for_url("**/quotes/*/")
        quote = Quote.objects.get()

        # No worker yet: the request waits in the broker and the page shows its progress bar.
        page.evaluate(RECORD_STATES)
        page.wait_for_selector("[data-testid=progress]")
        assert page.locator("#quote-status").get_attribute("data-status") == "queued"
        solver_worker()

        answer = page.wait_for_selector("[data-testid=answer]")
        states = page.evaluate("window.__states")
        assert states[0] == "queued:bar" and states[-1] == "done", states
        quote.refresh_from_db()
        assert quote.status == Quote.Status.DONE and quote.promise is not None
        text = answer.text_content() or ""
        assert "Promise date" in text
        assert "no schedule can finish before this" in text
        assert ("Proven optimal" in text) or ("Best found" in text)
        assert "Night shift on the mill" in text  # the option, its cost and the date it buys
        assert "900" in text

        page.click("[data-accept-option=MILL-NIGHT]")
        outcome = page.wait_for_selector("[data-testid=outcome]")
        assert "Replan proposal" in outcome.inner_text()
        # A locator wait, not wait_for_function: that evaluates a string in the page, which
        # the Content-Security-Policy (no 'unsafe-eval') refuses.
        page.locator("[data-testid=proposal-status]", has_text="Pending approval").wait_for(
            timeout=WAIT_MS
        )
    proposal = ReplanProposal.objects.get(quote=quote)
    assert proposal.status == ReplanProposal.Status.PENDING
    assert proposal.capacity_option == shop.night_mill
    assert not Order.objects.filter(quote=quote).exists()  # not before approval


@needs_worker
def test_scheduler_sees_the_proposal_on_the_board_and_approves_it(
    browser: Any, live_server: Any, shop: Shop, solver_worker: Callable[[], Any]
) -> None:
    proposal = _pending_proposal(shop, solver_worker)
    with signed_in(browser, live_server.url, "scheduler") as page:
        page.goto(f"{live_server.url}/board/?window=2weeks")
        card = page.locator(f"[data-proposal='{proposal.pk}']")
        assert "Pending approval" in card.inner_text()
        assert "Night shift on the mill" in card.inner_text()
        card.get_by_text("Show on board").click()
        page.wait_for_url(f"**proposal={proposal.pk}*")
        # Before/after: the new order's operations are drawn in the proposal colour.
        assert page.locator(f".op.new[data-order='{proposal.quote.order_code}']").count() >= 1
        page.locator(f"[data-proposal='{proposal.pk}'] button", has_text="Approve").click()
        page.wait_for_selector(".messages li.success")
        assert "Approved" in page.locator(".messages").inner_text()
    proposal.refresh_from_db()
    assert proposal.status == ReplanProposal.Status.APPROVED
    order = Order.objects.get(quote=proposal.quote)
    assert order.promised_due == proposal.promise
    shop.night_mill.refresh_from_db()
    assert shop.night_mill.status == CapacityOption.Status.APPLIED
    assert current_schedule_violations() == []


@needs_worker
def test_customer_sees_the_new_order_with_its_promise_and_only_its_own(
    browser: Any, live_server: Any, shop: Shop, solver_worker: Callable[[], Any]
) -> None:
    proposal = _pending_proposal(shop, solver_worker)
    outcome = services.replan_proposal_approve(
        proposal_id=proposal.pk, approved_by=shop.users["scheduler"]
    )
    assert outcome.order is not None
    order = outcome.order
    with signed_in(browser, live_server.url, "acme-buyer") as page:
        page.goto(f"{live_server.url}/portal/")
        row = page.locator("tr", has_text=order.code)
        assert row.count() == 1
        assert when(order.promised_due) in row.inner_text()
        assert page.locator("tr", has_text="SO-100").count() == 0  # GLOBEX's orders
        row.get_by_role("link", name=order.code).click()
        page.wait_for_url(f"**/portal/orders/{order.code}/")
        assert page.locator("[data-testid=promised]").inner_text() == order.promised_due.strftime(
            "%a %d %b %Y"
        )
        assert "Initial promise" in page.locator("#history").inner_text()

        response = page.goto(f"{live_server.url}/portal/orders/SO-100/")
        assert response is not None and response.status == 404
        assert "SO-100" not in page.content()


def test_bad_quote_input_shows_a_field_error_and_writes_nothing(
    browser: Any, live_server: Any, shop: Shop
) -> None:
    with signed_in(browser, live_server.url, "sales") as page:
        page.goto(f"{live_server.url}/quotes/new/")
        page.select_option("#id_product", value=str(shop.cylinder.pk))
        page.fill("#id_quantity", "0")
        page.click("#quote-form button[type=submit]")
        page.wait_for_selector(".field.has-error")
        assert "This field is required." in page.locator("[data-field=customer]").inner_text()
        assert "greater than or equal to 1" in page.locator("[data-field=quantity]").inner_text()
        assert page.input_value("#id_quantity") == "0"  # what was typed is kept
        assert page.input_value("#id_product") == str(shop.cylinder.pk)
    assert not Quote.objects.exists()
