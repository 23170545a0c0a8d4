"""The verifier's own reading of a calendar: working intervals of one calendar plus extra spans,
walked lazily day by day from its raw ``Calendar`` dataclass.

Deliberately shares no code with ``calendars.py`` (the solver's), so a bug in one is not
mirrored in the other; the interpretations both must share are in docs/board-format.md.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduling.engine.model import Calendar, Span

# A walk that finds no working time within ten years of its start gives up: the calendar has
# (practically) no working time left, and looping on would hang the caller.
HORIZON = timedelta(days=3660)
# Closed spans longer than this make the walk jump to their end instead of stepping through
# every weekday window they swallow.
_SKIP_CLOSED = timedelta(days=2)


def _merge(spans: Iterable[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


class WorkingTime:
    """Working intervals of one calendar plus extra spans, generated lazily window by window."""

    def __init__(self, calendar: Calendar, extra_spans: Iterable[Span] = ()) -> None:
        self._zone = ZoneInfo(calendar.timezone)
        self._weekly = [sorted(day) for day in calendar.weekly]
        self._has_weekly = any(self._weekly)
        self._extra = _merge([*calendar.extra, *extra_spans])
        self._extra_ends = [end for _, end in self._extra]
        self._closed = _merge(calendar.closed)
        self._closed_ends = [end for _, end in self._closed]
        self._days: dict[date, list[Span]] = {}

    def _day_windows(self, day: date) -> list[Span]:
        windows = self._days.get(day)
        if windows is None:
            midnight = datetime.combine(day, time(), tzinfo=self._zone)
            windows = []
            for first, last in self._weekly[day.weekday()]:
                # Aware + timedelta is wall-clock arithmetic in Python, so 24:00 is the next
                # local midnight, whatever the day's length.
                start = (midnight + timedelta(minutes=first)).astimezone(UTC)
                end = (midnight + timedelta(minutes=last)).astimezone(UTC)
                if start < end:
                    windows.append((start, end))
            self._days[day] = windows
        return windows

    def _weekly_from(self, t: datetime) -> Iterator[Span]:
        if not self._has_weekly:
            return
        day = t.astimezone(self._zone).date() - timedelta(days=1)
        last = day + HORIZON
        while day <= last:
            for window in self._day_windows(day):
                if window[1] > t:
                    yield window
            day += timedelta(days=1)

    def _open_from(self, t: datetime) -> Iterator[Span]:
        """Disjoint, increasing pieces of weekly U extra time ending after ``t``."""
        extras = self._extra[bisect_right(self._extra_ends, t) :]
        frontier = t
        for start, end in heapq.merge(self._weekly_from(t), extras):
            start = max(start, frontier)
            if start < end:
                yield start, end
                frontier = end

    def intervals_from(self, t: datetime) -> Iterator[Span]:
        """Working intervals from ``t`` on, in order, disjoint, the first clipped to start >= t."""
        while True:
            restart: datetime | None = None
            for start, end in self._open_from(t):
                index = bisect_right(self._closed_ends, start)
                while start < end:
                    if index < len(self._closed) and self._closed[index][0] < end:
                        closed_start, closed_end = self._closed[index]
                        if closed_start > start:
                            yield start, closed_start
                        start = max(start, closed_end)
                        index += 1
                        if closed_end - end > _SKIP_CLOSED:
                            restart = closed_end
                            break
                    else:
                        yield start, end
                        break
                if restart is not None:
                    break
            if restart is None:
                return
            t = restart

    def is_working(self, t: datetime) -> bool:
        for start, _ in self.intervals_from(t):
            return start == t
        return False

    def end_after(self, start: datetime, minutes: int) -> datetime | None:
        """Earliest instant at which ``minutes`` working minutes have passed since ``start``;
        None if the calendar runs out of working time (within ``HORIZON`` of each gap)."""
        remaining = timedelta(minutes=minutes)
        for first, last in self.intervals_from(start):
            if last - first >= remaining:
                return first + remaining
            remaining -= last - first
        return None


def working_end(
    calendar: Calendar, extra_spans: Iterable[Span], start: datetime, minutes: int
) -> datetime:
    """End of ``minutes`` working minutes from ``start`` on ``calendar`` plus ``extra_spans``."""
    end = WorkingTime(calendar, extra_spans).end_after(start, minutes)
    if end is None:
        raise ValueError(
            f"calendar {calendar.id!r} has no working time for {minutes} minutes "
            f"after {show_instant(start)}"
        )
    return end


def show_instant(instant: datetime | None) -> str:
    """An instant as the verifier's messages write it (UTC, seconds shown), or "null"."""
    if instant is None:
        return "null"
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
