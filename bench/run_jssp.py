"""Classic job-shop instances: the engine's ``jssp`` command beside a plain CP-SAT model.

Both get the same time limit and workers. The engine runs as its command-line tool (a fresh
process, as a user would run it); the plain model runs in this process. Gaps are measured
against the optima published in the literature (table below).

Usage: ``python -m bench.run_jssp [--time-limit 5] [--workers 2] [--instances ft06,la01]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.plain_cpsat import read_orlib_jobshop, solve_jssp

ROOT = Path(__file__).resolve().parent.parent
# The public benchmark data lives in shared/, beside the repository.
ORLIB_FILE = ROOT / "bench" / "data" / "orlib-jobshop1.txt"

# Optimal makespans from the literature (Fisher & Thompson 1963; Lawrence 1984; as collected in
# OR-Library and JSPLIB). All 43 are proven optima; la29 (1152) was the last of them to be closed
# and older tables still show it as the range 1130-1157.
KNOWN_OPTIMA: dict[str, int] = {
    "ft06": 55,
    "ft10": 930,
    "ft20": 1165,
    "la01": 666,
    "la02": 655,
    "la03": 597,
    "la04": 590,
    "la05": 593,
    "la06": 926,
    "la07": 890,
    "la08": 863,
    "la09": 951,
    "la10": 958,
    "la11": 1222,
    "la12": 1039,
    "la13": 1150,
    "la14": 1292,
    "la15": 1207,
    "la16": 945,
    "la17": 784,
    "la18": 848,
    "la19": 842,
    "la20": 902,
    "la21": 1046,
    "la22": 927,
    "la23": 1032,
    "la24": 935,
    "la25": 977,
    "la26": 1218,
    "la27": 1235,
    "la28": 1216,
    "la29": 1152,
    "la30": 1355,
    "la31": 1784,
    "la32": 1850,
    "la33": 1719,
    "la34": 1721,
    "la35": 1888,
    "la36": 1268,
    "la37": 1397,
    "la38": 1196,
    "la39": 1233,
    "la40": 1222,
}
INSTANCES = tuple(KNOWN_OPTIMA)


@dataclass
class Row:
    instance: str
    size: str
    optimum: int
    engine: dict[str, Any]  # the engine command's JSON, or {"error": ...}
    plain_makespan: int | None
    plain_bound: int
    plain_seconds: float


def run_engine(instance: str, *, time_limit: float, workers: int) -> dict[str, Any]:
    """``python -m scheduling.engine jssp`` in a fresh process; its last stdout line is JSON."""
    command = [
        sys.executable,
        "-m",
        "scheduling.engine",
        "jssp",
        str(ORLIB_FILE),
        instance,
        "--time-limit",
        str(time_limit),
        "--workers",
        str(workers),
    ]
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=time_limit * 4 + 60, check=False
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        return {"error": f"exit {done.returncode}: {done.stderr.strip()[-300:]}", "wall": wall}
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    try:
        result: dict[str, Any] = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError) as error:
        return {"error": f"unreadable output ({error}): {done.stdout[-300:]!r}", "wall": wall}
    result["wall"] = wall
    return result


def impossible(result: dict[str, Any], optimum: int) -> str | None:
    """A makespan below a proven optimum (or a bound above it) is a wrong answer, not a win."""
    makespan, bound = result.get("makespan"), result.get("lower_bound")
    if makespan is not None and makespan < optimum:
        return f"makespan {makespan} below the proven optimum {optimum}"
    if bound is not None and bound > optimum:
        return f"lower bound {bound} above the proven optimum {optimum}"
    return None


def run(
    *,
    instances: tuple[str, ...] = INSTANCES,
    time_limit: float = 5.0,
    workers: int = 2,
    echo: bool = True,
) -> list[Row]:
    rows = []
    for name in instances:
        shop = read_orlib_jobshop(ORLIB_FILE, name)
        engine = run_engine(name, time_limit=time_limit, workers=workers)
        wrong = impossible(engine, KNOWN_OPTIMA[name])
        if wrong is not None:
            engine = {"error": f"wrong answer: {wrong}", "wall": engine["wall"]}
        plain = solve_jssp(shop, time_limit=time_limit, workers=workers)
        wrong = impossible(
            {"makespan": plain.makespan, "lower_bound": plain.lower_bound}, KNOWN_OPTIMA[name]
        )
        if wrong is not None:
            raise AssertionError(f"{name}: the plain model gave a wrong answer: {wrong}")
        row = Row(
            name,
            f"{len(shop.jobs)}x{shop.machines}",
            KNOWN_OPTIMA[name],
            engine,
            plain.makespan,
            plain.lower_bound,
            plain.seconds,
        )
        rows.append(row)
        if echo:
            print(
                f"{name}: engine {engine.get('makespan', engine.get('error'))} "
                f"plain {plain.makespan} (optimum {row.optimum})",
                file=sys.stderr,
                flush=True,
            )
    return rows


def _gap(value: int | None, optimum: int) -> str:
    return "-" if value is None else f"{100 * (value - optimum) / optimum:.1f} %"


def markdown(rows: list[Row], *, time_limit: float, workers: int) -> str:
    lines = [
        f"Time limit {time_limit:g} s per instance and model, {workers} workers. Engine: "
        f"`python -m scheduling.engine jssp {ORLIB_FILE} NAME --time-limit {time_limit:g} "
        f"--workers {workers}` (its own process; *s* is the seconds it reports, *wall* includes "
        "Python start-up). Plain: textbook CP-SAT model in `bench/plain_cpsat.py` (intervals, "
        "NoOverlap per machine, precedences, minimise makespan). Gap = (makespan - optimum) / "
        "optimum.",
        "",
        "| instance | size | optimum | engine makespan | engine bound | engine gap | engine s "
        "| engine wall s | plain makespan | plain bound | plain gap | plain s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        e = r.engine
        if "error" in e:
            engine_cells = f"error: {e['error'][:80]} | | | | {e['wall']:.1f}"
        else:
            engine_cells = (
                f"{e.get('makespan')} | {e.get('lower_bound')} | "
                f"{_gap(e.get('makespan'), r.optimum)} | {e.get('seconds', 0):.2f} | "
                f"{e['wall']:.1f}"
            )
        lines.append(
            f"| {r.instance} | {r.size} | {r.optimum} | {engine_cells} | {r.plain_makespan} | "
            f"{r.plain_bound} | {_gap(r.plain_makespan, r.optimum)} | {r.plain_seconds:.2f} |"
        )
    s = summary(rows)
    errors = f", errors on {s['engine_errors']}" if s["engine_errors"] else ""
    lines += [
        "",
        f"Engine makespan no worse than the plain model on **{s['engine_not_worse']} of "
        f"{s['instances']}** instances (strictly better on {s['engine_better']}, worse on "
        f"{s['engine_worse']}{errors}). "
        f"Optimum reached: engine {s['engine_optimal']}, plain {s['plain_optimal']}. "
        f"Mean gap to the optimum: engine {s['engine_mean_gap']:.2f} %, plain "
        f"{s['plain_mean_gap']:.2f} %.",
    ]
    return "\n".join(lines)


def summary(rows: list[Row]) -> dict[str, Any]:
    ok = [r for r in rows if "error" not in r.engine and r.engine.get("makespan") is not None]
    big = 10**9
    solved = [r for r in rows if r.plain_makespan is not None]

    def engine_value(r: Row) -> int:
        return int(r.engine["makespan"])

    return {
        "instances": len(rows),
        "engine_errors": len(rows) - len(ok),
        "engine_not_worse": sum(engine_value(r) <= (r.plain_makespan or big) for r in ok),
        "engine_better": sum(engine_value(r) < (r.plain_makespan or big) for r in ok),
        "engine_worse": sum(engine_value(r) > (r.plain_makespan or big) for r in ok),
        "engine_optimal": sum(engine_value(r) == r.optimum for r in ok),
        "plain_optimal": sum(r.plain_makespan == r.optimum for r in rows),
        "engine_mean_gap": (
            sum(100 * (engine_value(r) - r.optimum) / r.optimum for r in ok) / len(ok)
        )
        if ok
        else float("nan"),
        "plain_mean_gap": (
            sum(100 * ((r.plain_makespan or 0) - r.optimum) / r.optimum for r in solved)
            / len(solved)
        )
        if solved
        else float("nan"),
        "plain_unsolved": len(rows) - len(solved),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run_jssp", description=__doc__)
    parser.add_argument("--time-limit", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--instances", default=",".join(INSTANCES))
    args = parser.parse_args(argv)
    names = tuple(n.strip() for n in args.instances.split(",") if n.strip())
    unknown = [n for n in names if n not in KNOWN_OPTIMA]
    if unknown:
        parser.error(f"no known optimum for {unknown}")
    rows = run(instances=names, time_limit=args.time_limit, workers=args.workers)
    print(markdown(rows, time_limit=args.time_limit, workers=args.workers))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
