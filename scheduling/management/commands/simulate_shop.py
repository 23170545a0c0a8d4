"""`python manage.py simulate_shop`: the shop simulation (bench.simulate) on this shop's board.

The board is the current schedule as `board_export` writes it (work centers, calendars, capacity
options, the open orders whose routings are the product mix); the simulation itself runs on the
engine alone and writes nothing to the database.
"""

from __future__ import annotations

import shlex
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from bench.simulate.__main__ import config_from, parser, run
from scheduling import engine
from scheduling.boards import board_now
from scheduling.services.board_export import board_export


class Command(BaseCommand):
    help = (
        "Simulate the three promising policies (yes, insert, promise) on the current board "
        "and write the report (default docs/outcome.md); see python -m bench.simulate --help."
    )

    def add_arguments(self, parser_: ArgumentParser) -> None:
        for action in parser()._actions:
            if action.dest in ("help", "board"):
                continue
            parser_.add_argument(
                *action.option_strings,
                dest=action.dest,
                type=action.type,  # type: ignore[arg-type]
                default=action.default,
                help=action.help,
            )

    def handle(self, *args: Any, **options: Any) -> None:
        namespace = parser().parse_args([])
        for key, value in options.items():
            if hasattr(namespace, key):
                setattr(namespace, key, value)
        try:
            config_from(namespace)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        board = engine.load_board(board_export(now=board_now()))
        if not board.orders:
            raise CommandError("the board has no open orders to take routings from")
        command = "python manage.py simulate_shop " + shlex.join(sys.argv[2:])
        run(board, namespace, board_name="the current board (board_export)", command=command)
