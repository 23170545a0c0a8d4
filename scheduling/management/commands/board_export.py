"""`python manage.py board_export FILE`: the current schedule as a board/1 JSON document."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from scheduling import engine
from scheduling.engine.boardio import parse_instant
from scheduling.services.board_export import board_export


def _instant(text: str) -> datetime:
    try:
        return parse_instant(text, "--now")
    except engine.BoardError as exc:
        raise CommandError(str(exc)) from exc


class Command(BaseCommand):
    help = (
        "Write the current schedule as a board/1 JSON document (see docs on the board format) to "
        "FILE, or to standard output with '-'. Lists are sorted by id; an order's buffer_minutes "
        "is omitted when it equals the board default (--buffer-minutes, default the "
        "QUOTE_BUFFER_MINUTES setting)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="output path, or - for standard output")
        parser.add_argument(
            "--now",
            help="the board's 'now' as an ISO 8601 instant with offset (default: this minute)",
        )
        parser.add_argument(
            "--buffer-minutes",
            type=int,
            help="board default buffer to write at the top (default: QUOTE_BUFFER_MINUTES)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = _instant(options["now"]) if options["now"] else None
        if options["buffer_minutes"] is not None and options["buffer_minutes"] < 0:
            raise CommandError("--buffer-minutes must be 0 or more")
        doc = board_export(now=now, buffer_minutes=options["buffer_minutes"])
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        if options["file"] == "-":
            self.stdout.write(text, ending="")
            return
        try:
            with open(options["file"], "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise CommandError(f"cannot write {options['file']}: {exc}") from exc
        self.stdout.write(
            f"Wrote {len(doc['orders'])} orders, {len(doc.get('schedule', []))} scheduled "
            f"operations to {options['file']}"
        )
