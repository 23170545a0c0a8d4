"""``make bench``: quote benchmarks and job-shop instances, written to docs/benchmarks.md.

Runs ``bench.run_quotes`` (boards of about 1,000, 10,000 and 50,000 operations),
``bench.crosscheck`` (boards of 300 and 600 operations, against an independent optimum) and
``bench.run_jssp`` (ft06, ft10, ft20, la01-la40), then rewrites ``docs/benchmarks.md`` with the
machine, versions, commands, tables and a check of each target. Baselines are measured in the
same run, on the same machine, with the same time limits.

Usage: ``python -m bench.run_all [--sizes 1000,10000,50000] [--jssp-time-limit 5]
[--skip-jssp] [--skip-quotes] [--skip-crosscheck] [--output docs/benchmarks.md]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from bench import crosscheck, run_jssp, run_quotes

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "docs" / "benchmarks.md"

# The targets on the 2-core machine.
PROVEN_SHARE_TARGET_1K = 0.90
# Boards small enough for the plain model to prove the optimum: (operations, board seeds,
# plain model's time limit). 300 operations prove in 1-3 s, 600 in 4-60 s.
CROSSCHECK_PLANS = ((300, (2, 3, 4), 30.0), (600, (2, 3), 60.0))
CROSSCHECK_TIME_LIMIT = 0.5  # the engine's, as on the 1k board


@dataclass
class CrossCheck:
    operations: int
    plain_time_limit: float
    rows: list[crosscheck.CrossRow]


def machine_description() -> list[str]:
    cpu_model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu_model = line.split(":", 1)[1].strip()
            break
    memory = "unknown"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
            break
    load = os.getloadavg()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return [
        f"- Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Machine: {len(os.sched_getaffinity(0))} cores available (`nproc`), CPU "
        f'"{cpu_model}", {memory} RAM, load average at start {load[0]:.2f}',
        f"- Software: Python {platform.python_version()}, OR-Tools {version('ortools')}, "
        f"{platform.system()} {platform.release()}",
        f"- Code: commit {commit or 'unknown'} (plus any uncommitted changes in the tree)",
    ]


def targets(
    sizes: list[run_quotes.SizeResult],
    jssp_rows: list[run_jssp.Row] | None,
    checks: list[CrossCheck] | None = None,
) -> list[str]:
    lines = ["| target | measured | verdict |", "|---|---|---|"]
    for size in sizes:
        m = run_quotes.summary(size)
        ok = m["p95"] <= size.plan.target_p95
        lines.append(
            f"| quote p95 within {size.plan.target_p95:g} s at {size.scheduled:,} "
            f"operations | {m['p95']:.2f} s over {m['requests']} requests | "
            f"{'met' if ok else '**missed**'} |"
        )
    small = [s for s in sizes if s.plan.operations <= 1000]
    for size in small:
        m = run_quotes.summary(size)
        share = m["proven"] / m["requests"]
        lines.append(
            f"| at least {PROVEN_SHARE_TARGET_1K:.0%} of quotes proven optimal at "
            f"{size.scheduled:,} operations (1k target) | "
            f"{m['proven']}/{m['requests']} ({share:.0%}) | "
            f"{'met' if share >= PROVEN_SHARE_TARGET_1K else '**missed**'} |"
        )
    for size in sizes:
        m = run_quotes.summary(size)
        lines.append(
            f"| every answer valid (verifier) at {size.scheduled:,} operations | "
            f"{m['verified']}/{m['requests']} | "
            f"{'met' if m['verified'] == m['requests'] else '**missed**'} |"
        )
    if jssp_rows is not None:
        s = run_jssp.summary(jssp_rows)
        ok = s["engine_not_worse"] == s["instances"]
        lines.append(
            f"| JSSP makespans no worse than the plain model | "
            f"{s['engine_not_worse']}/{s['instances']} instances | "
            f"{'met' if ok else '**missed**'} |"
        )
    for check in checks or []:
        m = crosscheck.summary(check.rows)
        known = m["optimum_known"]
        lines.append(
            f"| at {check.operations} operations, against the plain model's proven optimum: "
            f"the lower bound is never above it, every answer called optimal is optimal | "
            f"faults on {m['faults']} of {m['requests']} requests (optimum proven for {known}); "
            f"bound = optimum on {m['bound_equals_optimum']}/{known}; "
            f"{m['claimed_correctly']}/{m['claimed_optimal']} optimality claims right | "
            f"{'met' if m['faults'] == 0 else '**missed**'} |"
        )
    return lines


def observations(sizes: list[run_quotes.SizeResult]) -> list[str]:
    """Plain statements computed from this run, so a rerun never leaves stale prose behind."""
    lines = []
    for size in sizes:
        m = run_quotes.summary(size)
        lines.append(
            f"- {size.scheduled:,} operations: the engine promised {m['promised']} of "
            f"{m['requests']} requests; its completion was earlier than appending to the queues "
            f"for {m['engine_beats_append']} (mean {run_quotes._fmt(m['append_earlier_hours'])} h "
            f"earlier, lead time ratio {run_quotes._fmt(m['lead_ratio'], 2)}). The plain "
            f"full-board model found a schedule for {m['plain_solved']} of the "
            f"{m['plain_tried']} requests it was given within the same time limit"
            + (
                f"; where it did, the engine was no later on {m['engine_not_worse_than_plain']}."
                if m["plain_solved"]
                else "."
            )
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run_all", description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--requests", type=int, default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jssp-time-limit", type=float, default=5.0)
    parser.add_argument("--skip-jssp", action="store_true")
    parser.add_argument("--skip-quotes", action="store_true")
    parser.add_argument("--skip-crosscheck", action="store_true")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument(
        "--refresh-includes",
        action="store_true",
        help="only re-carry the other commands' files (INCLUDED) into the output",
    )
    args = parser.parse_args(argv)
    if args.refresh_includes:
        refresh_includes(args.output)
        return 0

    header = machine_description()
    command = " ".join(["python -m bench.run_all", *(argv if argv is not None else sys.argv[1:])])
    started = time.perf_counter()
    sizes: list[run_quotes.SizeResult] = []
    if not args.skip_quotes:
        for text in args.sizes.split(","):
            plan = run_quotes.plan_for(int(text), requests=args.requests)
            sizes.append(run_quotes.run_size(plan, seed=args.seed, workers=args.workers))
            # written after every size, so a crash later still leaves the figures measured so far
            write(
                args,
                render(
                    args,
                    header,
                    command,
                    sizes,
                    None,
                    time.perf_counter() - started,
                    complete=False,
                ),
            )
    checks: list[CrossCheck] = []
    if not args.skip_crosscheck:
        for operations, seeds, plain_limit in CROSSCHECK_PLANS:
            rows = crosscheck.run(
                operations=operations,
                seeds=seeds,
                time_limit=CROSSCHECK_TIME_LIMIT,
                plain_time_limit=plain_limit,
                workers=args.workers,
            )
            checks.append(CrossCheck(operations, plain_limit, rows))
    jssp_rows = None
    if not args.skip_jssp:
        jssp_rows = run_jssp.run(time_limit=args.jssp_time_limit, workers=args.workers)
    write(
        args,
        render(
            args,
            header,
            command,
            sizes,
            jssp_rows,
            time.perf_counter() - started,
            complete=True,
            checks=checks,
        ),
    )
    return 0


# Benchmarks measured by other commands (they need PostgreSQL, Redis and a worker, or a browser)
# write their own files; their figures are carried into docs/benchmarks.md below this marker.
INCLUDE_MARKER = "<!-- included from the other benchmark commands' files; do not edit -->"
INCLUDED = (
    ("docs/benchmarks-e2e.md", "python -m bench.quote_e2e"),
    ("docs/benchmarks-anytime.md", "python -m bench.quote_e2e --anytime"),
    (
        "docs/benchmarks-anytime-quiet.md",
        "python -m bench.quote_e2e --anytime --reps 1,8 --portfolio 1 --output "
        "docs/benchmarks-anytime-quiet.md (a quiet machine)",
    ),
    (
        "docs/benchmarks-portfolio.md",
        "python -m bench.quote_e2e --anytime --quote-max-seconds 0 --output "
        "docs/benchmarks-portfolio.md",
    ),
    ("docs/benchmarks-anytime-reading.md", "(hand-written: reading of the two above, issue 15)"),
    ("docs/benchmarks-ui.md", "python -m bench.board_render"),
    ("docs/benchmarks-polish.md", "python -m bench.polish"),
    ("docs/benchmarks-headroom.md", "python -m bench.headroom"),
    (
        "docs/benchmarks-headroom-1k.md",
        "python -m bench.headroom --operations 1000 --requests 5 --limits 1,5,10,20 "
        "--output docs/benchmarks-headroom-1k.md",
    ),
    (
        "docs/benchmarks-headroom-3k.md",
        "python -m bench.headroom --operations 3000 --requests 5 --limits 1,5,10,20 "
        "--output docs/benchmarks-headroom-3k.md",
    ),
    (
        "docs/benchmarks-headroom-10k.md",
        "python -m bench.headroom --operations 10000 --requests 5 --limits 1,5,10,20 "
        "--output docs/benchmarks-headroom-10k.md",
    ),
    ("docs/benchmarks-dense.md", "python -m bench.dense"),
    ("docs/benchmarks-requested.md", "python -m bench.requested"),
    (
        "docs/benchmarks-requested-1worker.md",
        "python -m bench.requested --workers 1 --output docs/benchmarks-requested-1worker.md",
    ),
    ("docs/benchmarks-kept-rounds.md", "python -m bench.kept_rounds"),
    ("docs/benchmarks-search.md", "(hand-written: search approaches measured, issue 14)"),
)


def included_sections() -> str:
    parts = [INCLUDE_MARKER, ""]
    for relative, command in INCLUDED:
        path = ROOT / relative
        if not path.exists():
            parts += [f"*(`{relative}` not written yet: run `{command}`.)*", ""]
            continue
        body = path.read_text().strip()
        # Demote the file's headings one level so they sit under this document's sections.
        body = "\n".join("#" + line if line.startswith("#") else line for line in body.splitlines())
        parts += [f"*From `{relative}`, written by `{command}`:*", "", body, ""]
    return "\n".join(parts)


def write(args: argparse.Namespace, text: str) -> None:
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text.rstrip() + "\n\n" + included_sections())
    print(f"wrote {args.output}", file=sys.stderr)


def refresh_includes(output: Path) -> None:
    """Re-carry the other commands' figures without re-measuring this command's."""
    text = output.read_text()
    mine = text.split(INCLUDE_MARKER)[0]
    output.write_text(mine.rstrip() + "\n\n" + included_sections())
    print(f"refreshed the included sections of {output}", file=sys.stderr)


def render(
    args: argparse.Namespace,
    header: list[str],
    command: str,
    sizes: list[run_quotes.SizeResult],
    jssp_rows: list[run_jssp.Row] | None,
    seconds: float,
    *,
    complete: bool,
    checks: list[CrossCheck] | None = None,
) -> str:
    plans = ", ".join(
        f"{s.plan.operations:,} ops: {s.plan.requests} requests, time limit "
        f"{s.plan.time_limit:g} s, plain model on {s.plan.plain_requests}"
        for s in sizes
    )
    doc = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`.venv/bin/python -m bench.run_all`); rerun it to refresh "
        "every figure below. Nothing here is edited by hand.",
        "",
    ]
    if not complete:
        doc += ["**This run is incomplete: the file is rewritten as each part finishes.**", ""]
    doc += [
        "## Run",
        "",
        *header,
        f"- Command: `{command.strip()}` ({seconds / 60:.1f} min)",
        "",
        "## Targets",
        "",
        *targets(sizes, jssp_rows, checks),
        "",
    ]
    if sizes:
        doc += [
            "## Quotes on generated boards",
            "",
            "Boards come from `python -m bench.generate --operations N --seed S` (tens of work "
            "centers in families, two-shift / day-shift (Europe/Berlin) / round-the-clock "
            "calendars with the Christmas shutdown, capacity 2 on ovens, paint and assembly, "
            "alternative machines on some operations, orders of 3-8 operations released over "
            "weeks, a few operations already running, Saturday overtime as capacity options). "
            "The current schedule is a serial dispatch; each order's due date is then quoted "
            "tight (completion + buffer + 0-4 h; about 1 % already eating their buffer).",
            "",
            f"Per size: {plans}.",
            "",
            run_quotes.markdown(sizes, workers=args.workers, seed=args.seed),
            "",
            "Baselines: *append* is `scheduling.engine.solver.append_baseline` (the request "
            "after each machine's planned work, nothing replanned). *Plain CP-SAT* is "
            "`bench/plain_cpsat.py`, written independently of the engine: every open operation "
            "is a variable, pauses are modelled by start segments with a constant pause, "
            "NoOverlap/Cumulative per work center, existing promises as deadlines, the request's "
            "completion minimised; no freezing, windowing or hints. Its board part is built once "
            "per board (build time in the table) and it gets the same solve time limit as the "
            "engine's whole quote.",
            "",
            "### Observations from this run",
            "",
            *observations(sizes),
            "",
        ]
    if checks:
        doc += [
            "## Against an independent optimum",
            "",
            "`python -m bench.crosscheck` (docs/bench-methods.md): the engine at the 1k target's "
            "time limit beside the optimum proven by the plain model, on boards small enough for "
            "it to prove one. This is where the engine's lower bound and its optimality claims are "
            "checked, and where its search is measured against the best possible answer.",
            "",
        ]
        for check in checks:
            doc += [
                f"### {check.operations} operations",
                "",
                crosscheck.markdown(
                    check.rows,
                    operations=check.operations,
                    time_limit=CROSSCHECK_TIME_LIMIT,
                    plain_time_limit=check.plain_time_limit,
                ),
                "",
            ]
    if jssp_rows is not None:
        doc += [
            "## Job-shop instances (OR-Library)",
            "",
            run_jssp.markdown(jssp_rows, time_limit=args.jssp_time_limit, workers=args.workers),
            "",
        ]
    return "\n".join(doc)


if __name__ == "__main__":
    raise SystemExit(main())
