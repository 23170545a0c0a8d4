"""Working time of one work center as a sorted list of windows, for the bench's own use.

The generator and the plain CP-SAT baseline need to walk calendars (when does an operation of
so many minutes end if it starts here, pausing over nights and weekends). The bench keeps its own
small implementation instead of importing the engine's, so that a bug in the engine's calendar
cannot hide behind the same bug in the benchmark: the engine's verifier checks what we produce.

Instants are integer minutes relative to an origin (the board's ``now``), so they can be negative
for running operations that started before now.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Window = tuple[int, int]  # half-open [start, end) in minutes from the origin


def parse_instant(text: str) -> datetime:
    """ISO 8601 with an explicit offset -> aware UTC datetime."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"instant without offset: {text!r}")
    return value.astimezone(UTC)


def format_instant(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def minutes_between(origin: datetime, value: datetime) -> int:
    delta = value - origin
    return int(delta.total_seconds() // 60)


def _clock(text: str) -> tuple[int, int]:
    hours, minutes = text.split(":")
    return int(hours), int(minutes)


def _local_instant(day: date, clock: str, zone: ZoneInfo) -> datetime:
    hours, minutes = _clock(clock)
    if hours == 24:  # "24:00" is the next local midnight
        return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=zone)
    return datetime.combine(day, time(hours, minutes), tzinfo=zone)


def merge(windows: Iterable[Window]) -> list[Window]:
    """Union of windows; touching windows become one so a pause of zero minutes is no pause."""
    result: list[Window] = []
    for start, end in sorted(w for w in windows if w[1] > w[0]):
        if result and start <= result[-1][1]:
            if end > result[-1][1]:
                result[-1] = (result[-1][0], end)
        else:
            result.append((start, end))
    return result


def subtract(windows: Sequence[Window], holes: Iterable[Window]) -> list[Window]:
    result = list(windows)
    for hole_start, hole_end in holes:
        next_result: list[Window] = []
        for start, end in result:
            if hole_end <= start or end <= hole_start:
                next_result.append((start, end))
                continue
            if start < hole_start:
                next_result.append((start, hole_start))
            if hole_end < end:
                next_result.append((hole_end, end))
        result = next_result
    return result


def calendar_windows(
    calendar: Mapping[str, Any],
    *,
    origin: datetime,
    first: datetime,
    last: datetime,
    extra: Iterable[Sequence[str]] = (),
) -> list[Window]:
    """Working windows of a board/1 calendar between ``first`` and ``last``.

    Weekly windows are in the calendar's local time; ``extra`` (calendar extras plus any chosen
    capacity option) adds time and ``closed`` removes it, closed winning where both apply.
    """
    zone = ZoneInfo(calendar.get("timezone", "UTC"))
    spans: list[Window] = []
    day = first.astimezone(zone).date() - timedelta(days=1)
    last_day = last.astimezone(zone).date() + timedelta(days=1)
    weekly = calendar["weekly"]
    while day <= last_day:
        for start_clock, end_clock in weekly.get(WEEKDAYS[day.weekday()], []):
            start = _local_instant(day, start_clock, zone)
            end = _local_instant(day, end_clock, zone)
            spans.append((minutes_between(origin, start), minutes_between(origin, end)))
        day += timedelta(days=1)
    for start_text, end_text in [*calendar.get("extra", []), *extra]:
        spans.append(
            (
                minutes_between(origin, parse_instant(start_text)),
                minutes_between(origin, parse_instant(end_text)),
            )
        )
    closed = [
        (minutes_between(origin, parse_instant(a)), minutes_between(origin, parse_instant(b)))
        for a, b in calendar.get("closed", [])
    ]
    low, high = minutes_between(origin, first), minutes_between(origin, last)
    clipped = [(max(a, low), min(b, high)) for a, b in subtract(merge(spans), closed)]
    return merge(clipped)


class WorkingTime:
    """Walks one calendar: next working minute, end of an operation, working minutes between."""

    def __init__(self, windows: Sequence[Window]) -> None:
        self.windows: list[Window] = merge(windows)
        if not self.windows:
            raise ValueError("a calendar without any working time in the horizon")
        self.starts = [a for a, _ in self.windows]
        self.ends = [b for _, b in self.windows]
        # worked[k]: working minutes in windows before window k (the "working clock" at its start)
        self.worked: list[int] = []
        total = 0
        for a, b in self.windows:
            self.worked.append(total)
            total += b - a
        self.total = total

    def _horizon_error(self, what: str) -> ValueError:
        return ValueError(f"{what} falls past the calendar horizon ending at {self.ends[-1]}")

    def next_working(self, t: int) -> int:
        """First working minute at or after ``t``."""
        k = bisect.bisect_right(self.ends, t)
        if k == len(self.windows):
            raise self._horizon_error("next working minute")
        return max(t, self.starts[k])

    def is_working(self, t: int) -> bool:
        k = bisect.bisect_right(self.ends, t)
        return k < len(self.windows) and self.starts[k] <= t

    def clock(self, t: int) -> int:
        """Working minutes between the horizon start and ``t``."""
        k = bisect.bisect_right(self.starts, t) - 1
        if k < 0:
            return 0
        return self.worked[k] + min(t, self.ends[k]) - self.starts[k]

    def worked_between(self, a: int, b: int) -> int:
        return self.clock(b) - self.clock(a) if b > a else 0

    def instant_at_clock(self, value: int, *, closing: bool) -> int:
        """The instant where the working clock reaches ``value``.

        ``closing``: the earliest instant by which ``value`` minutes have been worked (may be a
        window's end); otherwise the working minute at which minute ``value`` begins.
        """
        if closing:
            k = bisect.bisect_left(self.worked, value) - 1  # last window with worked[k] < value
            k = max(k, 0)
        else:
            k = bisect.bisect_right(self.worked, value) - 1  # last window with worked[k] <= value
        if k >= len(self.windows) or value - self.worked[k] > self.ends[k] - self.starts[k]:
            raise self._horizon_error("working clock value")
        if not closing and value - self.worked[k] == self.ends[k] - self.starts[k]:
            raise self._horizon_error("working clock value")
        return self.starts[k] + value - self.worked[k]

    def end_of(self, start: int, minutes: int) -> int:
        """End of an operation that starts at working minute ``start`` and needs ``minutes``."""
        if minutes <= 0:
            return start
        return self.instant_at_clock(self.clock(start) + minutes, closing=True)

    def latest_start(self, end: int, minutes: int) -> int:
        """Latest working minute from which ``minutes`` of work end no later than ``end``."""
        value = self.clock(end) - minutes
        if value < 0:
            raise self._horizon_error("latest start")
        return self.instant_at_clock(value, closing=False)
