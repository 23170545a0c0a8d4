"""Seeded generator of realistic job boards (board/1 JSON) with a valid current schedule.

What a generated board looks like (work center families, calendars, a serial-dispatch schedule,
due dates quoted tight): docs/benchmarks.md, "Quotes on generated boards".

Usage: ``python -m bench.generate --operations 1000 --seed 1 -o board.json [--requests 20]``.
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import random
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.shop_profile import CALENDARS, FAMILIES, SATURDAY_OVERTIME_COST, Family
from bench.worktime import WorkingTime, calendar_windows, format_instant

# A Wednesday mid-morning, so operations started on the early shift are still running, and the
# Christmas shutdown falls inside the horizon of every board size.
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
DEFAULT_BUFFER = 1440  # one calendar day of safety, the board default
HORIZON_DAYS = 3 * 365  # windows are built this far out; a board that needs more is an error
HISTORY_DAYS = 14  # running operations started at most this long ago


def work_center_count(operations: int) -> int:
    """Tens of work centers, growing with the square root of the board (12 up to 1k, ~85 at 50k)."""
    return max(12, min(90, round(12 * math.sqrt(operations / 1000))))


@dataclass
class _Machine:
    id: str
    family: Family
    # one timeline per unit of capacity; each a sorted list of disjoint busy windows
    units: list[list[tuple[int, int]]]


def _machines(count: int) -> list[_Machine]:
    per_family = {f.name: 1 for f in FAMILIES}
    # hand the remaining machines to the family with the highest load per machine
    for _ in range(count - len(FAMILIES)):
        family = max(FAMILIES, key=lambda f: f.weight / (per_family[f.name] * f.capacity))
        per_family[family.name] += 1
    return [
        _Machine(f"{f.name}-{i + 1}", f, [[] for _ in range(f.capacity)])
        for f in FAMILIES
        for i in range(per_family[f.name])
    ]


def _minutes(family: Family, quantity: int, rng: random.Random) -> int:
    setup = rng.randint(*family.setup)
    run = rng.uniform(*family.run) * quantity
    # round to 5 minutes like a routing sheet; never below 10
    return max(10, round((setup + run) / 5.0) * 5)


def _routing(rng: random.Random, length: int) -> list[Family]:
    """``length`` families in routing order, picked by weight (without repeats when possible)."""
    chosen: set[int] = set()
    while len(chosen) < min(length, len(FAMILIES)):
        chosen.add(rng.choices(range(len(FAMILIES)), weights=[f.weight for f in FAMILIES])[0])
    indices = sorted(chosen)
    while len(indices) < length:  # a second pass on a family, e.g. a re-turn after heat
        indices.append(rng.choice(indices))
        indices.sort()
    return [FAMILIES[i] for i in indices]


def _operation_doc(
    index: int,
    family: Family,
    machines_by_family: dict[str, list[_Machine]],
    rng: random.Random,
    quantity: int,
) -> dict[str, Any]:
    pool = machines_by_family[family.name]
    if len(pool) > 1 and rng.random() < family.alternatives:
        allowed = rng.sample(pool, min(len(pool), rng.choice((2, 2, 3))))
    else:
        allowed = [rng.choice(pool)]
    return {
        "id": str(10 * (index + 1)),
        "work_centers": [m.id for m in allowed],
        "minutes": _minutes(family, quantity, rng),
    }


class _Dispatcher:
    """Serial dispatch: each operation at the earliest gap on any allowed machine's units."""

    def __init__(self, machines: list[_Machine], time: dict[str, WorkingTime]) -> None:
        self.by_id = {m.id: m for m in machines}
        self.time = time

    def occupy(self, machine_id: str, start: int, end: int) -> None:
        machine = self.by_id[machine_id]
        for unit in machine.units:
            k = bisect.bisect_right([b for _, b in unit], start)
            if k == len(unit) or unit[k][0] >= end:
                unit.insert(k, (start, end))
                return
        raise ValueError(f"{machine_id} has no free unit for a running operation at {start}")

    def _earliest_on_unit(
        self, unit: list[tuple[int, int]], walk: WorkingTime, ready: int, minutes: int
    ) -> tuple[int, int, int]:
        start = walk.next_working(ready)
        ends = [b for _, b in unit]
        k = bisect.bisect_right(ends, start)
        while True:
            end = walk.end_of(start, minutes)
            if k < len(unit) and unit[k][0] < end:
                start = walk.next_working(max(start, unit[k][1]))
                k += 1
                continue
            return start, end, k

    def place(self, allowed: list[str], ready: int, minutes: int) -> tuple[str, int, int]:
        best: tuple[int, int, str, int, int] | None = None
        for machine_id in allowed:
            machine = self.by_id[machine_id]
            walk = self.time[machine_id]
            for u, unit in enumerate(machine.units):
                start, end, k = self._earliest_on_unit(unit, walk, ready, minutes)
                if best is None or (end, start) < (best[0], best[1]):
                    best = (end, start, machine_id, u, k)
        assert best is not None
        end, start, machine_id, u, k = best
        self.by_id[machine_id].units[u].insert(k, (start, end))
        return machine_id, start, end


def _at(minutes: int) -> str:
    return format_instant(NOW + timedelta(minutes=minutes))


def generate_board(*, operations: int, seed: int) -> dict[str, Any]:
    """A board/1 document with about ``operations`` open operations and a valid schedule."""
    if operations < 20:
        raise ValueError("a board needs at least 20 operations")
    rng = random.Random(seed)
    machines = _machines(work_center_count(operations))
    machines_by_family: dict[str, list[_Machine]] = {}
    for m in machines:
        machines_by_family.setdefault(m.family.name, []).append(m)
    first = NOW - timedelta(days=HISTORY_DAYS)
    last = NOW + timedelta(days=HORIZON_DAYS)
    calendar_time = {
        name: WorkingTime(calendar_windows(doc, origin=NOW, first=first, last=last))
        for name, doc in CALENDARS.items()
    }
    time = {m.id: calendar_time[m.family.calendar] for m in machines}
    dispatcher = _Dispatcher(machines, time)

    # Releases spread over the weeks the shop needs to work off this much load at ~85 %.
    mean_minutes = 150
    weekly_capacity = sum(
        m.family.capacity * calendar_time[m.family.calendar].worked_between(0, 7 * 1440)
        for m in machines
    )
    release_weeks = max(1.0, operations * mean_minutes / (0.85 * weekly_capacity))

    orders: list[dict[str, Any]] = []
    schedule_rows: dict[tuple[str, str], dict[str, Any]] = {}
    open_count = 0

    # A few operations already running: one per unit on about a third of the machines.
    running_machines = rng.sample(machines, max(2, len(machines) // 3))
    for machine in running_machines:
        for _ in range(machine.family.capacity if rng.random() < 0.5 else 1):
            order_id = f"SO-{100001 + len(orders)}"
            walk = time[machine.id]
            k = bisect.bisect_right(walk.ends, 0)
            shift_start = walk.windows[k][0]
            if shift_start <= 0:
                # started on this shift: between 10 minutes and the start of the current window
                started = -rng.randint(10, max(10, min(HISTORY_DAYS * 1440, -shift_start)))
            elif k > 0:
                # off shift now (a night, a weekend): started during the last shift, at least
                # 10 minutes before it ended, and still running when the next one begins
                last_start, last_end = walk.windows[k - 1]
                lowest = max(last_start, -HISTORY_DAYS * 1440)
                started = rng.randint(lowest, max(lowest, last_end - 10))
            else:
                continue  # no shift in the history window: nothing can be running here
            started = walk.next_working(started)
            done_before = rng.randint(0, 2)
            length = rng.randint(max(3, done_before + 1), 8)
            route = _routing(rng, length)
            # the running step is on this machine's family; the ones before it are history
            route[done_before] = machine.family
            quantity = rng.randint(1, 40)
            ops = [
                _operation_doc(i, f, machines_by_family, rng, quantity) for i, f in enumerate(route)
            ]
            for op in ops[:done_before]:
                op["state"] = "done"
            running = ops[done_before]
            elapsed = walk.worked_between(started, 0)
            running["minutes"] = max(running["minutes"], elapsed + rng.randint(30, 240))
            running.update(state="running", start=_at(started), work_center=machine.id)
            if machine.id not in running["work_centers"]:
                running["work_centers"][0] = machine.id
            end = walk.end_of(started, running["minutes"])
            dispatcher.occupy(machine.id, started, end)
            schedule_rows[(order_id, running["id"])] = {
                "order": order_id,
                "operation": running["id"],
                "work_center": machine.id,
                "start": _at(started),
                "end": _at(end),
            }
            orders.append({"id": order_id, "due": "", "operations": ops})
            open_count += len(ops) - done_before

    # New orders until the board holds the requested number of open operations.
    pending: list[tuple[int, dict[str, Any]]] = []
    while open_count < operations:
        length = rng.randint(3, 8)  # the board may end up a few operations over the target
        route = _routing(rng, length)
        quantity = rng.choice((1, 2, 5, 10, 20, 25, 50))
        ops = [_operation_doc(i, f, machines_by_family, rng, quantity) for i, f in enumerate(route)]
        order_id = f"SO-{100001 + len(orders) + len(pending)}"
        # a third of the orders are released now, the rest over the coming weeks, on the hour
        release = 0 if rng.random() < 0.3 else rng.randint(0, int(release_weeks * 7 * 24)) * 60
        new_order: dict[str, Any] = {"id": order_id, "due": "", "operations": ops}
        if release > 0:
            new_order["release"] = _at(release)
        pending.append((release, new_order))
        open_count += length

    # Running orders first (their routing is already under way), then by release; ties by id.
    for order in orders:
        _dispatch_order(order, 0, dispatcher, schedule_rows)
    pending.sort(key=lambda item: (item[0], item[1]["id"]))
    for release, order in pending:
        _dispatch_order(order, release, dispatcher, schedule_rows)
        orders.append(order)

    # Tight quotes: due = scheduled completion + buffer + a small margin.
    buffers = (DEFAULT_BUFFER, DEFAULT_BUFFER, DEFAULT_BUFFER, 2880, 480)
    for order in orders:
        last_op = order["operations"][-1]
        completion_text = schedule_rows[(order["id"], last_op["id"])]["end"]
        completion = datetime.fromisoformat(completion_text.replace("Z", "+00:00"))
        buffer = rng.choice(buffers)
        if buffer != DEFAULT_BUFFER:
            order["buffer_minutes"] = buffer
        if rng.random() < 0.01:
            margin = -rng.randint(60, 600)  # already eating its buffer
        else:
            margin = rng.randint(0, 240)
        order["due"] = format_instant(completion + timedelta(minutes=buffer + margin))

    # Saturday overtime offered on the most loaded machines, for each of the next two Saturdays.
    load: dict[str, int] = {m.id: 0 for m in machines}
    for row in schedule_rows.values():
        load[row["work_center"]] += 1
    busiest = sorted(machines, key=lambda m: (-load[m.id] / m.family.capacity, m.id))
    options = []
    saturdays = [NOW + timedelta(days=(5 - NOW.weekday()) % 7 + 7 * w) for w in range(2)]
    for machine in busiest[: max(2, len(machines) // 6)]:
        for saturday in saturdays:
            day = saturday.strftime("%Y-%m-%d")
            options.append(
                {
                    "id": f"SAT-{machine.id}-{saturday.strftime('%m%d')}",
                    "work_center": machine.id,
                    "extra": [[f"{day}T06:00:00Z", f"{day}T14:00:00Z"]],
                    "cost": SATURDAY_OVERTIME_COST,
                }
            )

    schedule = [schedule_rows[key] for key in sorted(schedule_rows, key=_row_key)]
    return {
        "format": "board/1",
        "now": format_instant(NOW),
        "buffer_minutes": DEFAULT_BUFFER,
        "calendars": CALENDARS,
        "work_centers": [
            {"id": m.id, "capacity": m.family.capacity, "calendar": m.family.calendar}
            for m in machines
        ],
        "orders": orders,
        "schedule": schedule,
        "capacity_options": options,
    }


def _row_key(key: tuple[str, str]) -> tuple[str, int]:
    return key[0], int(key[1])


def _dispatch_order(
    order: dict[str, Any],
    release: int,
    dispatcher: _Dispatcher,
    schedule_rows: dict[tuple[str, str], dict[str, Any]],
) -> None:
    ready = release
    for op in order["operations"]:
        state = op.get("state", "planned")
        if state == "done":
            continue
        key = (order["id"], op["id"])
        if state == "running":
            ready = int(
                (
                    datetime.fromisoformat(schedule_rows[key]["end"].replace("Z", "+00:00")) - NOW
                ).total_seconds()
                // 60
            )
            continue
        machine_id, start, end = dispatcher.place(op["work_centers"], ready, op["minutes"])
        schedule_rows[key] = {
            "order": order["id"],
            "operation": op["id"],
            "work_center": machine_id,
            "start": _at(start),
            "end": _at(end),
        }
        ready = end


def generate_requests(board_doc: dict[str, Any], *, count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` copies of the board, each with a different quote request of 3-6 operations.

    The copies share the board's nested objects (they are only read). A request asks for a
    tight date: released now or within three days, wanted back after its working minutes spread
    over two-shift days plus two days, plus the buffer.
    """
    rng = random.Random(seed)
    machines_by_family: dict[str, list[_Machine]] = {}
    for wc in board_doc["work_centers"]:
        family = next(f for f in FAMILIES if wc["id"].startswith(f.name + "-"))
        machines_by_family.setdefault(family.name, []).append(_Machine(wc["id"], family, []))
    now = datetime.fromisoformat(board_doc["now"].replace("Z", "+00:00"))
    buffer = board_doc["buffer_minutes"]
    documents = []
    for i in range(count):
        route = _routing(rng, rng.randint(3, 6))
        quantity = rng.choice((1, 2, 5, 10, 20))
        ops = [_operation_doc(k, f, machines_by_family, rng, quantity) for k, f in enumerate(route)]
        release = now + timedelta(hours=rng.choice((0, 0, 0, 4, 24, 72)))
        work_days = sum(op["minutes"] for op in ops) / 960
        requested_due = release + timedelta(days=math.ceil(work_days) + 2, minutes=buffer)
        request: dict[str, Any] = {
            "id": f"Q-{seed}-{i + 1}",
            "requested_due": format_instant(requested_due),
            "operations": ops,
        }
        if release > now:
            request["release"] = format_instant(release)
        documents.append({**board_doc, "request": request})
    return documents


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__)
    parser.add_argument("--operations", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--requests",
        type=int,
        default=0,
        help="also write N request boards next to the output (-q1.json, ...)",
    )
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)
    board = generate_board(operations=args.operations, seed=args.seed)
    args.output.write_text(json.dumps(board, indent=1))
    for i, doc in enumerate(generate_requests(board, count=args.requests, seed=args.seed)):
        path = args.output.with_name(f"{args.output.stem}-q{i + 1}{args.output.suffix}")
        path.write_text(json.dumps(doc, indent=1))
    print(
        f"{args.output}: {len(board['orders'])} orders, {len(board['schedule'])} scheduled "
        f"operations, {len(board['work_centers'])} work centers",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
