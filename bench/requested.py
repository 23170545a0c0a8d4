"""Keeping the requested date versus promising the earliest: operations of other orders moved.

Each request on the dense boards (and, with ``--generated``, on a generated board) is quoted
with a requested date 1, 2 and 3 weeks out, as by default and with ``earliest=True``. Writes
``docs/benchmarks-requested.md`` (carried into docs/benchmarks.md by ``make bench``; the issue's
targets are there).

Usage: ``python -m bench.requested [--boards p1,...,p6] [--weeks 1,2,3] [--limit 5]
[--generated 1000] [--output docs/benchmarks-requested.md]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from bench.dense import BOARDS
from bench.generate import generate_board, generate_requests
from bench.run_all import machine_description
from scheduling.engine import Board, load_board, quote, verify
from scheduling.engine.calendars import to_instant
from scheduling.engine.dispatch import insert_job
from scheduling.engine.problem import baseline_solution, build_problem

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "docs" / "benchmarks-requested.md"


@dataclass(frozen=True)
class Pair:
    board: str
    weeks: int
    feasible: bool  # the requested date can be met (by either answer)
    # Some schedule that moves no operation of other orders meets the date: the request in
    # the plan's earliest gaps does (no zero-move schedule completes earlier than that one).
    zero_move_possible: bool
    kept_moved: int
    earliest_moved: int
    kept_promise_days: float  # promise - now, in days
    earliest_promise_days: float
    seconds: float  # both quotes
    valid: bool


def compare(name: str, board: Board, weeks: int, limit: float, workers: int = 2) -> Pair:
    """Quote ``board`` twice (requested date kept, then the earliest); ``workers=1`` makes
    both runs deterministic (CP-SAT's work, not the wall clock, bounds them)."""
    assert board.request is not None
    requested = board.now + timedelta(weeks=weeks)
    asked = replace(board, request=replace(board.request, requested_due=requested))
    started = time.perf_counter()
    kept = quote(asked, time_limit=limit, workers=workers, evaluate_options=False)
    fastest = quote(asked, time_limit=limit, workers=workers, evaluate_options=False, earliest=True)
    seconds = time.perf_counter() - started
    valid = all(a.status == "promised" and not verify(asked, a) for a in (kept, fastest)) or (
        kept.status != "promised" and fastest.status != "promised"
    )

    def days(answer_promise: object) -> float:
        if answer_promise is None:
            return float("nan")
        return (answer_promise - board.now).total_seconds() / 86400  # type: ignore[operator]

    met = [a for a in (kept, fastest) if a.promise is not None and a.promise <= requested]
    return Pair(
        board=name,
        weeks=weeks,
        feasible=bool(met),
        zero_move_possible=zero_move_meets(asked),
        kept_moved=len(kept.moved),
        earliest_moved=len(fastest.moved),
        kept_promise_days=days(kept.promise),
        earliest_promise_days=days(fastest.promise),
        seconds=seconds,
        valid=valid,
    )


def zero_move_meets(board: Board) -> bool:
    """Whether the request placed in the plan's earliest gaps, nothing else moved, meets its
    requested date: each of its operations then ends as early as any zero-move schedule lets it
    (an operation's earliest end only grows with its predecessor's), so when this misses the
    date every schedule that moves nothing misses it."""
    assert board.request is not None and board.request.requested_due is not None
    problem = build_problem(board)
    plan = baseline_solution(problem)
    request = problem.request_job
    if plan is None or request is None:
        return False
    placed = insert_job(problem, plan, request)
    if placed is None:
        return False
    end = to_instant(placed[problem.jobs[request].tasks[-1]][2], board.now)
    buffer = timedelta(minutes=board.order_buffer(board.request))
    return end + buffer <= board.request.requested_due


def report(pairs: list[Pair], header: list[str], command: str) -> str:
    feasible = [p for p in pairs if p.feasible]
    none = sum(1 for p in feasible if p.kept_moved == 0)
    never_more = sum(1 for p in feasible if p.kept_moved <= p.earliest_moved)
    possible = [p for p in feasible if p.zero_move_possible]
    none_where_possible = sum(1 for p in possible if p.kept_moved == 0)
    lines = [
        "## Requested date kept versus the earliest: operations moved",
        "",
        f"Command: `{command}`. Each request quoted twice with the same limit: the default "
        "(requested date kept when it can be met, fewest moves) and `earliest=True`. "
        "Promises in days after the board's now. Every answer checked by the verifier. "
        "With two CP-SAT workers the two quotes are independent runs (one may find an "
        "earlier schedule than the other); with `--workers 1` both follow the same search.",
        "",
        *header,
        "",
        f"- Feasible requested dates: {len(feasible)} of {len(pairs)}; of those, kept with "
        f"**no operation moved: {none}/{len(feasible)}** (target: at least half); kept moving "
        f"no more than the earliest: {never_more}/{len(feasible)} (target: all).",
        f"- A schedule moving nothing meets the date on {len(possible)} of the {len(feasible)} "
        f"feasible requests (the request in the plan's earliest gaps, the earliest any "
        f"zero-move schedule completes); kept with none moved on **{none_where_possible}/"
        f"{len(possible)}** of those. On the others no schedule that moves nothing meets the "
        "date, so at least one operation must move.",
        "",
        "| board | requested (weeks) | feasible | zero-move possible | moved, date kept "
        "| moved, earliest | promise kept (d) | earliest promise (d) | both quotes s | verified |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for p in pairs:
        lines.append(
            f"| {p.board} | {p.weeks} | {'yes' if p.feasible else 'no'} "
            f"| {'yes' if p.zero_move_possible else 'no'} | {p.kept_moved} "
            f"| {p.earliest_moved} | {p.kept_promise_days:.2f} | {p.earliest_promise_days:.2f} "
            f"| {p.seconds:.1f} | {'yes' if p.valid else 'NO'} |"
        )
    return "\n".join([*lines, ""])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.requested", description=__doc__)
    parser.add_argument("--boards", default="p1,p2,p3,p4,p5,p6")
    parser.add_argument("--weeks", default="1,2,3")
    parser.add_argument("--limit", type=float, default=5.0)
    parser.add_argument(
        "--generated",
        type=int,
        default=1000,
        metavar="OPERATIONS",
        help="also 5 requests on a generated board of this size (0: none)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="CP-SAT workers per quote; 1 makes both quotes of a request follow the same "
        "search up to the date they keep (CP-SAT's work, not the clock, bounds them)",
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    try:
        weeks = [int(w) for w in args.weeks.split(",")]
    except ValueError as error:
        parser.error(f"--weeks: {error}")
    boards: list[tuple[str, Board]] = []
    for name in [n.strip() for n in args.boards.split(",") if n.strip()]:
        path = BOARDS / f"{name}.board.json"
        if not path.exists():
            parser.error(f"--boards: no board {name!r} in {BOARDS}")
        boards.append((name, load_board(json.loads(path.read_text()))))
    if args.generated:
        base = generate_board(operations=args.generated, seed=1)
        for index, doc in enumerate(generate_requests(base, count=5, seed=1)):
            boards.append((f"gen{args.generated}-{index + 1}", load_board(doc)))
    header = machine_description()
    command = " ".join(["python -m bench.requested", *(argv if argv is not None else sys.argv[1:])])
    pairs = []
    for name, board in boards:
        for w in weeks:
            pair = compare(name, board, w, args.limit, workers=args.workers)
            pairs.append(pair)
            print(
                f"{name} {w} wk: feasible {pair.feasible} moved kept {pair.kept_moved} / "
                f"earliest {pair.earliest_moved} ({pair.seconds:.1f}s) "
                f"{'valid' if pair.valid else 'INVALID'}",
                flush=True,
            )
    args.output.write_text(report(pairs, header, command))
    print(f"wrote {args.output}")
    return 0 if all(p.valid for p in pairs) else 1


if __name__ == "__main__":
    sys.exit(main())
