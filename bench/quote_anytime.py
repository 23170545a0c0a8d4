"""The report of ``python -m bench.quote_e2e --anytime``: first and final answers, the lead of
the first over the final, the portfolio sizes compared request by request, and the seed spread
measured in one process (see bench/quote_e2e.py for how each figure is taken)."""

from __future__ import annotations

import argparse
import os
import platform
import statistics
from datetime import UTC, datetime
from typing import Any

# Each scenario's board is generated afresh for each portfolio size, a few minutes apart: the
# same request then lands a few minutes off on the calendar. Within an hour counts as the same.
SAME_HOURS = 1.0


def _hours(first: str | None, other: str | None) -> float | None:
    """How many hours earlier `other` is than `first` (negative: later)."""
    if first is None or other is None:
        return None
    delta = datetime.fromisoformat(first) - datetime.fromisoformat(other)
    return delta.total_seconds() / 3600


def _secs(value: float) -> str:
    return f"{value:.2f} s"


def render_anytime(results: list[dict[str, Any]], args: argparse.Namespace, command: str) -> str:
    load = args.load_at_start
    cap = args.quote_max_seconds if args.quote_max_seconds is not None else 20.0
    title = (
        "## The portfolio alone, without improvement (issue 15, QUOTE_MAX_SECONDS 0)"
        if cap == 0
        else "## Anytime quotes and the portfolio (issue 15)"
    )
    lines = [
        title,
        "",
        "Written by `python -m bench.quote_e2e --anytime` (bench/quote_e2e.py, report in "
        "bench/quote_anytime.py).",
        "",
        f"- Run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, `{command}`",
        f"- Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average {load:.2f} when the run started. **The "
        "machine was shared** with other engineers running their test suites during the run, "
        "so every figure carries their load; a quiet machine does better.",
        f"- Stack: PostgreSQL + Redis, gunicorn, {args.worker_processes} Celery worker "
        f"process(es) x {args.worker_concurrency} child(ren) on the solver queue; engine time "
        f"limit {args.time_limit:g} s with {args.engine_workers} CP-SAT worker(s) per solve "
        f"(fair share, at least {args.min_time_limit:g} s, while quotes queue); "
        f"QUOTE_MAX_SECONDS {cap:g}.",
        f"- Each rep submits {args.quotes_per_rep} quotes one after the other, the next as soon "
        "as it sees the first answer (improvements make way for it); the run then waits until "
        "every quote has stopped improving. Quotes are not accepted: every solve sees the same "
        "board. The reps draw their requests from fixed seeds, so every portfolio size answers "
        "the same requests.",
        "- first = quote created -> first answer stored; final = quote created -> last better "
        "answer stored (the first when none came); quoted lead = promise - request (days, "
        "mean), of the first and of the final answer; gain = first promise - final promise "
        "(hours), over the promised quotes.",
        "",
        "| board | portfolio N | reps | quotes | promised | first p50 | first p95 | final p50 "
        "| final p95 | quoted lead first -> final | improved | gain p50 | gain p95 | gain max |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for scenario in results:
        label = "demo shop" if scenario["scenario"] == "demo" else f"{scenario['operations']} ops"
        for run in scenario["runs"]:
            lead = run["lead_hours"]
            settled = "" if run["settled"] else " (not settled in 300 s)"
            lines.append(
                f"| {label} | {scenario['portfolio']} | {run['reps']} | {run['quotes']} | "
                f"{run['promised']} | {_secs(run['stored']['p50'])} | "
                f"{_secs(run['stored']['p95'])} | {_secs(run['final']['p50'])} | "
                f"{_secs(run['final']['p95'])}{settled} | "
                f"{run['quoted_days']['first']:.2f} d -> {run['quoted_days']['final']:.2f} d | "
                f"{run['improved']} | "
                f"{lead['p50']:.1f} h | {lead['p95']:.1f} h | {lead['max']:.1f} h |"
            )
    target = next(
        (
            run
            for scenario in results
            if scenario["scenario"] == "1k" and scenario["portfolio"] == 1
            for run in scenario["runs"]
            if run["reps"] == 8
        ),
        None,
    )
    if target is not None:
        met = target["stored"]["p95"] <= 1.0
        lines += [
            "",
            "Target (issue 15): first answer p95 within 1 s at 8 reps on the 1k board, "
            f"ENGINE_PORTFOLIO 1: **{'met' if met else 'not met'}** "
            f"(first p95 {_secs(target['stored']['p95'])}, final p95 "
            f"{_secs(target['final']['p95'])}).",
        ]
    lines += _portfolio_section(results)
    lines += _spread_section(results, args)
    return "\n".join(lines) + "\n"


def _portfolio_section(results: list[dict[str, Any]]) -> list[str]:
    sizes = sorted({scenario["portfolio"] for scenario in results})
    if len(sizes) < 2:
        return []
    lines = [
        "",
        "### Portfolio: the same requests with ENGINE_PORTFOLIO N",
        "",
        "Each request compared with its answer at N = 1: earlier / same (within an hour: each "
        "run imports the board afresh, minutes apart) / later promise, and the mean of how "
        "much earlier (hours; negative = later). Members: how many ran, how "
        "many were revoked before they started, and how often a member other than 0 (the plain "
        "solve's strategy and seed) won.",
        "",
        "| board | N | reps | first promise: earlier / same / later | mean | final promise: "
        "earlier / same / later | mean | first p95 | final p95 | members ran / revoked "
        "unstarted / total | won by member > 0 |",
        "|---|---:|---:|---|---:|---|---:|---:|---:|---|---:|",
    ]
    for scenario in results:
        if scenario["portfolio"] == sizes[0]:
            continue
        base = next(
            s
            for s in results
            if s["scenario"] == scenario["scenario"] and s["portfolio"] == sizes[0]
        )
        for run in scenario["runs"]:
            reference = next(r for r in base["runs"] if r["reps"] == run["reps"])
            cells = []
            for which in ("first", "final"):
                gains = [
                    gain
                    for key, answer in run["requests"].items()
                    if key in reference["requests"]
                    for gain in [_hours(reference["requests"][key][which], answer[which])]
                    if gain is not None
                ]
                earlier = sum(1 for g in gains if g >= SAME_HOURS)
                later = sum(1 for g in gains if g <= -SAME_HOURS)
                mean = statistics.mean(gains) if gains else float("nan")
                cells += [f"{earlier} / {len(gains) - earlier - later} / {later}", f"{mean:+.1f} h"]
            members = run["members"]
            lines.append(
                f"| {scenario['scenario']} | {scenario['portfolio']} | {run['reps']} | "
                f"{cells[0]} | {cells[1]} | {cells[2]} | {cells[3]} | "
                f"{_secs(run['stored']['p95'])} | {_secs(run['final']['p95'])} | "
                f"{members['started']} / {members['never_started']} / {members['total']} | "
                f"{members['won_by_other']} |"
            )
    return lines


def _spread_section(results: list[dict[str, Any]], args: argparse.Namespace) -> list[str]:
    spread = next((s for s in results if s.get("spread")), None)
    if spread is None:
        return []
    rows = spread["spread"]
    seeds = len(rows[0]["promises"])
    seconds = sorted(x for row in rows for x in row["seconds"] if x is not None)
    p95 = seconds[min(len(seconds) - 1, max(0, round(0.95 * len(seconds)) - 1))]
    lines = [
        "",
        f"### What N cores per quote would give: members 0..{seeds - 1} solved one at a time",
        "",
        f"The first {len(rows)} of the reps' requests on the {spread['operations']}-operation "
        f"board, each solved {seeds} times in one process with nothing else on the stack, as "
        "portfolio members 0, 1, ... would (member k: strategy k mod 3, seed k div 3) "
        f"(single solves: p50 {_secs(statistics.median(seconds))}, p95 {_secs(p95)}). A "
        "portfolio of N whose members each get a core of their own answers in the time of one "
        "solve with the best of its N members; the table is that best against member 0 (the "
        "plain solve) alone. Promises within an hour of each other count as the same.",
        "",
        "| N | best of N earlier than member 0 | mean gain | max gain | proven by one of them |",
        "|---:|---|---:|---:|---|",
    ]
    for n in range(1, seeds + 1):
        gains = []
        for row in rows:
            promises = [p for p in row["promises"][:n] if p is not None]
            if row["promises"][0] is None or not promises:
                continue
            gains.append(_hours(row["promises"][0], min(promises)) or 0.0)
        proven = sum(1 for row in rows if any(row["proven"][:n]))
        lines.append(
            f"| {n} | {sum(1 for g in gains if g >= SAME_HOURS)} of {len(gains)} | "
            f"{statistics.mean(gains) if gains else 0:.1f} h | {max(gains, default=0):.1f} h | "
            f"{proven} of {len(rows)} |"
        )
    return lines
