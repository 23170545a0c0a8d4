"""`python manage.py board_import FILE`: fill an empty shop from a board/1 JSON document."""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from scheduling import engine
from scheduling.services import ScheduleRejected
from scheduling.services.board_import import BoardImportRejected, board_import


class Command(BaseCommand):
    help = (
        "Import a board/1 JSON file ('-' for standard input) into an EMPTY shop, in one "
        "transaction: calendars, work centers, capacity options, the customer IMPORT with one "
        "product IMPORT-nnn per distinct routing (quantity 1, run minutes per unit = the "
        "operation's minutes), orders with an 'imported' promise (due, buffer), operations "
        "(running/done keep work center and start), and the file's schedule as the current "
        "version. A missing or invalid schedule is repaired by the engine's check; if no "
        "schedule keeps every promise, nothing is written and the orders at fault are named. "
        "Operation ids must be routing sequence numbers ('10', '20')."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="board/1 JSON file, or - for standard input")
        parser.add_argument(
            "--time-limit",
            type=float,
            default=None,
            help="seconds for the engine's check/repair (default: ENGINE_TIME_LIMIT)",
        )
        parser.add_argument(
            "--repromise-late",
            action="store_true",
            help="orders the file's own plan finishes after due - buffer are promised at "
            "completion + buffer (said in the promise's reason) instead of failing the import",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"]
        doc = _read_document(path)
        try:
            board = engine.load_board(doc)
            result = board_import(
                board=board,
                created_by=None,
                source=path if path != "-" else "standard input",
                time_limit=options["time_limit"],
                repromise_late=options["repromise_late"],
            )
        except engine.BoardError as exc:
            raise CommandError(f"{path}: {exc} (nothing imported)") from exc
        except (ValueError, BoardImportRejected, ScheduleRejected) as exc:
            raise CommandError(f"{path}: {exc} (nothing imported)") from exc
        self.stdout.write(
            f"Imported {result.orders} orders from {path} as schedule version "
            f"v{result.version.number}"
            + (" (schedule built by the engine's check)" if result.repaired else "")
        )
        for note in result.notes:
            self.stdout.write(f"  note: {note}")


def _read_document(path: str) -> Any:
    """The JSON document in `path` ('-': standard input); a file that is not UTF-8 JSON, or
    nests deeper than the parser can follow, is a CommandError saying so (nothing imported)."""
    try:
        if path == "-":
            raw = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as handle:
                raw = handle.read()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc}") from exc
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise CommandError(
            f"{path} is not UTF-8 text (byte {exc.start}); nothing imported"
        ) from exc
    except json.JSONDecodeError as exc:
        raise CommandError(f"{path} is not JSON: {exc}; nothing imported") from exc
    except RecursionError as exc:
        # The decoder recurses once per nesting level; a board is a few levels deep.
        raise CommandError(f"{path}: JSON nested too deeply; nothing imported") from exc
