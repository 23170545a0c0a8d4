"""How many planned operations a replan proposal moves, before and after it is polished.

A sales rep's quote gets the product's one-second limit (``ENGINE_TIME_LIMIT``). When it moves
other orders' operations, the accepted quote becomes a replan proposal, which the worker polishes
before a scheduler reviews it: ``quote(warm_start=<the quote's schedule>, keep_completion=True)``
with the proposal's limit (``ENGINE_PROPOSAL_TIME_LIMIT``), i.e. the same promise and as few
moved operations as that time allows. This measures both on generated boards, checks every
answer with the verifier and that the polish kept the completion exactly, and writes
``docs/benchmarks-polish.md`` (carried into docs/benchmarks.md by ``make bench``).

Usage: ``python -m bench.polish [--operations 1000] [--requests 10] [--quote-limit 1]
[--polish-limit 5] [--workers 2] [--seed 1] [--output docs/benchmarks-polish.md]``.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.generate import generate_board, generate_requests
from scheduling.engine import load_board, quote, verify

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "docs" / "benchmarks-polish.md"


@dataclass(frozen=True)
class PolishRow:
    request: str
    quote_moved: int
    polish_moved: int
    same_completion: bool
    valid: bool  # both answers pass the verifier
    polish_seconds: float


def run(
    *,
    operations: int,
    requests: int,
    quote_limit: float,
    polish_limit: float,
    workers: int,
    seed: int,
    echo: bool = True,
) -> list[PolishRow]:
    board_doc = generate_board(operations=operations, seed=seed)
    rows = []
    for doc in generate_requests(board_doc, count=requests, seed=seed + 1000):
        board = load_board(doc)
        assert board.request is not None
        quoted = quote(board, time_limit=quote_limit, workers=workers, seed=0, earliest=True)
        if quoted.status != "promised" or not quoted.moved:
            continue  # committed at once in the product: no proposal to polish
        began = time.perf_counter()
        polished = quote(
            board,
            time_limit=polish_limit,
            workers=workers,
            seed=0,
            evaluate_options=False,
            warm_start=quoted.schedule,
            keep_completion=True,
            earliest=True,
        )
        seconds = time.perf_counter() - began
        row = PolishRow(
            board.request.id,
            len(quoted.moved),
            len(polished.moved),
            polished.completion == quoted.completion,
            not verify(board, quoted) and not verify(board, polished),
            seconds,
        )
        rows.append(row)
        if echo:
            print(
                f"polish {row.request}: moved {row.quote_moved} -> {row.polish_moved}, "
                f"same completion {row.same_completion}, valid {row.valid}, {seconds:.1f} s",
                file=sys.stderr,
                flush=True,
            )
    return rows


def markdown(rows: list[PolishRow], args: argparse.Namespace) -> str:
    before = sum(r.quote_moved for r in rows)
    after = sum(r.polish_moved for r in rows)
    lines = [
        "# Replan proposals: operations moved before and after polishing",
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; Python {platform.python_version()}; "
        f"command: `python -m bench.polish --operations {args.operations} --requests "
        f"{args.requests} --quote-limit {args.quote_limit:g} --polish-limit "
        f"{args.polish_limit:g} --workers {args.workers} --seed {args.seed}`",
        f"- Board: `bench.generate`, {args.operations} operations, seed {args.seed}; the "
        f"requests that move planned work (the others commit at once and are not proposals).",
        f"- Quote: {args.quote_limit:g} s (the product's `ENGINE_TIME_LIMIT`). Polish: "
        f"{args.polish_limit:g} s (`ENGINE_PROPOSAL_TIME_LIMIT`), started from the quote's "
        "schedule, completion kept.",
        "",
        "| request | moved by the quote | moved after polishing | same completion | valid "
        "(verifier) | polish s |",
        "|---|---:|---:|---|---|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.request} | {r.quote_moved} | {r.polish_moved} | "
            f"{'yes' if r.same_completion else '**no**'} | {'yes' if r.valid else '**no**'} | "
            f"{r.polish_seconds:.1f} |"
        )
    share = f" ({after / before:.0%} of the quote's)" if before else ""
    lines += [
        "",
        f"Over {len(rows)} proposals: {before} operations moved by the quotes, {after} after "
        f"polishing{share}; completion kept on "
        f"{sum(r.same_completion for r in rows)}/{len(rows)}; every answer valid: "
        f"{'yes' if all(r.valid for r in rows) else '**no**'}.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.polish", description=__doc__)
    parser.add_argument("--operations", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--quote-limit", type=float, default=1.0)
    parser.add_argument("--polish-limit", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    rows = run(
        operations=args.operations,
        requests=args.requests,
        quote_limit=args.quote_limit,
        polish_limit=args.polish_limit,
        workers=args.workers,
        seed=args.seed,
    )
    args.output.write_text(markdown(rows, args))
    print(f"wrote {args.output}", file=sys.stderr)
    return 0 if all(r.valid and r.same_completion for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
