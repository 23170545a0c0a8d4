"""Quote latency and quality on generated boards, beside two baselines measured in the same run.

Per request: the engine, ``append_baseline`` and the plain full-board model, all verified; what
each measures: docs/benchmarks.md, "Quotes on generated boards".

Usage: ``python -m bench.run_quotes [--sizes 1000,10000,50000] [--requests 20]``.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bench.generate import generate_board, generate_requests
from bench.plain_cpsat import PlainBoardModel, PlainResult
from bench.worktime import parse_instant
from scheduling.engine import Answer, Board, load_board, quote, verify
from scheduling.engine.checking import append_baseline
from scheduling.engine.model import ScheduledOperation


@dataclass(frozen=True)
class SizePlan:
    operations: int
    time_limit: float  # seconds given to quote and to the plain model
    target_p95: float  # the latency target from the issue
    requests: int
    plain_requests: int  # the plain model on the first N requests only (it is slow to build)


# The time limit handed to quote() is the latency target itself: quote() treats its limit as the
# whole wall-clock budget (model building included, with a reserve kept back for verifying and
# assembling the answer), so a quote that keeps its limit meets the target.
TIME_LIMIT_SHARE = 1.0
DEFAULT_PLANS = {
    1000: SizePlan(1000, 0.5, 0.5, 20, 20),
    10000: SizePlan(10000, 2.0, 2.0, 20, 20),
    # 50k: fewer requests (and the plain model, ~2 min to build and ~5 GB, on only 3) to keep
    # `make bench` near 30 minutes on two cores
    50000: SizePlan(50000, 10.0, 10.0, 10, 3),
}


@dataclass
class RequestResult:
    request: str
    latency: float
    answer: Answer
    problems: list[str]
    append: Answer
    append_problems: list[str]
    plain: PlainResult | None = None
    plain_problems: list[str] = field(default_factory=list)
    start: datetime | None = None  # max(now, request release): lead times count from here


@dataclass
class SizeResult:
    plan: SizePlan
    work_centers: int
    orders: int
    scheduled: int
    generate_seconds: float
    plain_build_seconds: float | None
    results: list[RequestResult]
    # Deterministic mode (workers=1, fixed seed) on the first few requests: (wall seconds,
    # problems found by the verifier) per quote.
    deterministic: list[tuple[float, int]] = field(default_factory=list)


def nearest_rank(values: list[float], share: float) -> float:
    """The nearest-rank percentile: the smallest value with at least ``share`` of values <= it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _minutes(a: datetime, b: datetime) -> float:
    return (a - b).total_seconds() / 60


def plain_answer(request_id: str, result: PlainResult, buffer: int) -> Answer:
    """The plain model's schedule as an engine Answer, so the engine's verifier can judge it."""
    assert result.completion is not None
    rows = tuple(
        ScheduledOperation(
            r["order"],
            r["operation"],
            r["work_center"],
            parse_instant(r["start"]),
            parse_instant(r["end"]),
        )
        for r in result.schedule
    )
    return Answer(
        status="promised",
        request=request_id,
        completion=result.completion,
        promise=result.completion + timedelta(minutes=buffer),
        schedule=rows,
    )


def _judge(board: Board, answer: Answer) -> list[str]:
    """What is wrong with an answer. Every generated board has a valid schedule and a request
    that fits after it, so anything but a verified promise is a failure."""
    if answer.status != "promised":
        return [f"status {answer.status}: {answer.message}"]
    return verify(board, answer)


def _call(board: Board, solve: Callable[[Board], Answer]) -> Answer:
    """Run one engine call; an exception becomes a failed answer carrying its message, so one
    engine bug is reported in the tables (and printed) instead of ending the whole run."""
    try:
        return solve(board)
    except Exception as error:  # reported, not swallowed: it lands in the tables as a failure
        print(
            f"engine raised on {board.request.id if board.request else '-'}: {error!r}",
            file=sys.stderr,
            flush=True,
        )
        return Answer(
            status="no_solution",
            request=board.request.id if board.request else None,
            message=f"engine raised {type(error).__name__}: {error}"[:300],
        )


# Quotes per size also run in deterministic mode, to see that it keeps the time limit too.
DETERMINISTIC_REQUESTS = 5


def run_size(
    plan: SizePlan, *, seed: int, workers: int, plain: bool = True, echo: bool = True
) -> SizeResult:
    started = time.perf_counter()
    board_doc = generate_board(operations=plan.operations, seed=seed)
    request_docs = generate_requests(board_doc, count=plan.requests, seed=seed + 1000)
    generate_seconds = time.perf_counter() - started
    plain_model = None
    if plain and plan.plain_requests > 0:
        plain_model = PlainBoardModel(board_doc)
    results = []
    for i, doc in enumerate(request_docs):
        board = load_board(doc)
        assert board.request is not None
        began = time.perf_counter()
        answer = _call(
            board,
            lambda b: quote(b, time_limit=plan.time_limit, workers=workers, seed=0, earliest=True),
        )
        latency = time.perf_counter() - began
        problems = _judge(board, answer)
        append = _call(board, append_baseline)
        append_problems = _judge(board, append)
        start = max(board.now, board.request.release or board.now)
        result = RequestResult(
            board.request.id, latency, answer, problems, append, append_problems, start=start
        )
        if plain_model is not None and i < plan.plain_requests:
            result.plain = plain_model.solve(doc, time_limit=plan.time_limit, workers=workers)
            if result.plain.status == "promised":
                result.plain_problems = verify(
                    board,
                    plain_answer(board.request.id, result.plain, board.order_buffer(board.request)),
                )
        results.append(result)
        if echo:
            plain_text = (
                "-" if result.plain is None else (result.plain.completion or result.plain.status)
            )
            print(
                f"{plan.operations} ops {result.request}: {latency:.2f} s, "
                f"{answer.status} {answer.completion} (lb {answer.lower_bound}, "
                f"proven {answer.proven_optimal}) append {append.completion} "
                f"plain {plain_text} problems {len(problems)}",
                file=sys.stderr,
                flush=True,
            )
    deterministic = []
    for doc in request_docs[:DETERMINISTIC_REQUESTS]:
        board = load_board(doc)
        began = time.perf_counter()
        answer = _call(
            board,
            lambda b: quote(b, time_limit=plan.time_limit, workers=1, seed=0, earliest=True),
        )
        deterministic.append((time.perf_counter() - began, len(_judge(board, answer))))
    return SizeResult(
        plan,
        len(board_doc["work_centers"]),
        len(board_doc["orders"]),
        len(board_doc["schedule"]),
        generate_seconds,
        None if plain_model is None else plain_model.build_seconds,
        results,
        deterministic,
    )


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


def summary(size: SizeResult) -> dict[str, Any]:
    rs = size.results
    latencies = [r.latency for r in rs]
    # (engine completion, its lower bound, append completion, lead-time start) per answered request
    answered: list[tuple[RequestResult, datetime]] = [
        (r, r.answer.completion)
        for r in rs
        if r.answer.status == "promised" and r.answer.completion is not None
    ]
    gaps = [
        _minutes(completion, r.answer.lower_bound)
        for r, completion in answered
        if r.answer.lower_bound is not None
    ]
    # (engine completion, append completion, start of the lead time)
    versus_append: list[tuple[datetime, datetime, datetime]] = [
        (completion, r.append.completion, r.start or completion)
        for r, completion in answered
        if r.append.status == "promised" and r.append.completion is not None
    ]
    lead_ratio = [
        _minutes(engine, start) / _minutes(append, start)
        for engine, append, start in versus_append
        if _minutes(append, start) > 0
    ]
    plain_runs = [r.plain for r in rs if r.plain is not None]
    plain_solved = [
        (r, r.plain) for r in rs if r.plain is not None and r.plain.status == "promised"
    ]
    engine_completion = {id(r): completion for r, completion in answered}
    plain_vs = [
        _minutes(plain.completion, engine_completion[id(r)])
        for r, plain in plain_solved
        if plain.completion is not None and id(r) in engine_completion
    ]
    return {
        "requests": len(rs),
        "p50": statistics.median(latencies),
        "p95": nearest_rank(latencies, 0.95),
        "max": max(latencies),
        "promised": len(answered),
        "verified": sum(not r.problems for r in rs),
        "proven": sum(r.answer.proven_optimal for r in rs),
        "gap_mean": _mean(gaps),
        "gap_median": statistics.median(gaps) if gaps else float("nan"),
        "gap_zero": sum(g <= 0 for g in gaps),
        "append_verified": sum(not r.append_problems for r in rs),
        "append_earlier_hours": _mean([_minutes(a, e) / 60 for e, a, _ in versus_append]),
        "engine_beats_append": sum(e < a for e, a, _ in versus_append),
        "engine_worse_than_append": sum(e > a for e, a, _ in versus_append),
        "lead_ratio": _mean(lead_ratio),
        "plain_tried": len(plain_runs),
        "plain_solved": len(plain_solved),
        "plain_verified": sum(not r.plain_problems for r, _ in plain_solved),
        "plain_optimal": sum(plain.proven_optimal for _, plain in plain_solved),
        "plain_seconds": _mean([plain.solve_seconds for plain in plain_runs]),
        "plain_later_hours": _mean(plain_vs) / 60,
        "engine_not_worse_than_plain": sum(v >= 0 for v in plain_vs),
        "options_evaluated": _mean([float(len(r.answer.options)) for r in rs]),
    }


def _fmt(value: float, digits: int = 1) -> str:
    return "-" if value != value else f"{value:.{digits}f}"  # NaN -> "-"


def markdown(sizes: list[SizeResult], *, workers: int, seed: int) -> str:
    lines = [
        f"Seed {seed}, {workers} workers. One generated board per size "
        "(`bench/generate.py`), different requests of 3-6 operations against it. Latency is the "
        "wall clock around `quote()` (model building included, JSON parsing excluded), with "
        "capacity options evaluated as in the product (`evaluate_options=True`); "
        "p95 is the nearest-rank percentile. The time limit handed to `quote()` is the "
        "latency target (the plain model gets the same). Every answer is checked with "
        "`scheduling.engine.verify`.",
        "",
        "| operations | work centers | orders | requests | time limit | latency p50 | "
        "latency p95 | target p95 | proven optimal | completion - lower bound (mean / median) "
        "| valid answers |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    summaries = [(s, summary(s)) for s in sizes]
    for s, m in summaries:
        target = "met" if m["p95"] <= s.plan.target_p95 else "**missed**"
        lines.append(
            f"| {s.scheduled:,} | {s.work_centers} | {s.orders:,} | {m['requests']} | "
            f"{s.plan.time_limit:g} s | {m['p50']:.2f} s | {m['p95']:.2f} s | "
            f"{s.plan.target_p95:g} s ({target}) | {m['proven']}/{m['requests']} "
            f"({100 * m['proven'] / m['requests']:.0f} %) | {_fmt(m['gap_mean'] / 60)} h / "
            f"{_fmt(m['gap_median'] / 60)} h | {m['verified']}/{m['requests']} |"
        )
    lines += [
        "",
        "Against the baselines (same requests, same run):",
        "",
        "| operations | append: valid | engine earlier than append | mean gain vs append "
        "| lead time engine / append | plain CP-SAT: tried | plain found a schedule "
        "| plain valid | plain proven | engine no later than plain | mean plain - engine "
        "| plain solve wall (mean) | plain board model build |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s, m in summaries:
        build = "-" if s.plain_build_seconds is None else f"{s.plain_build_seconds:.1f} s"
        lines.append(
            f"| {s.scheduled:,} | {m['append_verified']}/{m['requests']} | "
            f"{m['engine_beats_append']}/{m['requests']} (later: "
            f"{m['engine_worse_than_append']}) | {_fmt(m['append_earlier_hours'])} h | "
            f"{_fmt(m['lead_ratio'], 2)} | {m['plain_tried']} | {m['plain_solved']} | "
            f"{m['plain_verified']}/{m['plain_solved']} | {m['plain_optimal']} | "
            f"{m['engine_not_worse_than_plain']}/{m['plain_solved']} | "
            f"{_fmt(m['plain_later_hours'])} h | {_fmt(m['plain_seconds'], 2)} s | {build} |"
        )
    failures = [
        f"- {s.scheduled:,} ops, {r.request}, {what}: {problem[:200]}"
        for s in sizes
        for r in s.results
        for what, problems in (
            ("engine", r.problems),
            ("append", r.append_problems),
            ("plain", r.plain_problems),
        )
        for problem in problems[:1]
    ]
    if failures:
        lines += ["", "Failures (first problem of each failed answer):", "", *failures[:30]]
    deterministic = [s for s in sizes if s.deterministic]
    if deterministic:
        lines += [
            "",
            "Deterministic mode (`workers=1`, seed 0: the same board gives the same answer; the "
            "engine's clock then counts work, not seconds) on the first requests, same time "
            "limit:",
            "",
            "| operations | quotes | time limit | wall max | wall max / limit | valid answers |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for s in deterministic:
            walls = [w for w, _ in s.deterministic]
            valid = sum(problems == 0 for _, problems in s.deterministic)
            lines.append(
                f"| {s.scheduled:,} | {len(walls)} | {s.plan.time_limit:g} s | "
                f"{max(walls):.2f} s | {max(walls) / s.plan.time_limit:.2f} | "
                f"{valid}/{len(walls)} |"
            )
    lines += [
        "",
        "*Lead time* counts from max(now, request release) to completion; the ratio is the "
        "mean over requests of engine lead time / append lead time (below 1: the engine "
        "promises sooner). *Mean plain - engine* is over the requests where the plain model "
        "found a schedule (positive: the engine is earlier).",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run_quotes", description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument(
        "--requests", type=int, default=None, help="requests per size (default: 20, 10 at 50k)"
    )
    parser.add_argument("--plain-requests", type=int, default=None)
    parser.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="override the per-size time limit (default: the p95 target)",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-plain", action="store_true")
    args = parser.parse_args(argv)
    sizes = []
    for text in args.sizes.split(","):
        plan = plan_for(
            int(text),
            requests=args.requests,
            plain_requests=args.plain_requests,
            time_limit=args.time_limit,
        )
        sizes.append(run_size(plan, seed=args.seed, workers=args.workers, plain=not args.no_plain))
    print(markdown(sizes, workers=args.workers, seed=args.seed))
    return 0


def plan_for(
    operations: int,
    *,
    requests: int | None = None,
    plain_requests: int | None = None,
    time_limit: float | None = None,
) -> SizePlan:
    base = DEFAULT_PLANS.get(operations)
    if base is None:  # sizes off the table: interpolate the target like the three
        target = 0.5 if operations <= 1000 else 2.0 if operations <= 10000 else 10.0
        base = SizePlan(operations, TIME_LIMIT_SHARE * target, target, 20, 20)
    return SizePlan(
        operations,
        base.time_limit if time_limit is None else time_limit,
        base.target_p95,
        base.requests if requests is None else requests,
        min(base.plain_requests, requests or base.requests)
        if plain_requests is None
        else plain_requests,
    )


if __name__ == "__main__":
    raise SystemExit(main())
