"""Server-side render time of the job board page with ~1,000 operations on screen.

Times the selector and the whole page in process on a scratch shop (SQLite, or an empty
PostgreSQL database); method and figures: docs/benchmarks.md, "Job board render time".

Usage: python -m bench.board_render [--operations 1000] [--runs 15] [--database-url URL]
       [--browser]  (also load it in Chromium: response, DOM ready, load, first paint)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _importable(doc: dict[str, Any]) -> dict[str, Any]:
    """The generator leaves done operations without start/work center (board/1 allows it, as
    history); the shop needs both to store a done operation, so give them the day before."""
    now = datetime.fromisoformat(doc["now"].replace("Z", "+00:00"))
    yesterday = (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for order in doc["orders"]:
        for op in order["operations"]:
            if op.get("state") == "done" and "start" not in op:
                op["start"] = yesterday
                op["work_center"] = op["work_centers"][0]
    return doc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operations", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--database-url", default=None, help="an EMPTY database (default: scratch SQLite)"
    )
    parser.add_argument(
        "--browser",
        action="store_true",
        help="also load the page in /usr/bin/chromium and report its navigation/paint timings",
    )
    args = parser.parse_args(argv)

    scratch = tempfile.TemporaryDirectory(prefix="board-render-")
    os.environ["VAR_DIR"] = scratch.name
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from bench.generate import generate_board
    from orders.models import Profile
    from scheduling.engine.boardio import load_board
    from scheduling.models import ScheduledOperation
    from scheduling.selectors import job_board_for
    from scheduling.services.board_import import board_import
    from tests.factories import UserFactory

    setup_test_environment()
    call_command("migrate", verbosity=0, interactive=False)
    doc = _importable(generate_board(operations=args.operations, seed=args.seed))
    started = time.perf_counter()
    board_import(board=load_board(doc), created_by=None, source="bench", repromise_late=True)
    import_seconds = time.perf_counter() - started

    slots = ScheduledOperation.objects.filter(version__is_current=True)
    first = min(s.start for s in slots).astimezone(UTC)
    start = first.strftime("%Y-%m-%d")
    user: Any = UserFactory(username="bench-scheduler", role=Profile.Role.SCHEDULER)
    client = Client()
    client.force_login(user)
    url = f"/board/?window=4weeks&start={start}"

    board = job_board_for(window="4weeks", start=first)
    in_view = board.operation_count
    queries: list[str] = []

    def count(execute: Any, sql: str, *rest: Any) -> Any:
        queries.append(sql)
        return execute(sql, *rest)

    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    page_bytes = len(response.content)
    bars = response.content.count(b'<div class="op ')

    selector: list[float] = []
    page: list[float] = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        job_board_for(window="4weeks", start=first)
        selector.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        client.get(url)
        page.append((time.perf_counter() - t0) * 1000)

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(
        f"Job board render, {slots.count()} scheduled operations imported in "
        f"{import_seconds:.1f} s; {in_view} in the 4-week window ({bars} bars drawn), "
        f"{engine}, {args.runs} runs, {len(queries)} queries per page, "
        f"page {page_bytes / 1024:.0f} KiB"
    )
    print()
    print("| measure | median ms | p95 ms | max ms |")
    print("|---|---:|---:|---:|")
    for name, samples in (
        ("selector `job_board_for`", selector),
        ("page GET /board/ (server)", page),
    ):
        print(
            f"| {name} | {statistics.median(samples):.0f} | {_percentile(samples, 0.95):.0f} "
            f"| {max(samples):.0f} |"
        )
    if args.browser:
        print()
        _browser_timings(user, url, args.runs)
    scratch.cleanup()
    return 0


def _browser_timings(user: Any, path: str, runs: int) -> None:
    """Load the board in Chromium through a live server and report what the browser measured:
    response end (request sent -> last byte), DOM ready, load, and first contentful paint."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop in this thread
    from django.conf import settings
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test import Client
    from django.test.testcases import LiveServerThread
    from playwright.sync_api import sync_playwright

    server = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    base = f"http://127.0.0.1:{server.port}"
    samples: dict[str, list[float]] = {"response": [], "dom ready": [], "load": [], "fcp": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}])
        page = context.new_page()
        for _ in range(runs):
            response = page.goto(base + path, wait_until="load")
            if response is None or response.status != 200:
                raise SystemExit(f"the board answered {response.status if response else None}")
            timing = page.evaluate(
                """() => {
                  const n = performance.getEntriesByType("navigation")[0];
                  const p = performance.getEntriesByName("first-contentful-paint")[0];
                  return {response: n.responseEnd - n.requestStart,
                          dom: n.domContentLoadedEventEnd - n.startTime,
                          load: n.loadEventEnd - n.startTime,
                          fcp: p ? p.startTime : null};
                }"""
            )
            samples["response"].append(timing["response"])
            samples["dom ready"].append(timing["dom"])
            samples["load"].append(timing["load"])
            if timing["fcp"] is not None:
                samples["fcp"].append(timing["fcp"])
        bars = page.locator(".op").count()
        browser.close()
    server.terminate()
    print(f"In Chromium (headless, {runs} loads, {bars} bars in the DOM):")
    print()
    print("| measure | median ms | p95 ms |")
    print("|---|---:|---:|")
    for name, values in samples.items():
        if values:
            print(f"| {name} | {statistics.median(values):.0f} | {_percentile(values, 0.95):.0f} |")


if __name__ == "__main__":
    sys.exit(main())
