"""`python manage.py import_csv`: work centers, routings and open orders from ERP CSV files."""

from __future__ import annotations

from argparse import ArgumentParser, RawDescriptionHelpFormatter
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from scheduling.services import ScheduleRejected
from scheduling.services import csv_import as service

HELP = """Import work centers, routings and open orders from CSV files (any subset, one run, one
transaction). Every row is validated first; on any error every bad row is printed as
"orders.csv row 7, field due: <message>" (the header is row 1) and nothing is written.

work centers (--work-centers): code,name,capacity,calendar,timezone,weekly
  weekly: "mon-fri 06:00-14:00,14:00-22:00; sat 06:00-12:00", "daily 00:00-24:00", "24/7";
  a window ending before it starts runs past midnight. Rows sharing a calendar code agree.
routings (--routings): product_code,product_name,sequence,step_name,work_centers,
  setup_minutes,run_minutes_per_unit   (work_centers: alternatives as "MILL-1|MILL-2")
orders (--orders): order_code,customer_code,customer_name,product_code,quantity,release,due,
  buffer_minutes   (release/due: 2026-12-08T16:00+01:00, ...Z, or a date: release 00:00 UTC,
  due 24:00 UTC; release and buffer_minutes may be blank or left out; buffer defaults to
  QUOTE_BUFFER_MINUTES)

The import only adds (existing codes are errors). Orders are promised as given, after the
engine's check found a schedule keeping every promise; otherwise the orders that cannot be
kept are listed and nothing is written."""


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter  # keep the column layout
        return parser

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--work-centers", metavar="CSV", help="work centers file")
        parser.add_argument("--routings", metavar="CSV", help="routings file")
        parser.add_argument("--orders", metavar="CSV", help="open orders file")
        parser.add_argument(
            "--time-limit",
            type=float,
            default=None,
            help="seconds for the engine's check (default: ENGINE_TIME_LIMIT)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        files: dict[str, service.CsvFile | None] = {}
        for key in ("work_centers", "routings", "orders"):
            path = options[key]
            if not path:
                files[key] = None
                continue
            try:
                text = Path(path).read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"cannot read {path}: {exc}") from exc
            files[key] = service.CsvFile(name=Path(path).name, text=text)
        if not any(files.values()):
            raise CommandError("give at least one of --work-centers, --routings, --orders")
        try:
            result = service.csv_import(
                work_centers=files["work_centers"],
                routings=files["routings"],
                orders=files["orders"],
                created_by=None,
                time_limit=options["time_limit"],
            )
        except service.CsvImportRejected as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(exc.errors)} problem(s); nothing was imported") from exc
        except ScheduleRejected as exc:
            raise CommandError(f"{exc}; nothing was imported") from exc
        self.stdout.write(
            f"Imported {result.calendars} calendar(s), {result.work_centers} work center(s), "
            f"{result.products} product(s) with {result.routing_steps} routing step(s), "
            f"{result.customers} new customer(s), {result.orders} order(s)"
            + (f"; schedule version v{result.version.number} is current" if result.version else "")
        )
