"""docs/outcome.md: what the simulation found, with its tables and charts."""

from __future__ import annotations

import math
from pathlib import Path
from statistics import mean

from bench.simulate.disturbances import WEEK
from bench.simulate.measures import MEASURES, Interval, RunMeasures, summarise, weekly_means
from bench.simulate.policies import AT_RISK_RATIO, PAD_STEP, PAD_TARGET
from bench.simulate.run import Outcome

ON_TIME_TARGET = 98.0
LEAD_RATIO_TARGET = 1 / 3
COLOURS = {"yes": "#c0392b", "insert": "#7f8c8d", "promise": "#1f6fb2"}


def _fmt(value: Interval, unit: str) -> str:
    if math.isnan(value.mean):
        return "n/a"
    digits = 0 if unit in ("orders", "hours") and value.mean >= 100 else 1
    text = f"{value.mean:.{digits}f}"
    if not math.isnan(value.half_width):
        text += f" ± {value.half_width:.{digits}f}"
    return text


def plot(outcome: Outcome, images: Path, stem: str) -> list[str]:
    """The charts as PNG files in ``images``; their file names (none without matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    images.mkdir(parents=True, exist_ok=True)
    policies = outcome.config.policies
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6.5), sharex=True)
    for policy in policies:
        series = weekly_means(outcome.runs, policy)
        weeks = [w for w, _, _ in series]
        colour = COLOURS.get(policy)
        top.plot(weeks, [o for _, o, _ in series], marker="o", label=policy, color=colour)
        bottom.plot(weeks, [q for _, _, q in series], marker="o", label=policy, color=colour)
    top.axhline(ON_TIME_TARGET, color="black", linewidth=0.8, linestyle="--")
    top.set_ylabel("on-time delivery (%)")
    top.set_title("Week by week, pooled over the replications")
    top.legend(loc="lower left")
    bottom.set_ylabel("mean quoted lead time (days)")
    bottom.set_xlabel("week of the run")
    bottom.set_ylim(bottom=0)
    figure.tight_layout()
    weekly = f"{stem}-weekly.png"
    figure.savefig(images / weekly, dpi=110)
    plt.close(figure)

    summary = summarise(outcome.runs)
    keys = [("on_time", "on-time %"), ("on_time_first", "on time, first promise %"),
            ("quoted_mean", "quoted lead (d)"),
            ("actual_mean", "actual lead (d)"), ("throughput", "orders/week")]  # fmt: skip
    figure, axes = plt.subplots(1, len(keys), figsize=(13, 3.2))
    for axis, (key, label) in zip(axes, keys, strict=True):
        means = [summary[p][key].mean for p in policies]
        errors = [0 if math.isnan(summary[p][key].half_width) else summary[p][key].half_width
                  for p in policies]  # fmt: skip
        axis.bar(policies, means, yerr=errors, capsize=4,
                 color=[COLOURS.get(p, "grey") for p in policies])  # fmt: skip
        axis.set_title(label)
    figure.suptitle("Per policy: mean over the replications, 95 % confidence interval")
    figure.tight_layout()
    measures = f"{stem}-measures.png"
    figure.savefig(images / measures, dpi=110)
    plt.close(figure)
    return [weekly, measures]


def _targets(summary: dict[str, dict[str, Interval]], runs: list[RunMeasures]) -> list[str]:
    if "promise" not in summary or "yes" not in summary:
        return ["(The targets compare `promise` with `yes`; run both to judge them.)"]
    promise, yes = summary["promise"], summary["yes"]
    lines = ["| Target | `promise` | `yes` | Met? |", "| --- | --- | --- | --- |"]
    on_time = promise["on_time"].mean
    lines.append(
        f"| On-time delivery >= {ON_TIME_TARGET:.0f} % | {on_time:.1f} % | "
        f"{yes['on_time'].mean:.1f} % | {'yes' if on_time >= ON_TIME_TARGET else 'no'} |"
    )
    ratio = promise["quoted_late_mean"].mean / yes["quoted_late_mean"].mean
    lines.append(
        f"| Mean quoted lead, last third of the run, <= 1/3 of `yes`'s | "
        f"{promise['quoted_late_mean'].mean:.1f} d | {yes['quoted_late_mean'].mean:.1f} d | "
        f"{'yes' if ratio <= LEAD_RATIO_TARGET else 'no'} (ratio {ratio:.2f}) |"
    )
    throughput = promise["throughput"].mean
    lines.append(
        f"| Throughput no lower | {throughput:.1f} /week | {yes['throughput'].mean:.1f} /week "
        f"| {'yes' if throughput >= yes['throughput'].mean else 'no'} |"
    )
    return lines


def _why(outcome: Outcome, summary: dict[str, dict[str, Interval]]) -> list[str]:
    """Evidence for each target missed, from the books."""
    if "promise" not in summary or "yes" not in summary:
        return []
    runs = [r for r in outcome.runs if r.policy == "promise"]
    yes_runs = [r for r in outcome.runs if r.policy == "yes"]
    lines: list[str] = []
    promise, yes = summary["promise"], summary["yes"]
    late = sum(r.late for r in runs)
    late_new = sum(r.late_new for r in runs)
    delivered = sum(r.deliveries for r in runs)
    lateness = sorted(
        (d.at - d.promise) / 60
        for name, _, books in outcome.books
        if name == "promise"
        for d in books.deliveries
        if d.at > d.promise
    )
    if promise["on_time"].mean < ON_TIME_TARGET:
        lines.append(
            f"- On-time missed: {late} of {delivered} deliveries late over the replications "
            f"({late_new} of them promised during the run, {late - late_new} promised on the "
            f"board before it), by {mean(lateness):.1f} h on average (median "
            f"{lateness[len(lateness) // 2]:.1f} h). The simulation's causes are processing "
            "times longer than planned (the planners know the planned minutes only) and "
            "breakdowns that planners learn of when they happen. An order is re-promised only "
            "when a check (every morning, after each breakdown, or when a quote finds the board "
            "broken) projects it past its promise; an order that slips after the last check "
            "before its delivery is delivered late against a promise nobody revised."
        )
    else:
        lines.append(
            f"- On-time met against the promise current at delivery: {late} of {delivered} "
            "deliveries late over the replications."
        )
    if promise["promises_changed"].mean > 0:
        params = outcome.config.params
        lost = params.mttr_hours / (params.mtbf_hours + params.mttr_hours)
        first = " ".join(
            f"`{p}` {summary[p]['on_time_first'].mean:.1f} %," for p in summary if p != "promise"
        )
        lines.append(
            f"- But `promise` changed {promise['promises_changed'].mean:.0f} promises per run "
            f"(re-promised when a check found them unkeepable): against the first promise "
            f"given it delivered {promise['on_time_first'].mean:.1f} % on time ({first} "
            "whose promises never change). Why: the planners plan on the planned minutes, while "
            f"the floor needs {params.processing_mean:g} times as long on average and loses "
            f"about {lost:.1%} of its working time to breakdowns; schedules packed up to the "
            "protected dates (the requested date kept with the fewest moves, or the earliest "
            "completion + buffer) leave no room for either, so the checks keep finding orders "
            "that can no longer make it. What this suggests fixing: quote on calibrated minutes "
            "(the floor's actual / planned ratio) with an allowance for breakdowns, so that a "
            "promise keeps the slack reality takes."
        )
    ratio = promise["quoted_late_mean"].mean / yes["quoted_late_mean"].mean
    kept = sum(r.requested_kept for r in runs)
    quotes = sum(r.arrivals for r in runs)
    if ratio > LEAD_RATIO_TARGET:
        lines.append(
            f"- Lead time ratio missed ({ratio:.2f}): `promise` keeps the customer's requested "
            f"date whenever it can ({kept} of {quotes} quotes did) and otherwise promises the "
            "earliest date it finds, so its quoted lead is never below what the customer asked "
            "for; `yes` quotes what the customer asked plus its padding "
            f"({yes['quoted_late_mean'].mean:.1f} d in the last third of the run, against "
            f"{promise['quoted_late_mean'].mean:.1f} d for `promise`). A ratio of 1/3 needs "
            "`yes`'s padding to reach twice the requested lead time plus three times whatever "
            "`promise` quotes beyond the requested date: the padding spiral has to run much "
            "longer than this run for that."
        )
    cost = [books.overtime_cost for name, _, books in outcome.books if name == "promise"]
    if promise["overtime"].mean > 0:
        lines.append(
            f"- Throughput and lead times of `promise` include the capacity it bought: "
            f"{promise['overtime'].mean:.0f} hours of overtime per run (cost "
            f"{mean(cost):.0f} on average), which `yes` and `insert` never buy."
        )
    if promise["throughput"].mean < yes["throughput"].mean:
        lines.append(
            f"- Throughput lower: {promise['throughput'].mean:.1f} against "
            f"{yes['throughput'].mean:.1f} orders/week; deliveries in a finite run depend on "
            "which orders were sequenced first (`yes` runs the queue without idling, the plan "
            "can hold a machine for a planned operation)."
        )
    if yes_runs:
        lines.append(
            f"- `yes` expedited {mean(r.values['expedites'] for r in yes_runs):.0f} orders per "
            "run on average."
        )
    return lines


def render(outcome: Outcome, *, header: list[str], command: str, images: list[str]) -> str:
    config = outcome.config
    summary = summarise(outcome.runs)
    board = outcome.board
    policies = config.policies
    params = config.params
    drawn = outcome.disturbances
    arrivals = [len(d.arrivals) for d in drawn]
    breakdowns = [len(d.breakdowns) for d in drawn]
    lines = [
        "# Does it break the vicious cycle? The shop simulation",
        "",
        "Generated by `python -m bench.simulate` (issue 18): the three promising policies run "
        "side by side on the real engine, on the same disturbances.",
        "",
        f"Command: `{command}`",
        "",
        *header,
        f"- Run time: {outcome.seconds / 60:.1f} min for {len(outcome.runs)} runs "
        f"({sum(r.engine_calls for r in outcome.runs)} engine calls)",
        "",
        "## Configuration",
        "",
        f"- Shop: `{outcome.board_name}`: {len(board.work_centers)} work centers, "
        f"{len(board.calendars)} calendars, {len(board.capacity_options or ())} capacity "
        f"options, {len(board.orders)} open orders on the board at the start (their routings "
        "are the product mix new orders are drawn from).",
        f"- {config.weeks} weeks, {config.replications} replications, seed {config.seed}, "
        f"policies {', '.join(policies)}.",
        f"- Engine: `quote` time limit {config.engine.time_limit:g} s, `check` "
        f"{config.engine.check_time_limit:g} s, {config.engine.workers} CP-SAT worker(s); "
        f"capacity bought on its own by `promise` up to {config.option_cost_limit:g} per option.",
        "",
        "## Disturbances (identical for every policy: common random numbers)",
        "",
        f"- Arrivals: Poisson on working days, {params.office_hours[0] // 60}:00-"
        f"{params.office_hours[1] // 60}:00 shop time; the rate loads the busiest work center "
        f"to {params.load:.0%} of its capacity ({drawn[0].rate_per_week:.1f} orders/week); "
        f"bursts on {params.burst_probability:.0%} of days at {params.burst_factor:g}x the "
        f"ordinary rate. Drawn: {mean(arrivals):.0f} orders per replication "
        f"(min {min(arrivals)}, max {max(arrivals)}).",
        "- Product and quantity: a routing of one of the board's orders, uniformly, its minutes "
        f"scaled by a quantity factor drawn from {list(params.sizes)}.",
        f"- Requested lead time: uniform {params.requested_fraction[0]:g}-"
        f"{params.requested_fraction[1]:g} x the board's median promised lead time "
        f"({drawn[0].standard_lead / 1440:.1f} days), at least one day: customers ask for less "
        "than the shop quotes.",
        f"- Processing time: planned minutes x a lognormal factor per operation, mean "
        f"{params.processing_mean:g}, sigma {params.processing_sigma:g} (of the log).",
        f"- Breakdowns per work center: exponential time between failures, mean "
        f"{params.mtbf_hours:g} working hours; repair exponential, mean {params.mttr_hours:g} "
        f"working hours (at least 15 minutes). Drawn: {mean(breakdowns):.0f} per replication. "
        "The floor knows them all; planners learn of one when it happens, with its repair time.",
        "",
        "## Policies",
        "",
        f"- `yes`: promise the requested date (+ padding); append to each queue; expedite daily "
        f"orders late or at risk (working time to the promise < {AT_RISK_RATIO:g} x remaining "
        f"work); after a week below {PAD_TARGET:.0%} on time, {PAD_STEP // 1440} more days of "
        "padding on every later promise.",
        "- `insert`: plan rolled forward (shifted right in sequence), the new order in the "
        "earliest gaps moving nothing, promise = completion + buffer; never re-promises.",
        "- `promise`: the engine's `quote` (requested date kept when feasible, else earliest), a "
        "capacity option when the requested date needs it and costs at most the limit; `check` "
        "after every breakdown and every morning; orders the least-late schedule finishes after "
        "their promise are re-promised (completion + buffer); every commit passes `verify`.",
        "- Floor: plan-following policies start the plan's next operation on each work center "
        "(early when nothing planned before it is still to start; never on another work "
        "center); `yes` starts its queue's head. An operation pauses over non-working time and "
        "breakdowns.",
        "",
        "## Results",
        "",
        "Mean over the replications ± half-width of the 95 % confidence interval (Student's t). "
        "On-time: deliveries during the run at or before the promise current when delivered. "
        "Quoted lead: promise minus arrival of the orders that arrived. Throughput: orders "
        "delivered per week.",
        "",
        "| Measure | " + " | ".join(f"`{p}`" for p in policies) + " |",
        "| --- | " + " | ".join("---" for _ in policies) + " |",
    ]
    for key, label, unit in MEASURES:
        cells = " | ".join(_fmt(summary[p][key], unit) for p in policies)
        lines.append(f"| {label} ({unit}) | {cells} |")
    lines += ["", "## Against the targets", "", *_targets(summary, outcome.runs), ""]
    lines += _why(outcome, summary)
    lines += ["", "## Week by week", ""]
    if images:
        lines += [f"![{name}]({name})" for name in images]
        lines.append("")
    else:
        lines += ["(No charts: install the `plots` extra, `pip install -e '.[plots]'`.)", ""]
    lines.append("| Week | " + " | ".join(f"`{p}` on-time % / quoted d" for p in policies) + " |")
    lines.append("| --- | " + " | ".join("---" for _ in policies) + " |")
    series = {p: weekly_means(outcome.runs, p) for p in policies}
    for index in range(config.weeks):
        row: list[str] = []
        for p in policies:
            if index < len(series[p]):
                _, on_time, lead = series[p][index]
                row.append(f"{on_time:.1f} / {lead:.1f}")
            else:
                row.append("n/a")
        lines.append(f"| {index + 1} | " + " | ".join(row) + " |")
    lines += [
        "",
        "## The books of each run",
        "",
        f"Every policy saw the same arrivals and breakdowns in each replication: "
        f"{'yes' if outcome.same_disturbances else 'NO'}.",
        "",
        "| Policy | Replication | Arrived | Delivered | Late | Engine calls | Fallbacks | "
        "Requested date kept | Seconds |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for run in outcome.runs:
        lines.append(
            f"| {run.policy} | {run.replication + 1} | {run.arrivals} | {run.deliveries} | "
            f"{run.late} | {run.engine_calls} | {run.fallbacks} | {run.requested_kept} | "
            f"{run.seconds:.0f} |"
        )
    lines += [
        "",
        f"Fallbacks: quotes for which the engine found no schedule within its time limit, "
        f"promised by the gap insertion instead. Horizon: {config.weeks * WEEK} minutes.",
        "",
    ]
    return "\n".join(lines)
