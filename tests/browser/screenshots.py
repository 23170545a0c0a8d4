"""Screenshots of every page with the demo shop: `python -m tests.browser.screenshots`.

Builds the demo shop (`seed_demo`) in a scratch SQLite database in a temporary directory (your
own database is not touched), serves it on a live server thread, answers quotes with a real
Celery worker thread on a private in-memory broker, and drives Debian's Chromium through the
pages of each role, writing PNGs to docs/screenshots/ (or --out). Takes about a minute.

What it does, in order: sales fills a rush quote (form), sees the progress bar (queued, before
the worker starts), the answer, accepts with a capacity option (a replan proposal), and the
quote history; a bad quote form (field errors); the scheduler's job board (week, day, and the
proposal shown as before/after) and shop floor; a breakdown on the bottleneck (the board
no longer fits reality: banner, a customer's order at risk, a repair proposal approved, the
reps' re-promise list); a customer's portal and order page; the manager's dashboard; the
sign-in page.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-gpu",
]
VIEWPORT: Any = {"width": 1440, "height": 900}  # playwright ViewportSize


def _wait(predicate: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Screenshots of every page (demo shop).")
    parser.add_argument("--out", default="docs/screenshots", help="directory for the PNGs")
    args = parser.parse_args(argv)
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)

    scratch = tempfile.TemporaryDirectory(prefix="screenshots-")
    os.environ["VAR_DIR"] = scratch.name  # scratch SQLite + broker folders, removed at the end
    os.environ.pop("DATABASE_URL", None)
    os.environ["CELERY_BROKER_URL"] = "memory://"  # private to this process
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("ENGINE_REPAIR_TIME_LIMIT", "20")  # the repair runs while we wait
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Playwright's sync API keeps an event loop in this thread; the ORM calls made here are
    # plain synchronous ones from one thread.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    import django

    django.setup()
    from celery.contrib.testing.worker import start_worker
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.management import call_command
    from django.test.testcases import LiveServerThread
    from django.utils import timezone
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    from config.celery import app as celery_app
    from orders.models import Order
    from quoting.models import Quote, ReplanProposal
    from scheduling.models import CapacityOption
    from scheduling.selectors import orders_at_risk

    print("seeding the demo shop…", flush=True)
    call_command("migrate", verbosity=0, interactive=False)
    call_command("seed_demo", verbosity=0)

    server = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    base = f"http://127.0.0.1:{server.port}"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        @contextmanager
        def as_user(username: str | None) -> Iterator[Any]:
            context = browser.new_context(viewport=VIEWPORT)
            page = context.new_page()
            page.set_default_timeout(60_000)
            if username:
                page.goto(f"{base}/login/")
                page.fill("#id_username", username)
                page.fill("#id_password", "demo")
                page.click("form.form button[type=submit]")
                page.wait_for_url(lambda url: "/login/" not in url)
            try:
                yield page
            finally:
                context.close()

        def shot(page: Any, name: str, *, full: bool = True) -> None:
            path = out / f"{name}.png"
            page.screenshot(path=str(path), full_page=full)
            print(f"  {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")

        with as_user(None) as page:
            page.goto(f"{base}/login/")
            shot(page, "01-login", full=False)

        # A customer asks for an earlier date (a request for sales, not a promise).
        customer = Order.objects.order_by("customer__code").values_list(
            "customer__code", flat=True
        )[0]
        first = Order.objects.filter(customer__code=customer).order_by("promised_due").last()
        assert first is not None
        with as_user(f"customer-{customer.lower()}") as page:
            page.goto(f"{base}/portal/orders/{first.code}/")
            wanted = first.promised_due - timedelta(days=3)
            page.fill("#id_requested_due", wanted.strftime("%Y-%m-%dT%H:%M"))
            page.fill("#id_note", "Our line starts earlier than planned.")
            page.click("#earlier button[type=submit]")
            page.wait_for_selector(".messages li.success")

        worker_context = None
        with as_user("sales") as page:
            option = CapacityOption.objects.filter(status="available").order_by("cost").first()
            page.goto(f"{base}/quotes/new/")
            page.select_option("#id_customer", index=1)
            page.select_option("#id_product", index=4)
            page.fill("#id_quantity", "25")
            page.fill("#id_requested_due", _days_ahead(6))
            page.fill("#id_customer_po", "4500098765")
            shot(page, "02-sales-new-quote")
            page.click("#quote-form button[type=submit]")
            page.wait_for_selector("[data-testid=progress]")
            shot(page, "03-sales-quote-progress", full=False)
            worker_context = start_worker(
                celery_app,
                pool="solo",
                concurrency=1,
                perform_ping_check=False,
                queues=["solver", "default"],
                shutdown_timeout=60.0,
            )
            worker_context.__enter__()
            # The solve reports progress and its best date so far; capture it if it shows before
            # the answer (a quick solve may skip straight to the answer).
            page.wait_for_selector(
                "[data-testid=best-so-far], [data-testid=answer]", timeout=120_000
            )
            if page.query_selector("[data-testid=best-so-far]"):
                shot(page, "03b-sales-quote-solving", full=False)
            page.wait_for_selector("[data-testid=answer]", timeout=120_000)
            shot(page, "04-sales-quote-answer")
            # The solve goes on improving the answer (an earlier date, or for a kept requested
            # date a plan moving fewer operations) until it stalls or reaches its cap.
            if page.query_selector("[data-testid=improving]"):
                page.locator("[data-testid=improving]").wait_for(state="detached", timeout=90_000)
                shot(page, "04b-sales-quote-improved")
            quote = Quote.objects.order_by("-id").first()
            assert quote is not None
            offered = [o["id"] for o in quote.options if o.get("completion")]
            code = option.code if option and option.code in offered else (offered or [None])[0]
            # (An option that buys nothing at the hour promises are shown to has no button.)
            if code and page.query_selector(f"[data-accept-option='{code}']"):
                page.click(f"[data-accept-option='{code}']")
            else:
                page.click("[data-accept-option='']")
            page.wait_for_selector("[data-testid=outcome]")
            _wait(
                lambda: not ReplanProposal.objects.filter(status="resolving").exists(),
                "the proposal's re-solve",
                timeout=120,
            )
            page.goto(f"{base}/quotes/")
            shot(page, "05-sales-quote-history")
            page.goto(f"{base}/quotes/new/")
            page.select_option("#id_product", index=2)
            page.fill("#id_quantity", "0")
            page.click("#quote-form button[type=submit]")
            page.wait_for_selector(".field.has-error")
            shot(page, "06-sales-form-errors", full=False)

        with as_user("scheduler") as page:
            page.goto(f"{base}/board/?window=week")
            shot(page, "07-scheduler-job-board-week")
            # A bar's tooltip: its promise to the hour and its slack, as the hint defines it.
            page.locator("#gantt .op").first.hover()
            page.wait_for_selector(".tooltip:not([hidden])")
            shot(page, "07b-scheduler-job-board-tooltip", full=False)
            proposal = ReplanProposal.objects.filter(status="pending").order_by("-id").first()
            if proposal is not None:
                page.goto(f"{base}/board/?window=2weeks&proposal={proposal.pk}")
                shot(page, "08-scheduler-job-board-proposal")
            page.goto(f"{base}/board/?window=day")
            shot(page, "09-scheduler-job-board-day")
            # The bottleneck breaks down for the rest of the day: every promise is re-checked,
            # the orders it hurts are named, none is moved.
            page.goto(f"{base}/shop-floor/")
            now = timezone.now().replace(second=0, microsecond=0)
            page.select_option("#id_work_center", value="TEST-1")
            page.fill("#id_start", (now - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"))
            page.fill("#id_end", (now + timedelta(hours=80)).strftime("%Y-%m-%dT%H:%M"))
            page.fill("#id_reason", "Hydraulic pump on the test bench failed")
            page.click("#downtime button[type=submit]")
            page.wait_for_selector(".messages li", timeout=120_000)
            shot(page, "10-scheduler-shop-floor", full=False)
            page.goto(f"{base}/board/?window=2weeks")
            shot(page, "10b-scheduler-job-board-after-breakdown", full=False)
            # A customer whose order the breakdown puts at risk sees it, with the projection.
            late = [row for row in orders_at_risk() if row.buffer.color == "red"]
            if late:
                with as_user(f"customer-{late[0].order.customer.code.lower()}") as portal:
                    portal.goto(f"{base}/portal/")
                    shot(portal, "11b-customer-portal-at-risk", full=False)
            # While the board is broken, quotes keep working: made against the least-late
            # repair, naming the orders it leaves at risk, for the scheduler to approve.
            if page.locator('[data-testid="board-broken"]').count():
                with as_user("sales") as sales:
                    sales.goto(f"{base}/quotes/new/")
                    sales.select_option("#id_customer", index=2)
                    sales.select_option("#id_product", index=1)
                    sales.fill("#id_quantity", "5")
                    sales.click("#quote-form button[type=submit]")
                    sales.wait_for_selector("[data-testid=answer]", timeout=180_000)
                    shot(sales, "10e-sales-quote-while-disrupted", full=False)
            # When no schedule replaced the broken one, the scheduler asks for a repair (a
            # background solve), reviews who moves and who becomes late, and approves it.
            if page.locator('[data-testid="board-broken"]').count():
                deadline = time.monotonic() + 300
                page.click("text=Repair: find the best schedule")
                while True:  # the page reloads itself every 3 s while the repair solves
                    if time.monotonic() > deadline:
                        raise SystemExit("the repair found nothing to show")
                    time.sleep(1)
                    try:
                        html = page.content()
                        if "found a schedule" in html:
                            break
                        if "Repair: find the best schedule" in html:
                            # Failed (nothing found in its limit on a busy machine): again.
                            page.click("text=Repair: find the best schedule")
                    except PlaywrightError:
                        continue  # caught mid-reload
                shot(page, "10c-scheduler-repair-proposal", full=False)
                page.click("text=Approve the repair")
                page.wait_for_selector(".messages li")

        with as_user("sales") as page:
            page.goto(f"{base}/repromises/")
            shot(page, "10d-sales-repromises", full=False)

        with as_user(f"customer-{customer.lower()}") as page:
            page.goto(f"{base}/portal/")
            shot(page, "11-customer-portal")
            page.goto(f"{base}/portal/orders/{first.code}/")
            shot(page, "12-customer-order")

        with as_user("manager") as page:
            page.goto(f"{base}/dashboard/")
            shot(page, "13-manager-dashboard")

        browser.close()
        if worker_context is not None:
            worker_context.__exit__(None, None, None)
    server.terminate()
    scratch.cleanup()
    return 0


def _days_ahead(days: int) -> str:
    from django.utils import timezone

    return (timezone.now() + timedelta(days=days)).strftime("%Y-%m-%dT%H:00")


if __name__ == "__main__":
    sys.exit(main())
