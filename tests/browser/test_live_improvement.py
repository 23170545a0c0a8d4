"""Anytime quotes in the browser: the quote page shows the answer improving live.

The quote is solved by the real Celery worker thread (tests/browser/conftest.py) with the real
engine. Only the *first* answer is made deliberately poor, so that there is something to
improve on every run: it is the naive schedule (the request appended after each machine's
planned work, `engine.append_baseline`, verified) with the engine's own lower bound. The
improvement rounds are the real ones, and each waits for the test's go-ahead, so the page is
seen in each state: the best promise so far with "Still improving" and the lower bound, then
the better promise, "Proven optimal" when it meets the bound, and no more "Still improving".

Accepting while it improves commits the promise on screen, and the improvement, though it finds
a better answer afterwards, stores nothing and stops.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest

from orders.models import Order
from orders.templatetags.ui import promise_time, when
from quoting import services
from quoting.models import Quote
from scheduling import engine
from tests.browser.conftest import WAIT_MS, signed_in
from tests.quoting.conftest import Shop

# A solve runs on three threads with their own connections (live server, worker, monitor):
# PostgreSQL, as the other journeys with a worker (see test_journeys.py).
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.postgres]

# The page records every promise, lower bound, quality and "still improving" it shows.
RECORD_ANSWERS = """
() => {
  window.__seen = [];
  const note = () => {
    const panel = document.getElementById("quote-status");
    const promise = panel && panel.querySelector("[data-testid=promise]");
    if (!promise) return;
    const text = panel.innerText;
    const entry = promise.textContent.trim() + "|" +
      (text.includes("Still improving") ? "improving" : "final") + "|" +
      (text.includes("Proven optimal") ? "proven" : "best found");
    if (window.__seen[window.__seen.length - 1] !== entry) window.__seen.push(entry);
  };
  note();
  new MutationObserver(note).observe(document.body, {childList: true, subtree: true});
}
"""


class Rounds:
    """The engine as the worker calls it: the first answer naive, each improvement round the
    real engine once the test lets it go."""

    def __init__(self) -> None:
        self.go = threading.Event()
        self.improvement_calls = 0
        self.first: engine.Answer | None = None
        self.found: list[engine.Answer] = []
        self.results: list[str] = []
        self.real = engine.quote

    def quote(self, board: Any, **kwargs: Any) -> Any:
        if "warm_start" not in kwargs:  # the first answer (quote_solve)
            real = self.real(board, **kwargs)
            naive = engine.append_baseline(board)
            assert naive.promise is not None and real.promise is not None
            assert naive.promise > real.promise, "the board must leave room to improve"
            self.first = replace(naive, lower_bound=real.lower_bound, proven_optimal=False)
            return self.first
        self.improvement_calls += 1
        assert self.go.wait(WAIT_MS / 1000), "the test never let the improvement go"
        answer = self.real(board, **kwargs)
        self.found.append(answer)
        return answer


@pytest.fixture
def rounds(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Iterator[Rounds]:
    settings.ENGINE_TIME_LIMIT = 1.0
    settings.QUOTE_MAX_SECONDS = 20
    recorder = Rounds()
    monkeypatch.setattr(engine, "quote", recorder.quote)
    real_improve = services.quote_improve

    def improve(**kwargs: Any) -> str:
        result = real_improve(**kwargs)
        recorder.results.append(result)
        return result

    monkeypatch.setattr(services, "quote_improve", improve)
    yield recorder
    recorder.go.set()  # never leave the worker thread waiting


def _open_quote(page: Any, base: str, shop: Shop) -> Quote:
    page.goto(f"{base}/quotes/new/")
    page.select_option("#id_customer", value=str(shop.acme.pk))
    page.select_option("#id_product", value=str(shop.cylinder.pk))
    page.fill("#id_quantity", "10")
    page.click("#quote-form button[type=submit]")
    page.wait_for_url("**/quotes/*/")
    page.evaluate(RECORD_ANSWERS)
    return Quote.objects.get()


def _wait(predicate: Callable[[], bool], what: str) -> None:
    import time

    deadline = time.monotonic() + WAIT_MS / 1000
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_the_quote_page_shows_the_answer_improving_until_proven(
    browser: Any,
    live_server: Any,
    shop: Shop,
    solver_worker: Callable[[], Any],
    rounds: Rounds,
) -> None:
    solver_worker()
    with signed_in(browser, live_server.url, "sales") as page:
        quote = _open_quote(page, live_server.url, shop)
        improving = page.wait_for_selector("[data-testid=improving]")
        assert rounds.first is not None and rounds.first.promise is not None
        first = promise_time(rounds.first.promise)
        bound = when(rounds.first.lower_bound)
        # The best promise so far, the lower bound, not proven, still improving.
        assert page.locator("[data-testid=promise]").inner_text() == first
        assert f"no schedule can finish before {bound}" in improving.inner_text()
        panel = page.locator("#quote-status").inner_text()
        assert "Best found" in panel and "Proven optimal" not in panel

        rounds.go.set()  # a better answer arrives
        page.locator("[data-testid=improving]").wait_for(state="detached", timeout=WAIT_MS)
        quote.refresh_from_db()
        assert not quote.improving and quote.promise is not None
        assert quote.promise < rounds.first.promise
        better = promise_time(quote.promise)
        page.locator("[data-testid=promise]", has_text=better).wait_for(timeout=WAIT_MS)
        seen = page.evaluate("window.__seen")
        assert seen[0] == f"{first}|improving|best found", seen
        # On this small shop the real engine proves the better answer: "proven" is shown
        # when the completion meets the lower bound.
        assert quote.proven_optimal and quote.lower_bound == quote.completion
        assert seen[-1] == f"{better}|final|proven", seen
        assert "Proven optimal" in page.locator("#quote-status").inner_text()
        # Stored in order, never later; the page showed the first and the last.
        promises = [entry["promise"] for entry in quote.improvements]
        assert promises == sorted(promises, reverse=True) and len(promises) >= 2


def test_accepting_while_it_improves_commits_the_promise_shown_and_stops_the_solve(
    browser: Any,
    live_server: Any,
    shop: Shop,
    solver_worker: Callable[[], Any],
    rounds: Rounds,
) -> None:
    solver_worker()
    with signed_in(browser, live_server.url, "sales") as page:
        quote = _open_quote(page, live_server.url, shop)
        page.wait_for_selector("[data-testid=improving]")
        _wait(lambda: rounds.improvement_calls == 1, "the improvement to start")
        shown = page.locator("[data-testid=promise]").inner_text()
        page.click("#accept button[type=submit]")
        outcome = page.wait_for_selector("[data-testid=outcome]")
        assert "Still improving" not in page.locator("#quote-status").inner_text()
        rounds.go.set()  # the improvement round finishes after the accept
        _wait(lambda: bool(rounds.results), "the solve to stop")
        assert "Accepted" in outcome.inner_text()
    assert rounds.results == ["accepted or cancelled"]
    assert rounds.improvement_calls == 1  # no round after the accept
    found = rounds.found[0]
    assert found.promise is not None and rounds.first is not None
    assert rounds.first.promise is not None and found.promise < rounds.first.promise
    quote.refresh_from_db()
    # The better answer found meanwhile was not stored: the promise is the one on screen.
    assert quote.promise == rounds.first.promise and promise_time(quote.promise) == shown
    assert len(quote.improvements) == 1 and not quote.improving
    order = Order.objects.get(quote=quote)  # nothing moved by it: committed at once
    assert order.promised_due == rounds.first.promise
