"""``python -m bench.simulate``: the three promising policies side by side, on the real engine.

Usage: ``python -m bench.simulate [--board BOARD.json] [--weeks 12] [--seed 1]
[--replications 5] [--policies yes,insert,promise] [--time-limit 0.5] [--check-time-limit 2]
[--workers 1] [--option-cost-limit 2000] [--output docs/outcome.md]``

The shop is the demo shop (``bench/data/demo-shop.board.json``, what ``seed_demo`` builds and
``board_export`` writes) unless ``--board`` names another board/1 file. Writes the report and
its charts (``docs/outcome-*.png``, with the ``plots`` extra installed) next to it; a progress
line on the terminal says how far the run is. No Django needed.
"""

from __future__ import annotations

import argparse
import json
import pickle
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.simulate.policies import EngineSettings
from bench.simulate.report import plot, render
from bench.simulate.run import POLICIES, Config, Outcome, ProgressLine, simulate
from scheduling.engine import Board, BoardError, load_board

ROOT = Path(__file__).resolve().parents[2]
DEMO_BOARD = ROOT / "bench" / "data" / "demo-shop.board.json"
DEFAULT_OUTPUT = ROOT / "docs" / "outcome.md"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.simulate", description=__doc__)
    p.add_argument("--board", help="a board/1 JSON file (default: the demo shop)")
    p.add_argument("--weeks", type=int, default=12)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--replications", type=int, default=5)
    p.add_argument("--policies", default=",".join(POLICIES))
    p.add_argument("--time-limit", type=float, default=0.5, help="seconds per engine quote")
    p.add_argument("--check-time-limit", type=float, default=2.0, help="seconds per check")
    p.add_argument("--workers", type=int, default=1, help="CP-SAT workers (1: reproducible)")
    p.add_argument("--option-cost-limit", type=float, default=2000.0)
    p.add_argument("--output", default=str(DEFAULT_OUTPUT))
    p.add_argument("--save", help="also keep the run's results in this file (pickle)")
    p.add_argument(
        "--from-saved", help="write the report from results kept with --save; simulate nothing"
    )
    return p


def config_from(args: argparse.Namespace) -> Config:
    policies = tuple(p.strip() for p in args.policies.split(",") if p.strip())
    unknown = [p for p in policies if p not in POLICIES]
    if unknown or not policies:
        raise ValueError(f"--policies: unknown {', '.join(unknown) or '(none given)'}")
    for name in ("weeks", "replications", "workers"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name} must be at least 1")
    if args.time_limit <= 0 or args.check_time_limit <= 0:
        raise ValueError("--time-limit and --check-time-limit must be positive")
    return Config(
        weeks=args.weeks,
        seed=args.seed,
        replications=args.replications,
        policies=policies,
        engine=EngineSettings(
            time_limit=args.time_limit,
            check_time_limit=args.check_time_limit,
            workers=args.workers,
            seed=args.seed,
        ),
        option_cost_limit=args.option_cost_limit,
    )


def write_report(outcome: Outcome, output: Path, command: str) -> None:
    from bench.run_all import machine_description

    output.parent.mkdir(parents=True, exist_ok=True)
    images = plot(outcome, output.parent, output.stem)
    text = render(outcome, header=machine_description(), command=command, images=images)
    output.write_text(text)


def run(board: Board, args: argparse.Namespace, *, board_name: str, command: str) -> Outcome:
    config = config_from(args)
    outcome = simulate(board, config, board_name=board_name, progress=ProgressLine(config))
    if args.save:
        with open(args.save, "wb") as handle:
            pickle.dump((outcome, command), handle)
    write_report(outcome, Path(args.output), command)
    print(f"Wrote {args.output} (run took {outcome.seconds / 60:.1f} min)")
    return outcome


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.from_saved:
        # Our own file, written by --save above: trusted input, like the code itself.
        with open(args.from_saved, "rb") as handle:
            outcome, command = pickle.load(handle)
        write_report(outcome, Path(args.output), command)
        print(f"Wrote {args.output} from {args.from_saved}")
        return 0
    path = Path(args.board) if args.board else DEMO_BOARD
    try:
        board = load_board(json.loads(path.read_text()))
        config_from(args)
    except (OSError, ValueError, BoardError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    words = "python -m bench.simulate " + shlex.join(argv if argv is not None else sys.argv[1:])
    name = path.relative_to(ROOT) if path.resolve().is_relative_to(ROOT) else path
    run(board, args, board_name=str(name), command=words.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
