"""Quotes on the dense benchmark boards beside the best schedule known for each request.

The six boards in ``bench/data/boards/`` come from a generator independent of
``bench.generate``: 12-20 work centers on one- and two-shift calendars in four time zones,
capacity 2 and alternative work centers on some operations, about 85 % load, every order
promised tightly after its planned end. Each ``pN.best.json`` holds the best schedule known for
the board's request and how it was found (an independent plain CP-SAT model, or the engine
given two minutes). For every board and time limit this runs ``quote`` as the CLI does (two
workers, options evaluated when the board has any), checks the answer with the verifier, and
reports the quoted lead (completion minus now) against the best known lead: the ratio the
issue's targets are written in.

Writes ``docs/benchmarks-dense.md`` (carried into docs/benchmarks.md by ``make bench``).

Usage: ``python -m bench.dense [--boards p1,p2,p3,p4,p5,p6] [--limits 1,5,10,20] [--seeds 0]
[--output docs/benchmarks-dense.md]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.run_all import machine_description
from scheduling.engine import load_board, quote, verify

ROOT = Path(__file__).resolve().parent.parent
BOARDS = ROOT / "bench" / "data" / "boards"
DEFAULT_OUTPUT = ROOT / "docs" / "benchmarks-dense.md"
# The target: at 10 s every dense board within 5 % of its best known lead.
TARGET_RATIO = 1.05


@dataclass(frozen=True)
class DenseQuote:
    board: str
    limit: float
    seed: int
    lead: int | None  # minutes from the board's now to the quoted completion
    best_lead: int
    lower: int | None
    proven: bool
    moved: int
    seconds: float
    problems: tuple[str, ...]  # the verifier's findings (empty: valid)

    @property
    def ratio(self) -> float | None:
        return None if self.lead is None else self.lead / self.best_lead


def best_known(name: str) -> dict[str, object]:
    """The best schedule known for board ``name``'s request: the shared one (``pN.best.json``,
    from the independent generator's README) or ours (``pN.ours.json``, a better one this
    engine found, verified), whichever has the shorter lead."""
    known = [json.loads((BOARDS / f"{name}.best.json").read_text())]
    ours = BOARDS / f"{name}.ours.json"
    if ours.exists():
        known.append(json.loads(ours.read_text()))
    return min(known, key=lambda doc: int(doc["lead_minutes"]))  # type: ignore[call-overload]


def quote_dense(name: str, limit: float, seed: int = 0) -> DenseQuote:
    """Quote board ``name``'s request with ``limit`` seconds; the answer verified."""
    board = load_board(json.loads((BOARDS / f"{name}.board.json").read_text()))
    best = best_known(name)
    started = time.perf_counter()
    answer = quote(board, time_limit=limit, workers=2, seed=seed, earliest=True)
    seconds = time.perf_counter() - started
    problems = tuple(verify(board, answer)) if answer.status == "promised" else ()

    def minutes(instant: object) -> int | None:
        if instant is None:
            return None
        return round((instant - board.now).total_seconds() / 60)  # type: ignore[operator]

    return DenseQuote(
        board=name,
        limit=limit,
        seed=seed,
        lead=minutes(answer.completion),
        best_lead=int(best["lead_minutes"]),  # type: ignore[call-overload]
        lower=minutes(answer.lower_bound),
        proven=bool(answer.proven_optimal),
        moved=len(answer.moved),
        seconds=seconds,
        problems=problems,
    )


def report(rows: list[DenseQuote], header: list[str], command: str) -> str:
    limits = sorted({r.limit for r in rows})
    boards = sorted({r.board for r in rows})
    lines = [
        "## Dense boards: quoted lead beside the best known",
        "",
        f"Command: `{command}`. Boards: `bench/data/boards/` (README there: how each best known "
        "schedule was found). Ratio = quoted lead / best known lead (1.00 = as good as the best "
        "known; below 1 beats it). Each answer checked by the verifier.",
        "",
        *header,
        "",
        "| board | limit s | seed | quoted lead min | best known min | ratio | lower bound min "
        "| proven | moved | wall s | verified |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---|",
    ]
    for r in rows:
        ratio = "-" if r.ratio is None else f"{r.ratio:.2f}"
        lines.append(
            f"| {r.board} | {r.limit:g} | {r.seed} | {r.lead if r.lead is not None else '-'} "
            f"| {r.best_lead} | {ratio} | {r.lower if r.lower is not None else '-'} "
            f"| {'yes' if r.proven else 'no'} | {r.moved} | {r.seconds:.1f} "
            f"| {'yes' if not r.problems else 'NO: ' + r.problems[0]} |"
        )
    lines += [
        "",
        "Summary per limit (median ratio over boards and seeds; boards within "
        f"{TARGET_RATIO:.2f} of the best known):",
        "",
    ]
    lines += [
        "| limit s | median ratio | worst ratio | within target | slowest wall s |",
        "|---:|---:|---:|---:|---:|",
    ]
    for limit in limits:
        here = [r for r in rows if r.limit == limit and r.ratio is not None]
        if not here:
            continue
        ratios = [r.ratio for r in here if r.ratio is not None]
        within = sum(1 for x in ratios if x <= TARGET_RATIO)
        lines.append(
            f"| {limit:g} | {statistics.median(ratios):.2f} | {max(ratios):.2f} "
            f"| {within}/{len(ratios)} | {max(r.seconds for r in here):.1f} |"
        )
    lines += ["", f"Boards: {', '.join(boards)}.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dense", description=__doc__)
    parser.add_argument("--boards", default="p1,p2,p3,p4,p5,p6")
    parser.add_argument("--limits", default="1,5,10,20")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.boards.split(",") if n.strip()]
    for name in names:
        if not (BOARDS / f"{name}.board.json").exists():
            parser.error(f"--boards: no board {name!r} in {BOARDS}")
    try:
        limits = [float(x) for x in args.limits.split(",")]
        seeds = [int(x) for x in args.seeds.split(",")]
    except ValueError as error:
        parser.error(f"--limits/--seeds: {error}")
    header = machine_description()
    command = " ".join(["python -m bench.dense", *(argv if argv is not None else sys.argv[1:])])
    rows = []
    for name in names:
        for limit in limits:
            for seed in seeds:
                row = quote_dense(name, limit, seed)
                rows.append(row)
                ratio = "-" if row.ratio is None else f"{row.ratio:.2f}"
                print(
                    f"{name} {limit:g}s seed {seed}: lead {row.lead} (best {row.best_lead}, "
                    f"ratio {ratio}) proven {row.proven} moved {row.moved} "
                    f"{row.seconds:.1f}s {'valid' if not row.problems else 'INVALID'}",
                    flush=True,
                )
    args.output.write_text(report(rows, header, command))
    print(f"wrote {args.output}")
    return 1 if any(r.problems for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
