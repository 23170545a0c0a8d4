"""Running the policies over the replications: the same disturbances for every policy."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from bench.simulate.disturbances import DisturbanceParams, Disturbances, draw
from bench.simulate.floor import Simulation
from bench.simulate.measures import RunMeasures, measure
from bench.simulate.policies import EngineSettings, make_policy
from bench.simulate.state import DAY, Books
from scheduling.engine import Board

POLICIES = ("yes", "insert", "promise")


@dataclass(frozen=True)
class Config:
    weeks: int = 12
    seed: int = 1
    replications: int = 5
    policies: tuple[str, ...] = POLICIES
    engine: EngineSettings = field(default_factory=EngineSettings)
    # The most a capacity option may cost for the promise policy to buy it on its own to meet
    # a customer's requested date (in the board's currency): the demo's Saturday shifts.
    option_cost_limit: float = 2000.0
    params: DisturbanceParams = field(default_factory=DisturbanceParams)


@dataclass
class Outcome:
    config: Config
    board: Board
    board_name: str
    runs: list[RunMeasures]
    disturbances: list[Disturbances]
    books: list[tuple[str, int, Books]]  # (policy, replication, books)
    seconds: float
    same_disturbances: bool  # every policy saw the same arrivals and breakdowns, per replication
    simulations: list[Simulation] = field(default_factory=list)  # with ``keep`` only


class ProgressLine:
    """One line on the terminal, rewritten in place: which run, weeks simulated, engine calls."""

    def __init__(self, config: Config, stream: TextIO | None = None) -> None:
        self.config = config
        self.stream = stream if stream is not None else sys.stderr
        self.started = time.perf_counter()
        self.total_runs = config.replications * len(config.policies)
        self.runs_done = 0
        self.calls = 0

    def __call__(self, sim: Simulation) -> None:
        weeks = self.config.weeks
        done = self.runs_done * weeks + sim.t / (7 * DAY)
        share = done / (self.total_runs * weeks)
        width = 24
        bar = "#" * int(share * width) + "-" * (width - int(share * width))
        elapsed = time.perf_counter() - self.started
        self.stream.write(
            f"\r[{bar}] {sim.policy.name:<7} run {self.runs_done + 1}/{self.total_runs} "
            f"week {sim.t / (7 * DAY):4.1f}/{weeks}  engine calls "
            f"{self.calls + sim.books.engine_calls}  {elapsed / 60:5.1f} min"
        )
        self.stream.flush()

    def finished(self, sim: Simulation) -> None:
        self.calls += sim.books.engine_calls
        self.runs_done += 1

    def close(self) -> None:
        elapsed = time.perf_counter() - self.started
        self.stream.write(
            f"\nSimulated {self.total_runs} runs in {elapsed / 60:.1f} min "
            f"({self.calls} engine calls)\n"
        )
        self.stream.flush()


def simulate(
    board: Board,
    config: Config,
    *,
    board_name: str = "board",
    keep: bool = False,
    progress: ProgressLine | None = None,
    on_run: Callable[[RunMeasures], None] | None = None,
) -> Outcome:
    started = time.perf_counter()
    runs: list[RunMeasures] = []
    drawn: list[Disturbances] = []
    books: list[tuple[str, int, Books]] = []
    same = True
    kept: list[Simulation] = []
    for replication in range(config.replications):
        disturbances = draw(
            board,
            weeks=config.weeks,
            seed=config.seed,
            replication=replication,
            params=config.params,
        )
        drawn.append(disturbances)
        seen: list[tuple[list[str], list[object]]] = []
        for name in config.policies:
            policy = make_policy(name, config.engine, config.option_cost_limit)
            sim = Simulation(
                board,
                disturbances,
                policy,
                weeks=config.weeks,
                keep_commits=keep,
                on_progress=progress,
            )
            run_started = time.perf_counter()
            sim.run()
            result = measure(
                sim, replication=replication, seconds=time.perf_counter() - run_started
            )
            runs.append(result)
            books.append((name, replication, sim.books))
            if keep:
                kept.append(sim)
            seen.append((sim.books.arrivals, list(sim.books.breakdowns_seen)))
            if progress is not None:
                progress.finished(sim)
            if on_run is not None:
                on_run(result)
        same = same and all(s == seen[0] for s in seen)
    if progress is not None:
        progress.close()
    return Outcome(
        config=config,
        board=board,
        board_name=board_name,
        runs=runs,
        disturbances=drawn,
        books=books,
        seconds=time.perf_counter() - started,
        same_disturbances=same,
        simulations=kept,
    )
