"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

- Chromium is /usr/bin/chromium (never a downloaded browser; the machine has no internet). If
  it is missing the tests are skipped with the reason, except in CI, where that is an error.
- Playwright's sync API runs an event loop in the test thread, which makes Django's
  async-safety check refuse ORM calls made by the test itself; DJANGO_ALLOW_ASYNC_UNSAFE is
  set for the browser session only (the ORM is still used from one thread at a time).
- Journeys that solve need PostgreSQL (marked `postgres`; see test_journeys.py); the rest
  also run on SQLite.
- Quotes are solved by a real Celery worker running in a thread of the test process, on
  kombu's in-memory transport: the same task code and the same enqueue-after-commit path as
  production, but private to this process, so it can never take tasks from a parallel test run
  (pytest-xdist) that shares a Redis broker. A test starts the worker when it wants to: the
  quote page is first seen while the quote is still queued (the progress bar is real).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from kombu import pools as kombu_pools

from config.celery import app as celery_app
from scheduling.boards import board_now
from tests.conftest import services_required
from tests.quoting.conftest import Shop, make_shop, seed_orders

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-gpu",
]
# How long a page may take to show what a test waits for (a solve is ~1 s here).
WAIT_MS = 30_000

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not shutil.which(CHROMIUM):
        if services_required():
            pytest.fail(f"{CHROMIUM} is required in CI (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} not available")
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def _small_engine(settings: Any) -> None:
    settings.ENGINE_TIME_LIMIT = 1.0
    settings.ENGINE_PROPOSAL_TIME_LIMIT = 1.0
    settings.ENGINE_WORKERS = 1
    # Anytime improvement off by default (a quote's answer is final at once); its own
    # tests (tests/quoting/test_improving.py) turn it on.
    settings.QUOTE_MAX_SECONDS = 0
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def shop(flushable_promises: None, live_server: Any) -> Shop:
    """The quoting tests' shop with a busy mill: six bracket orders for GLOBEX fill the mill
    from an hour ahead, due in three weeks, so a rush cylinder for ACME moves them."""
    shop = make_shop()
    due = board_now() + timedelta(days=21)
    seed_orders(shop, [(f"SO-{100 + i}", shop.globex, shop.bracket, 30, due) for i in range(6)])
    return shop


def _reset_broker_pools() -> None:
    """Forget pooled broker connections so the next publish connects to the current URL
    (kombu keeps process-wide pools keyed by connection parameters)."""
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.amqp._producer_pool = None
    kombu_pools.reset()


@pytest.fixture
def solver_worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], Any]]:
    """`start = solver_worker; start()`: point Celery at a private in-memory broker now (tasks
    enqueued from here on wait there) and start a real worker thread on the `solver` queue
    when the test calls `start()`. Stopped and restored at teardown."""
    from celery.contrib.testing.worker import start_worker

    saved = (
        celery_app.conf.broker_url,
        celery_app.conf.broker_transport_options,
        celery_app.conf.task_always_eager,
    )
    # Celery reads CELERY_BROKER_URL from the environment before its configuration (CI sets
    # it), so the private broker must be named there too.
    monkeypatch.setenv("CELERY_BROKER_URL", "memory://")
    celery_app.conf.broker_url = "memory://"
    celery_app.conf.broker_transport_options = {}
    celery_app.conf.task_always_eager = False
    _reset_broker_pools()
    running: list[Any] = []

    def start() -> Any:
        context = start_worker(
            celery_app,
            pool="solo",
            concurrency=1,
            perform_ping_check=False,
            queues=["solver", "default"],
            shutdown_timeout=30.0,
        )
        worker = context.__enter__()
        running.append(context)
        return worker

    try:
        yield start
    finally:
        for context in running:
            context.__exit__(None, None, None)
        (
            celery_app.conf.broker_url,
            celery_app.conf.broker_transport_options,
            celery_app.conf.task_always_eager,
        ) = saved
        _reset_broker_pools()


@contextmanager
def signed_in(
    browser: Any, base_url: str, username: str, *, viewport: tuple[int, int] = (1400, 900)
) -> Iterator[Any]:
    """A fresh browser context (its own cookies) signed in as `username`."""
    width, height = viewport
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        page.goto(f"{base_url}/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", "demo")
        page.click("form.form button[type=submit]")
        page.wait_for_url(lambda url: "/login/" not in url)
        yield page
    finally:
        context.close()
