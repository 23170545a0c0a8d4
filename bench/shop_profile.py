"""What a generated shop looks like (`bench.generate`): its calendars with the Christmas
shutdown, its machine families in routing order, and the price of Saturday overtime."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SHUTDOWN = [
    ["2026-12-24T00:00:00Z", "2026-12-27T00:00:00Z"],
    ["2026-12-31T00:00:00Z", "2027-01-02T00:00:00Z"],
]

WORKDAYS = ("mon", "tue", "wed", "thu", "fri")

CALENDARS: dict[str, dict[str, Any]] = {
    "two-shift": {
        "timezone": "UTC",
        "weekly": {
            d: ([["06:00", "22:00"]] if d in WORKDAYS else [])
            for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        },
        "closed": SHUTDOWN,
        # one Saturday early shift already agreed with the works council for the whole shop
        "extra": [["2026-12-19T06:00:00Z", "2026-12-19T14:00:00Z"]],
    },
    "day-shift-berlin": {
        # assembly and inspection work one shift in local time; 07:00-15:30 Berlin never touches
        # a daylight-saving switch, so local windows are unambiguous
        "timezone": "Europe/Berlin",
        "weekly": {
            d: ([["07:00", "15:30"]] if d in WORKDAYS else [])
            for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        },
        "closed": SHUTDOWN,
        "extra": [],
    },
    "round-the-clock": {
        # ovens run Monday 00:00 to Friday 24:00; the windows touch and merge into one
        "timezone": "UTC",
        "weekly": {
            d: ([["00:00", "24:00"]] if d in WORKDAYS else [])
            for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        },
        "closed": [["2026-12-24T00:00:00Z", "2026-12-26T00:00:00Z"]],
        "extra": [],
    },
}


@dataclass(frozen=True)
class Family:
    """A family of interchangeable machines and what its operations look like."""

    name: str
    calendar: str
    capacity: int
    weight: float  # share of all operations, so machines per family follow the load
    setup: tuple[int, int]  # setup minutes range
    run: tuple[float, float]  # run minutes per unit range
    alternatives: float  # chance an operation may run on 2-3 machines of the family


# Families in routing order: an order visits a subsequence of these, front to back.
FAMILIES: tuple[Family, ...] = (
    Family("SAW", "two-shift", 1, 0.08, (10, 20), (0.5, 2.0), 0.5),
    Family("LATHE", "two-shift", 1, 0.20, (30, 60), (2.0, 8.0), 0.3),
    Family("MILL", "two-shift", 1, 0.20, (30, 90), (3.0, 10.0), 0.3),
    Family("DRILL", "two-shift", 1, 0.10, (15, 30), (1.0, 4.0), 0.4),
    Family("HEAT", "round-the-clock", 2, 0.07, (0, 0), (4.0, 12.0), 0.0),
    Family("GRIND", "two-shift", 1, 0.10, (20, 45), (2.0, 6.0), 0.2),
    Family("PAINT", "two-shift", 2, 0.07, (20, 40), (1.0, 3.0), 0.0),
    Family("ASSY", "day-shift-berlin", 2, 0.10, (15, 30), (2.0, 6.0), 0.3),
    Family("INSP", "day-shift-berlin", 1, 0.08, (10, 20), (0.5, 2.0), 0.5),
)

SATURDAY_OVERTIME_COST = 800  # an 8-hour Saturday shift with premium pay, in currency units
