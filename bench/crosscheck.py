"""The engine's answers against an independent optimum, on boards small enough to know it.

The plain model of ``bench/plain_cpsat.py`` proves each request's optimum; the engine's bound,
its optimality claims and its completion are checked against it (docs/bench-methods.md,
"Against an independent optimum"; figures in docs/benchmarks.md).

Usage: ``python -m bench.crosscheck [--operations 300] [--seeds 2,3,4] [--requests 4]
[--time-limit 0.5] [--plain-time-limit 30]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from datetime import datetime

from bench.generate import generate_board, generate_requests
from bench.plain_cpsat import PlainBoardModel, PlainResult
from scheduling.engine import Answer, load_board, quote, verify


@dataclass
class CrossRow:
    seed: int
    request: str
    now: datetime
    engine: Answer
    engine_seconds: float
    engine_problems: list[str]
    plain: PlainResult

    @property
    def optimum(self) -> datetime | None:
        """The independent optimum, when the plain model proved one."""
        if self.plain.status == "promised" and self.plain.proven_optimal:
            return self.plain.completion
        return None

    def faults(self) -> list[str]:
        """What this row shows wrong with the engine (empty: nothing)."""
        faults = [f"invalid answer: {p}" for p in self.engine_problems[:3]]
        e, optimum = self.engine, self.optimum
        if e.status != "promised" or e.completion is None or e.lower_bound is None:
            return [*faults, f"engine answered {e.status}"]
        if optimum is not None:
            if e.lower_bound > optimum:
                faults.append("lower bound above the optimum")
            if e.completion < optimum:
                faults.append("completion below the optimum")
            if e.proven_optimal and e.completion != optimum:
                faults.append("called optimal but is not")
        elif self.plain.lower_bound is not None and e.completion < self.plain.lower_bound:
            faults.append("completion below the plain model's bound")
        return faults


def run(
    *,
    operations: int = 300,
    seeds: tuple[int, ...] = (2, 3, 4),
    requests: int = 4,
    time_limit: float = 0.5,
    plain_time_limit: float = 30.0,
    workers: int = 2,
    echo: bool = True,
) -> list[CrossRow]:
    rows = []
    for seed in seeds:
        board_doc = generate_board(operations=operations, seed=seed)
        plain_model = PlainBoardModel(board_doc)
        for doc in generate_requests(board_doc, count=requests, seed=seed + 1000):
            board = load_board(doc)
            assert board.request is not None
            began = time.perf_counter()
            answer = quote(board, time_limit=time_limit, workers=workers, seed=0, earliest=True)
            seconds = time.perf_counter() - began
            problems = verify(board, answer) if answer.status == "promised" else []
            plain = plain_model.solve(doc, time_limit=plain_time_limit, workers=workers)
            row = CrossRow(seed, board.request.id, board.now, answer, seconds, problems, plain)
            rows.append(row)
            if echo:
                print(
                    f"crosscheck seed {seed} {row.request}: engine {answer.completion} "
                    f"(lb {answer.lower_bound}, proven {answer.proven_optimal}) optimum "
                    f"{row.optimum} faults {row.faults()}",
                    file=sys.stderr,
                    flush=True,
                )
    return rows


def summary(rows: list[CrossRow]) -> dict[str, int]:
    known = [r for r in rows if r.optimum is not None]
    answered = [r for r in known if r.engine.completion is not None]
    return {
        "requests": len(rows),
        "optimum_known": len(known),
        "faults": sum(bool(r.faults()) for r in rows),
        "bound_equals_optimum": sum(r.engine.lower_bound == r.optimum for r in answered),
        "engine_at_optimum": sum(r.engine.completion == r.optimum for r in answered),
        "claimed_optimal": sum(r.engine.proven_optimal for r in rows),
        "claimed_correctly": sum(
            r.engine.proven_optimal and r.engine.completion == r.optimum for r in answered
        ),
    }


def _hours(instant: datetime | None, now: datetime) -> str:
    return "-" if instant is None else f"{(instant - now).total_seconds() / 3600:.2f} h"


def markdown(
    rows: list[CrossRow], *, operations: int, time_limit: float, plain_time_limit: float
) -> str:
    s = summary(rows)
    lines = [
        f"Generated boards of {operations} operations (seeds "
        f"{', '.join(str(x) for x in sorted({r.seed for r in rows}))}), a few requests each. "
        f"The engine quotes at {time_limit:g} s; the plain model of `bench/plain_cpsat.py` "
        f"gets up to {plain_time_limit:g} s to prove the optimum (its proof is the "
        "independent optimum). Times are from now; *bound* is the engine's lower bound.",
        "",
        "| board seed | request | optimum (plain, proven) | plain s | engine completion | "
        "engine bound | engine proven | engine s | faults |",
        "|---:|---|---:|---:|---:|---:|---|---:|---|",
    ]
    for r in rows:
        faults = "; ".join(r.faults())
        lines.append(
            f"| {r.seed} | {r.request} | {_hours(r.optimum, r.now)} | "
            f"{r.plain.solve_seconds:.1f} | {_hours(r.engine.completion, r.now)} | "
            f"{_hours(r.engine.lower_bound, r.now)} | {'yes' if r.engine.proven_optimal else 'no'}"
            f" | {r.engine_seconds:.2f} | {f'**{faults}**' if faults else 'none'} |"
        )
    known = s["optimum_known"]
    lines += [
        "",
        f"Optimum proven by the plain model for {known} of {s['requests']} requests. On those, "
        f"the engine's lower bound equals the optimum on {s['bound_equals_optimum']}/{known} "
        f"and its completion reaches it on {s['engine_at_optimum']}/{known}; it called "
        f"{s['claimed_optimal']} answers optimal, {s['claimed_correctly']} of them correctly. "
        f"Requests with a fault: **{s['faults']}**.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.crosscheck", description=__doc__)
    parser.add_argument("--operations", type=int, default=300)
    parser.add_argument("--seeds", default="2,3,4")
    parser.add_argument("--requests", type=int, default=4)
    parser.add_argument("--time-limit", type=float, default=0.5)
    parser.add_argument("--plain-time-limit", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    rows = run(
        operations=args.operations,
        seeds=tuple(int(x) for x in args.seeds.split(",")),
        requests=args.requests,
        time_limit=args.time_limit,
        plain_time_limit=args.plain_time_limit,
        workers=args.workers,
    )
    print(
        markdown(
            rows,
            operations=args.operations,
            time_limit=args.time_limit,
            plain_time_limit=args.plain_time_limit,
        )
    )
    return 1 if summary(rows)["faults"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
