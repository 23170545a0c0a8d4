"""What only a browser shows: the quote page changing by itself when the scheduler decides,
the unread count in the navigation, and a phone-width page whose navigation and tables work.

No solve is needed (the proposal is written as the services leave it), so these also run on
SQLite."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from quoting import services
from quoting.models import Quote, ReplanProposal
from scheduling.boards import current_version
from tests.browser.conftest import signed_in
from tests.factories import answer_doc
from tests.quoting.conftest import Shop

pytestmark = [pytest.mark.browser]


def _waiting_proposal(shop: Shop) -> ReplanProposal:
    """A rep's accepted quote whose replan waits for the scheduler."""
    promise = (timezone.now() + timedelta(days=5)).replace(second=0, microsecond=0)
    quote = Quote.objects.create(
        customer=shop.acme,
        product=shop.cylinder,
        quantity=4,
        created_by=shop.users["sales"],
        status=Quote.Status.DONE,
        answer_status="promised",
        promise=promise,
        completion=promise - timedelta(days=1),
        answer=answer_doc(lower_bound=promise - timedelta(days=2)),
        moved_count=3,
        schedule_version=current_version(),
        accepted_at=timezone.now(),
        accepted_by=shop.users["sales"],
    )
    return ReplanProposal.objects.create(
        quote=quote,
        status=ReplanProposal.Status.PENDING,
        created_by=shop.users["sales"],
        schedule_version=current_version(),
        promise=promise,
        moved_count=3,
    )


def test_the_quote_page_shows_the_scheduler_s_decision_and_the_nav_counts_it(
    browser: Any, live_server: Any, shop: Shop
) -> None:
    proposal = _waiting_proposal(shop)
    with signed_in(browser, live_server.url, "sales") as page:
        page.goto(f"{live_server.url}/quotes/{proposal.quote_id}/")
        status = page.get_by_test_id("proposal-status")
        assert status.inner_text() == "Pending approval"
        assert page.get_by_test_id("unread-count").count() == 0

        services.replan_proposal_reject(
            proposal_id=proposal.pk, rejected_by=shop.users["scheduler"], reason="Mill PM day"
        )
        # No reload: the page polls while the proposal waits and swaps in the decision.
        page.get_by_text("Reason: Mill PM day").wait_for()
        assert page.get_by_test_id("proposal-status").inner_text() == "Rejected"

        page.goto(f"{live_server.url}/quotes/")
        assert page.get_by_test_id("unread-count").inner_text() == "1"
        page.get_by_test_id("notifications").click()
        page.wait_for_url("**/notifications/")
        assert page.get_by_text("Mill PM day").is_visible()
        page.get_by_role("button", name="Mark all read").click()
        page.wait_for_url("**/notifications/")
        assert page.get_by_test_id("unread-count").count() == 0


def test_at_phone_width_every_page_link_is_on_screen_and_tables_scroll_in_their_card(
    browser: Any, live_server: Any, shop: Shop
) -> None:
    _waiting_proposal(shop)
    with signed_in(browser, live_server.url, "sales", viewport=(390, 844)) as page:
        page.goto(f"{live_server.url}/quotes/")
        links = page.locator("nav.nav a")
        assert links.count() == 4  # new quote, quotes & requests, re-promises, orders
        for i in range(links.count()):
            box = links.nth(i).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, (
                links.nth(i).inner_text(),
                box,
            )
        assert page.get_by_test_id("notifications").is_visible()
        # The page itself never scrolls sideways; a wide table scrolls inside its card.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        wide = page.evaluate(
            "[...document.querySelectorAll('.table-wrap')]"
            ".some(w => w.scrollWidth > w.clientWidth && getComputedStyle(w).overflowX == 'auto')"
        )
        assert wide
        page.get_by_role("link", name="Orders", exact=True).click()
        page.wait_for_url("**/orders/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
