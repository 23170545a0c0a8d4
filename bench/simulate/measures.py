"""What each run measured, and the confidence intervals over the replications."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import mean, stdev

from bench.simulate.disturbances import WEEK
from bench.simulate.floor import Simulation
from bench.simulate.state import DAY

# Student's t, 97.5 % quantile, by degrees of freedom (two-sided 95 % interval); beyond 30 the
# normal 1.96 is within 2 % of it.
_T975 = {
    1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262,
    10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110,
    18: 2.101, 19: 2.093, 20: 2.086, 25: 2.060, 30: 2.042,
}  # fmt: skip

# (key, label, unit)
MEASURES: tuple[tuple[str, str, str], ...] = (
    ("on_time", "On-time delivery (against the promise current at delivery)", "%"),
    ("on_time_first", "On-time against the first promise given", "%"),
    ("quoted_mean", "Quoted lead time, mean", "days"),
    ("quoted_p95", "Quoted lead time, 95th percentile", "days"),
    ("quoted_late_mean", "Quoted lead time, mean, last third of the run", "days"),
    ("actual_mean", "Actual lead time, mean (orders that arrived and were delivered)", "days"),
    ("throughput", "Throughput", "orders/week"),
    ("overtime", "Overtime bought", "hours"),
    ("wip", "Work in progress (orders in the shop, time average)", "orders"),
    ("expedites", "Expedites", "orders"),
    ("promises_changed", "Promises changed", "orders"),
)


def t975(df: int) -> float:
    if df <= 0:
        return float("nan")
    if df in _T975:
        return _T975[df]
    known = max(k for k in _T975 if k <= df)
    return _T975[known] if df <= 30 else 1.96


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class RunMeasures:
    policy: str
    replication: int
    values: dict[str, float]
    weekly: list[dict[str, float]]
    arrivals: int
    deliveries: int
    late: int
    late_new: int  # late deliveries of orders promised during the run
    engine_calls: int
    fallbacks: int
    requested_kept: int
    seconds: float
    notes: list[str] = field(default_factory=list)


def measure(sim: Simulation, *, replication: int, seconds: float) -> RunMeasures:
    books = sim.books
    weeks = sim.horizon / WEEK
    deliveries = books.deliveries
    on_time = [d for d in deliveries if d.at <= d.promise]
    first_kept = [d for d in deliveries if d.at <= sim.jobs[d.order].promises[0][1]]
    quoted = [(promise - at) / DAY for _, at, promise in books.quotes]
    last_third = [
        (promise - at) / DAY for _, at, promise in books.quotes if at >= sim.horizon * 2 / 3
    ]
    actual = [(d.at - d.arrival) / DAY for d in deliveries if d.is_new]
    values = {
        "on_time": 100 * len(on_time) / len(deliveries) if deliveries else float("nan"),
        "on_time_first": (100 * len(first_kept) / len(deliveries) if deliveries else float("nan")),
        "quoted_mean": mean(quoted) if quoted else float("nan"),
        "quoted_p95": percentile(quoted, 95),
        "quoted_late_mean": mean(last_third) if last_third else float("nan"),
        "actual_mean": mean(actual) if actual else float("nan"),
        "throughput": len(deliveries) / weeks,
        "overtime": books.overtime_minutes / 60,
        "wip": books.wip_minutes / sim.horizon,
        "expedites": float(books.expedites),
        "promises_changed": float(books.promises_changed),
    }
    late = [d for d in deliveries if d.at > d.promise]
    return RunMeasures(
        policy=sim.policy.name,
        replication=replication,
        values=values,
        weekly=list(sim.weekly),
        arrivals=len(books.arrivals),
        deliveries=len(deliveries),
        late=len(late),
        late_new=sum(d.is_new for d in late),
        engine_calls=books.engine_calls,
        fallbacks=books.fallbacks,
        requested_kept=books.requested_kept,
        seconds=seconds,
    )


@dataclass(frozen=True)
class Interval:
    mean: float
    half_width: float  # 95 % confidence, Student's t over the replications (nan with one)
    n: int


def interval(values: list[float]) -> Interval:
    finite = [v for v in values if not math.isnan(v)]
    if not finite:
        return Interval(float("nan"), float("nan"), 0)
    if len(finite) == 1:
        return Interval(finite[0], float("nan"), 1)
    half = t975(len(finite) - 1) * stdev(finite) / math.sqrt(len(finite))
    return Interval(mean(finite), half, len(finite))


def summarise(runs: list[RunMeasures]) -> dict[str, dict[str, Interval]]:
    """policy -> measure -> interval over its replications."""
    by_policy: dict[str, list[RunMeasures]] = {}
    for run in runs:
        by_policy.setdefault(run.policy, []).append(run)
    return {
        policy: {key: interval([r.values[key] for r in group]) for key, _, _ in MEASURES}
        for policy, group in by_policy.items()
    }


def weekly_means(runs: list[RunMeasures], policy: str) -> list[tuple[int, float, float]]:
    """(week, on-time %, mean quoted lead in days) pooled over the policy's replications."""
    weeks: dict[int, list[dict[str, float]]] = {}
    for run in runs:
        if run.policy == policy:
            for row in run.weekly:
                weeks.setdefault(int(row["week"]), []).append(row)
    series = []
    for week in sorted(weeks):
        rows = weeks[week]
        delivered = sum(r["delivered"] for r in rows)
        on_time = 100 * sum(r["on_time"] for r in rows) / delivered if delivered else float("nan")
        leads = [r["quoted_lead_days"] for r in rows if not math.isnan(r["quoted_lead_days"])]
        series.append((week, on_time, mean(leads) if leads else float("nan")))
    return series
