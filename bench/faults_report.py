"""docs/reliability.md from the phases of a fault run (`bench.faults`)."""

from __future__ import annotations

import argparse
import os
import platform
from datetime import UTC, datetime
from typing import Any

from bench.fault_clients import WAIT_LIMIT


def render(
    results: list[dict[str, Any]], args: argparse.Namespace, command: str, load: float
) -> str:
    lines = [
        "# Reliability under faults",
        "",
        "Written by `bench/faults.py` (`python -m bench.faults`; `--help` for its options). The",
        "same faults run in the test suite at a smaller scale (`tests/quoting/test_faults.py`,",
        "each with a 30 s recovery bound).",
        "",
        "How it runs: a fresh PostgreSQL database is filled with the demo shop; the stack below is",
        "started with a `redis-server` of its own (a 63xx port, no persistence: a restart loses",
        "every queued message; the shared Redis is never touched), the worker and beat each in",
        "their own process group (`bench/fault_stack.py`, shared with the fault tests). Simulated",
        "reps (threads) quote over HTTP with tokens, poll each quote until it is final and accept",
        "it (again after a 409: the board moved, the quote was re-solved); a scheduler thread",
        "approves pending proposals over HTTP (a rep confirms a later promise through the",
        "service, as the quote page does). The faults: every pool child SIGKILLed while solves",
        "run (the worker's main process hands the messages to new children); the worker's whole",
        "process group SIGKILLed mid-solve and a new worker started; the Redis server stopped",
        "while reps keep quoting (their quotes are kept, not sent) and started again empty;",
        "`pg_terminate_backend` of every connection to the bench database (web, worker) every",
        "0.25 s for 3 s. After each, the audit (`bench.fault_stack.audit`) reads the database",
        "alone: quotes not final, failed ones and whether their message is a raw driver error,",
        "broken promises, duplicates and half-written rows. Every process the bench starts is",
        "stopped before it exits.",
        "",
        f"- Run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, `{command}`",
        f"- Machine: {platform.machine()}, {os.cpu_count()} cores (shared), Python "
        f"{platform.python_version()}, load average {load:.2f} when the run started.",
        "- Stack: PostgreSQL, a throwaway redis-server without persistence, gunicorn (3 x 4 "
        "threads), one Celery worker (prefork, 2 children), Celery beat as its own process "
        "(sweep every 2 s, `SOLVE_STALE_SECONDS=10`), engine time limit "
        f"{args.time_limit:g} s; the demo shop (`seed_demo`).",
        f"- Storm: {args.reps} reps x {args.storm_quotes} quotes at once; each fault: "
        f"{args.fault_reps} reps x {args.fault_quotes} quotes, the fault injected once a solve "
        "of the batch is running. Reps accept every promised answer; a scheduler approves "
        "every proposal.",
        "- recovery = seconds from the fault clearing until every quote of the batch has reached "
        "a final state (answered, failed or cancelled; measured by polling every 0.2 s); "
        "stranded = a quote not final, or its proposal still undecided, "
        f"{WAIT_LIMIT:.0f} s after the reps and the scheduler are done. broken promises = the "
        "engine's verifier on the current schedule plus every committed promise checked "
        "against the one the rep agreed to.",
        "",
        "| phase | quotes | final | stranded | failed | recovery s | HTTP 500 | HTTP 503 "
        "| requests | broken promises | duplicates | half-written | raw errors shown |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        recovery = "-" if r["recovery"] is None else f"{r['recovery']:.1f}"
        lines.append(
            f"| {r['name']} | {r['submitted']} | {r['final']} | {len(r['stranded'])} | "
            f"{len(r['failed'])} | {recovery} | {r['http_500']} | {r['http_503']} | "
            f"{r['requests']} | {len(r['broken'])} | {len(r['duplicates'])} | "
            f"{len(r['half_written'])} | {len(r['raw_errors'])} |"
        )
    details = [
        (r["name"], kind, item)
        for r in results
        for kind in ("stranded", "failed", "raw_errors", "broken", "duplicates", "half_written")
        for item in r[kind]
    ]
    lines.append("")
    if details:
        lines.append("Findings:")
        lines.append("")
        lines += [f"- {name}, {kind}: {item}" for name, kind, item in details[:40]]
    else:
        lines.append(
            "No quote stranded or failed, no broken promise, duplicate or half-written row."
        )
    lines.append("")
    lines.append(
        "The storm row's recovery is the time from its start to every quote final (no fault "
        "to clear)."
    )
    return "\n".join(lines) + "\n"
