"""Every page, as each role sees it, runs under the Content-Security-Policy without a single
violation: a blocked script or style would break the page silently (nothing in the server log).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from scheduling.boards import board_now
from tests.browser.conftest import signed_in
from tests.quoting.conftest import Shop, seed_orders

pytestmark = pytest.mark.browser

# Recorded from the first script on every page, before the page's own scripts run.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""

PAGES = {
    "sales": ["/quotes/", "/quotes/new/"],
    "scheduler": ["/board/", "/board/?window=day", "/shop-floor/"],
    "manager": ["/dashboard/"],
    "acme-buyer": ["/portal/", "/portal/orders/SO-1/"],
}


def test_no_page_violates_the_content_security_policy(
    browser: Any, live_server: Any, shop: Shop
) -> None:
    seed_orders(shop, [("SO-1", shop.acme, shop.cylinder, 2, board_now() + timedelta(days=9))])
    violations = {}
    for username, paths in PAGES.items():
        with signed_in(browser, live_server.url, username) as page:
            page.context.add_init_script(RECORD_VIOLATIONS)
            for path in paths:
                response = page.goto(f"{live_server.url}{path}")
                assert response is not None and response.status == 200, path
                assert "Content-Security-Policy" in {k.title() for k in response.headers}, path
                page.wait_for_load_state("networkidle")
                found = page.evaluate("window.__cspViolations")
                if found:
                    violations[path] = found
    assert violations == {}
