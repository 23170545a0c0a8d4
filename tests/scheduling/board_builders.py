"""Seeded board/1 documents for the import/export and shop-floor tests.

`canonical_board_doc` builds a small shop (three calendars, one of them in Europe/Berlin with a
holiday, one round the clock; capacity 2 and alternative work centers; done and running
operations; a capacity option) whose schedule comes from the engine's check and whose due dates
are then promised at completion + buffer + slack, so the board is valid. The document is written
in the export's canonical form (lists sorted by id, an order's buffer only when it differs from
the default), so importing then exporting it must give it back exactly.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from scheduling import engine

DEFAULT_BUFFER = 1440
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _at(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def canonical_board_doc(*, now: datetime, seed: int = 1, orders: int = 8) -> dict[str, Any]:
    rng = random.Random(seed)
    now = now.astimezone(UTC).replace(second=0, microsecond=0)
    holiday = (now + timedelta(days=9)).replace(hour=0, minute=0)
    doc: dict[str, Any] = {
        "format": "board/1",
        "now": _at(now),
        "buffer_minutes": DEFAULT_BUFFER,
        "calendars": {
            "berlin-day": {
                "timezone": "Europe/Berlin",
                "weekly": {
                    d: ([["07:00", "15:30"]] if d not in ("sat", "sun") else []) for d in _WEEKDAYS
                },
                "closed": [[_at(holiday), _at(holiday + timedelta(days=1))]],
            },
            "round-the-clock": {
                "timezone": "UTC",
                "weekly": {d: [["00:00", "24:00"]] for d in _WEEKDAYS},
            },
            "two-shift": {
                "timezone": "UTC",
                "weekly": {
                    d: ([["06:00", "14:00"], ["14:00", "22:00"]] if d not in ("sat", "sun") else [])
                    for d in _WEEKDAYS
                },
            },
        },
        "work_centers": [
            {"id": "HEAT-1", "capacity": 2, "calendar": "round-the-clock"},
            {"id": "LATHE-1", "capacity": 1, "calendar": "two-shift"},
            {"id": "LATHE-2", "capacity": 1, "calendar": "two-shift"},
            {"id": "MILL-1", "capacity": 2, "calendar": "berlin-day"},
            {"id": "SAW-1", "capacity": 1, "calendar": "two-shift"},
        ],
        "orders": [],
    }
    routes = [["SAW-1"], ["LATHE-1", "LATHE-2"], ["MILL-1"], ["HEAT-1"], ["LATHE-2"]]
    for index in range(orders):
        length = rng.randint(2, 5)
        operations: list[dict[str, Any]] = []
        for step in range(length):
            operations.append(
                {
                    "id": str((step + 1) * 10),
                    "work_centers": list(routes[rng.randrange(len(routes))]),
                    "minutes": rng.choice([30, 45, 60, 90, 120, 240]),
                }
            )
        order: dict[str, Any] = {"id": f"B-{index + 1:03d}", "due": ""}
        if index % 3 == 1:
            order["buffer_minutes"] = rng.choice([0, 480, 2880])
        if index % 4 == 2:
            order["release"] = _at(now + timedelta(hours=rng.randint(1, 48)))
        if index == 0:
            # History: the first operation is done, the second runs on the 24/7 oven.
            operations[0].update(
                state="done",
                start=_at(now - timedelta(hours=5)),
                work_center=operations[0]["work_centers"][0],
            )
            operations[1].update(
                work_centers=["HEAT-1"],
                minutes=600,
                state="running",
                start=_at(now - timedelta(minutes=90)),
                work_center="HEAT-1",
            )
        order["operations"] = operations
        order["due"] = _at(now + timedelta(days=400))  # provisional, replaced below
        doc["orders"].append(order)
    doc["capacity_options"] = [
        {
            "id": "SAT-MILL-1",
            "work_center": "MILL-1",
            "extra": [[_at(now + timedelta(days=3)), _at(now + timedelta(days=3, hours=8))]],
            "cost": 800.5,
        }
    ]

    board = engine.load_board(doc)
    answer = engine.check(board, time_limit=2, workers=1)
    assert answer.status == "promised", answer.message
    completion: dict[str, datetime] = {}
    for row in answer.schedule:
        completion[row.order] = max(completion.get(row.order, row.end), row.end)
    for order in doc["orders"]:
        buffer = order.get("buffer_minutes", DEFAULT_BUFFER)
        slack = timedelta(minutes=rng.choice([0, 60, 600]))
        order["due"] = _at(completion[order["id"]] + timedelta(minutes=buffer) + slack)
    schedule = sorted(answer.schedule, key=lambda r: (r.order, int(r.operation)))
    dumped = engine.dump_board(dataclasses.replace(board, schedule=tuple(schedule)))
    doc["schedule"] = dumped["schedule"]
    return doc
