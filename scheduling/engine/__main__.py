"""Command line: ``python -m scheduling.engine {quote,check,jssp} ...``.

Exit codes: 0 a valid promise / schedule; 1 an answer was written but it is ``infeasible`` or
``no_solution``; 2 bad input (the message names the field: ``error: <field>: <message>``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scheduling.engine.boardio import BoardError, dump_answer, load_board
from scheduling.engine.checking import check
from scheduling.engine.jssp import UnknownInstance, load_instance, solve_instance
from scheduling.engine.model import Answer
from scheduling.engine.solver import quote

EXIT_OK = 0
EXIT_NO_PROMISE = 1
EXIT_BAD_INPUT = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m scheduling.engine")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("quote", "earliest promise for the board's request"),
        ("check", "check and repair the board without a request"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("board", help="board/1 JSON file")
        sub.add_argument(
            "--time-limit",
            type=float,
            default=10.0,
            metavar="S",
            help="seconds for the engine's work (reading the board and writing the answer are "
            "not counted)",
        )
        sub.add_argument(
            "--workers",
            type=int,
            default=2,
            metavar="W",
            help="CP-SAT workers; 1 (with the same --seed) gives the same answer every run, "
            "its time counted in work instead of seconds, so the limit then holds only roughly",
        )
        sub.add_argument("--seed", type=int, default=0, metavar="N")
        sub.add_argument(
            "--option",
            action="append",
            default=[],
            metavar="ID",
            help="apply this capacity option (repeatable)",
        )
        sub.add_argument(
            "-o", "--output", metavar="ANSWER.json", help="write the answer here instead of stdout"
        )
        if name == "quote":
            sub.add_argument(
                "--earliest",
                action="store_true",
                help="promise the earliest date found even when the request's requested_due "
                "can be met later with fewer operations moved (the default keeps that date)",
            )
            sub.add_argument(
                "--against-repair",
                action="store_true",
                help="when no schedule keeps every existing promise, quote against the "
                "least-late repair found (its late orders listed in at_risk) instead of "
                "answering infeasible / no_solution",
            )
    jssp = commands.add_parser("jssp", help="solve an OR-Library job-shop instance")
    jssp.add_argument("file")
    jssp.add_argument("instance")
    jssp.add_argument("--time-limit", type=float, default=10.0, metavar="S")
    jssp.add_argument("--workers", type=int, default=2, metavar="W")
    return parser


def _bad_input(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _read_json(path: str) -> Any:
    try:
        return json.loads(Path(path).read_text())
    except OSError as error:
        raise BoardError("", f"cannot read {path}: {error.strerror or error}") from error
    except json.JSONDecodeError as error:
        raise BoardError("", f"{path} is not JSON: {error}") from error


def _write(doc: dict[str, Any], output: str | None) -> None:
    text = json.dumps(doc, indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        Path(output).write_text(text)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "jssp":
        try:
            instance = load_instance(args.file, args.instance)
        except OSError as error:
            return _bad_input(f"cannot read {args.file}: {error.strerror or error}")
        except UnknownInstance:
            return _bad_input(f"instance: no instance {args.instance!r} in {args.file}")
        result = solve_instance(instance, time_limit=args.time_limit, workers=args.workers)
        print(json.dumps(result))
        return EXIT_OK
    try:
        board = load_board(_read_json(args.board))
        known = {o.id for o in board.capacity_options or ()}
        for option_id in args.option:
            if option_id not in known:
                raise BoardError("--option", f"unknown capacity option {option_id!r}")
        if args.command == "quote" and board.request is None:
            raise BoardError("request", "quote needs a board with a request")
    except BoardError as error:
        return _bad_input(str(error))  # "<field>: <message>"
    if args.workers < 1 or args.time_limit <= 0:
        return _bad_input("--workers must be >= 1 and --time-limit > 0")
    answer: Answer
    if args.command == "quote":
        answer = quote(
            board,
            time_limit=args.time_limit,
            workers=args.workers,
            seed=args.seed,
            apply_options=tuple(args.option),
            earliest=args.earliest,
            against_repair=args.against_repair,
        )
    else:
        answer = check(
            board,
            time_limit=args.time_limit,
            workers=args.workers,
            seed=args.seed,
            apply_options=tuple(args.option),
        )
    _write(dump_answer(answer), args.output)
    if answer.status != "promised":
        print(f"{answer.status}: {answer.message}".rstrip(": "), file=sys.stderr)
        return EXIT_NO_PROMISE
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
