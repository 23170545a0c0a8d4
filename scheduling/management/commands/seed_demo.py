"""`python manage.py seed_demo`: the deterministic demo shop (a hydraulic components maker)."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from scheduling.boards import board_now
from scheduling.models import ScheduleVersion
from scheduling.services import ScheduleRejected
from scheduling.services.demo import ShopNotEmpty, demo_shop_seed


class Command(BaseCommand):
    help = (
        "Build the demo shop into an empty database: 14 work centers (Europe/Berlin shifts, a "
        "24/7 subcontractor in UTC), 30 products, 20 customers, 150 open orders, 100 orders "
        "delivered over the past ten weeks (history for the dashboard), 4 capacity options, "
        "users sales/scheduler/manager/customer-<code>/admin, and a verified current "
        "schedule keeping every promise. Dates are relative to now; --seed fixes the rest."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--password", default="demo", help="password of every demo user")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (successfully) when a schedule version already exists",
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and ScheduleVersion.objects.exists():
            self.stdout.write("The shop already has a schedule; seed_demo left it as it is.")
            return
        if not options["password"]:
            raise CommandError("--password must not be empty")
        started = time.monotonic()
        try:
            result = demo_shop_seed(
                now=board_now(), seed=options["seed"], password=options["password"]
            )
        except (ShopNotEmpty, ScheduleRejected) as exc:
            raise CommandError(f"{exc}; nothing was written") from exc
        seconds = time.monotonic() - started
        self.stdout.write(
            f"Demo shop ready in {seconds:.1f} s: {result.work_centers} work centers, "
            f"{result.products} products, {result.customers} customers, {result.orders} open "
            f"orders, {result.delivered} delivered, "
            f"schedule v{result.version.number}."
        )
        self.stdout.write(f"Logins (password '{options['password']}'):")
        for login in result.logins:
            who = f"{login.role} of {login.customer}" if login.customer else login.role
            self.stdout.write(f"  {login.username:<20} {who}")
        self.stdout.write(
            "Open http://127.0.0.1:8000/ (pages), /admin/ (Django admin, login admin), "
            "/api/ (REST API, schema at /api/schema/)."
        )
