"""Working time of a work center as integer minute windows on the engine's time axis.

The axis counts whole minutes since ``board.now`` (negative before it). A work center's working
time is its calendar's weekly shifts, expanded in the calendar's own time zone (so a shift keeps
its wall-clock hours across a DST change), plus the calendar's ``extra`` windows and the ``extra``
windows of the capacity options chosen for that work center, minus the calendar's ``closed``
periods (closed wins over any extra window).

``WorkingTime`` answers the questions rule 2 asks ("when does an operation that starts at s and
needs m working minutes end?", "what is the latest start that still ends by L?") with prefix sums
and binary search, never a per-minute loop, and expands its horizon lazily when a question
reaches beyond what has been computed.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from scheduling.engine.model import Calendar, Span

Window = tuple[int, int]  # half-open [start, end) in minutes on the axis

# How far the horizon grows at a time, and the furthest it may ever reach: a work center that
# has no working time within ten years is treated as never working (questions return None).
_EXTEND_STEP_MINUTES = 60 * 24 * 56
_MAX_HORIZON_MINUTES = 60 * 24 * 366 * 10


def to_minute(instant: datetime, now: datetime) -> int:
    """Whole minutes from ``now`` to ``instant`` (floor), the engine's integer time axis."""
    return int((instant - now).total_seconds() // 60)


def to_instant(minute: int, now: datetime) -> datetime:
    instant = now + timedelta(minutes=minute)
    # astimezone() dominates answer assembly on big boards; skip it when already UTC.
    return instant if now.tzinfo is UTC else instant.astimezone(UTC)


def merge_windows(windows: Iterable[Window]) -> list[Window]:
    """Sorted union of half-open windows; touching windows are joined."""
    merged: list[list[int]] = []
    for start, end in sorted(w for w in windows if w[1] > w[0]):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1][1] = end
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def subtract_windows(windows: Sequence[Window], removed: Sequence[Window]) -> list[Window]:
    """``windows`` minus ``removed``; both sorted and merged."""
    result: list[Window] = []
    j = 0
    for start, end in windows:
        cursor = start
        while j < len(removed) and removed[j][1] <= cursor:
            j += 1
        k = j
        while k < len(removed) and removed[k][0] < end:
            r_start, r_end = removed[k]
            if r_start > cursor:
                result.append((cursor, r_start))
            cursor = max(cursor, r_end)
            if cursor >= end:
                break
            k += 1
        if cursor < end:
            result.append((cursor, end))
    return result


def _weekly_windows(calendar: Calendar, now: datetime, lo: int, hi: int) -> list[Window]:
    """The weekly shifts of ``calendar`` that intersect [lo, hi), in axis minutes.

    Each shift is placed by wall-clock time on its local date and converted with the zone's
    offset at that instant: a "06:00-22:00" shift is 16 hours on most days, and a shift that
    crosses a DST change is as long as the wall clock says (a 00:00-24:00 window on the autumn
    change day lasts 25 hours). Wall times skipped by a spring change map with the offset
    before the change, as ``zoneinfo`` does for ``fold=0``.
    """
    zone = ZoneInfo(calendar.timezone)
    first_day = (now + timedelta(minutes=lo)).astimezone(zone).date() - timedelta(days=1)
    last_day = (now + timedelta(minutes=hi)).astimezone(zone).date() + timedelta(days=1)
    windows: list[Window] = []
    day: date = first_day
    while day <= last_day:
        midnight = datetime(day.year, day.month, day.day)
        for start_min, end_min in calendar.weekly[day.weekday()]:
            local_start = (midnight + timedelta(minutes=start_min)).replace(tzinfo=zone)
            local_end = (midnight + timedelta(minutes=end_min)).replace(tzinfo=zone)
            a = to_minute(local_start.astimezone(UTC), now)
            b = to_minute(local_end.astimezone(UTC), now)
            if b > lo and a < hi:
                windows.append((max(a, lo), min(b, hi)))
        day += timedelta(days=1)
    return windows


def calendar_windows(
    calendar: Calendar,
    now: datetime,
    lo: int,
    hi: int,
    option_extra: Sequence[Span] = (),
) -> list[Window]:
    """Working windows of ``calendar`` (plus chosen options' extra windows) within [lo, hi)."""
    base = _weekly_windows(calendar, now, lo, hi)
    for start, end in (*calendar.extra, *option_extra):
        a, b = to_minute(start, now), to_minute(end, now)
        if b > lo and a < hi:
            base.append((max(a, lo), min(b, hi)))
    closed = merge_windows((to_minute(s, now), to_minute(e, now)) for s, e in calendar.closed)
    return subtract_windows(merge_windows(base), closed)


class WorkingTime:
    """Working windows of one work center (with its chosen options) on the minute axis.

    ``cum[k]`` is the working time before window ``k`` counted from the horizon's start, so the
    working minutes between two instants, and the instant at which a given amount of work is
    complete, are a binary search away.
    """

    def __init__(
        self,
        calendar: Calendar | None,
        now: datetime,
        lo: int,
        hi: int,
        option_extra: Sequence[Span] = (),
    ) -> None:
        # calendar None means "always working" (the job-shop benchmarks' 24/7 machines).
        self.calendar = calendar
        self.now = now
        self.option_extra = tuple(option_extra)
        self.lo = lo
        self.hi = lo
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.cum: list[int] = []  # working minutes before window k
        self.cum_end: list[int] = []  # working minutes up to the end of window k
        self._extend_to(max(hi, lo + 1))

    @classmethod
    def always(cls, lo: int = 0, hi: int = 1) -> WorkingTime:
        return cls(None, datetime(2000, 1, 1, tzinfo=UTC), lo, hi)

    # -- horizon -------------------------------------------------------------------------
    def _extend_to(self, hi: int) -> None:
        if hi <= self.hi:
            return
        if self.calendar is None:
            new = [(self.hi, hi)]
        else:
            new = calendar_windows(self.calendar, self.now, self.hi, hi, self.option_extra)
        for a, b in new:
            if self.ends and self.ends[-1] == a:  # a window cut by the old horizon continues
                self.ends[-1] = b
                self.cum_end[-1] += b - a
                continue
            total = self.cum_end[-1] if self.cum_end else 0
            self.starts.append(a)
            self.ends.append(b)
            self.cum.append(total)
            self.cum_end.append(total + b - a)
        self.hi = hi

    def ensure(self, t: int) -> bool:
        """Make the horizon cover ``t``; False if ``t`` is beyond the maximum horizon."""
        while self.hi <= t:
            if self.hi - self.lo >= _MAX_HORIZON_MINUTES:
                return False
            self._extend_to(min(self.hi + _EXTEND_STEP_MINUTES, self.lo + _MAX_HORIZON_MINUTES))
        return True

    def _ensure_work(self, total: int) -> bool:
        """Extend until at least ``total`` working minutes lie within the horizon."""
        while not self.cum_end or self.cum_end[-1] < total:
            if self.hi - self.lo >= _MAX_HORIZON_MINUTES:
                return False
            self._extend_to(min(self.hi + _EXTEND_STEP_MINUTES, self.lo + _MAX_HORIZON_MINUTES))
        return True

    # -- queries -------------------------------------------------------------------------
    def windows_between(self, lo: int, hi: int) -> list[Window]:
        self.ensure(hi)
        k = max(bisect.bisect_right(self.ends, lo), 0)
        result = []
        while k < len(self.starts) and self.starts[k] < hi:
            result.append((max(self.starts[k], lo), min(self.ends[k], hi)))
            k += 1
        return result

    def is_working(self, t: int) -> bool:
        self.ensure(t + 1)
        k = bisect.bisect_right(self.starts, t) - 1
        return k >= 0 and t < self.ends[k]

    def position(self, t: int) -> int:
        """Working minutes between the horizon start and ``t``."""
        if t >= self.hi:
            self.ensure(t + 1)
        k = bisect.bisect_right(self.starts, t) - 1
        if k < 0:
            return 0
        return self.cum[k] + min(t, self.ends[k]) - self.starts[k]

    def work_between(self, a: int, b: int) -> int:
        return self.position(b) - self.position(a) if b > a else 0

    def next_working(self, t: int) -> int | None:
        """Earliest working instant at or after ``t``."""
        t = max(t, self.lo)
        while True:
            k = bisect.bisect_right(self.ends, t)
            if k < len(self.starts):
                return max(t, self.starts[k])
            if not self.ensure(self.hi):
                return None

    def _instant_of(self, work: int) -> int | None:
        """Earliest instant at which ``work`` minutes (counted from the horizon start) are done."""
        if work <= 0:
            return self.starts[0] if self.starts else self.lo
        if not self._ensure_work(work):
            return None
        j = bisect.bisect_left(self.cum_end, work)
        return self.starts[j] + work - self.cum[j]

    def start_at(self, position: int) -> int | None:
        """The working instant at which ``position`` working minutes (from the horizon start)
        are done and the next one begins: the start of an operation at that position."""
        if not self._ensure_work(position + 1):
            return None
        j = bisect.bisect_right(self.cum_end, position)
        return self.starts[j] + position - self.cum[j]

    def position_windows(self, lo: int, hi: int, *, ends: bool) -> list[tuple[int, int, int]]:
        """The working windows met by positions ``lo``..``hi``, as (first, last, shift): for a
        position x from first to last, the instant is x + shift (``start_at`` for starts,
        ``end_at`` with ``ends``: an end at a window's last minute belongs to that window)."""
        self._ensure_work(hi + 1)
        found = []
        k = bisect.bisect_left(self.cum_end, lo) if ends else bisect.bisect_right(self.cum_end, lo)
        while k < len(self.starts):
            first = self.cum[k] + 1 if ends else self.cum[k]
            last = self.cum_end[k] if ends else self.cum_end[k] - 1
            if first > hi:
                break
            if ends and k == 0:
                first = self.cum[k]  # nothing done yet: the horizon's first working instant
            found.append((max(first, lo), min(last, hi), self.starts[k] - self.cum[k]))
            k += 1
        return found

    def end_at(self, position: int) -> int | None:
        """The earliest instant at which ``position`` working minutes are done: the end of an
        operation whose work ends at that position."""
        return self._instant_of(position)

    def end_after(self, start: int, minutes: int) -> int | None:
        """Rule 2: the earliest instant at which an operation started at ``start`` has received
        ``minutes`` of working time (pauses over non-working time included)."""
        if minutes <= 0:
            return start
        return self._instant_of(self.position(start) + minutes)

    def start_before(self, latest_end: int, minutes: int) -> int | None:
        """Latest working start whose end (``end_after``) is at or before ``latest_end``."""
        if latest_end < self.lo:
            return None
        if minutes <= 0:
            self.ensure(latest_end + 1)
            k = bisect.bisect_right(self.starts, latest_end) - 1
            if k < 0:
                return None
            return latest_end if latest_end < self.ends[k] else self.ends[k] - 1
        work = self.position(latest_end) - minutes  # work done before the start
        if work < 0:
            return None
        j = bisect.bisect_right(self.cum_end, work)
        if j >= len(self.starts):
            return None
        return self.starts[j] + work - self.cum[j]

    def offset_groups(self, lo: int, hi: int, minutes: int) -> dict[int, list[Window]]:
        """Working starts in [lo, hi] grouped by their pause-inclusive duration.

        For an operation needing ``minutes``, ``end = start + offset`` where the offset depends
        only on which window the start lies in and which window the end lies in. Starts sharing
        an offset form a union of integer intervals (inclusive bounds returned), which the CP
        model encodes as one literal per offset instead of one per window pair.
        """
        groups: dict[int, list[Window]] = {}
        if hi < lo:
            return groups
        self.ensure(hi + 1)
        if minutes <= 0:
            for a, b in self.windows_between(lo, hi + 1):
                groups.setdefault(0, []).append((a, b - 1))
            return groups
        k = max(bisect.bisect_right(self.ends, lo), 0)
        starts, ends, cum, cum_end = self.starts, self.ends, self.cum, self.cum_end
        while k < len(starts) and starts[k] <= hi:
            a_k = starts[k]
            x = max(a_k, lo)
            y = min(ends[k] - 1, hi)
            if x <= y:
                # Work done when the operation finishes, as a function of the start s:
                # target(s) = cum[k] + (s - a_k) + minutes, increasing with s.
                base = cum[k] - a_k + minutes
                if not self._ensure_work(base + y):
                    break
                starts, ends, cum, cum_end = self.starts, self.ends, self.cum, self.cum_end
                j = bisect.bisect_left(cum_end, base + x)
                while j < len(starts):
                    # s range where target(s) lies in (cum[j], cum_end[j]].
                    s_lo = max(x, cum[j] - base + 1)
                    s_hi = min(y, cum_end[j] - base)
                    if s_lo > s_hi:
                        if cum[j] - base + 1 > y:
                            break
                        j += 1
                        continue
                    offset = starts[j] - cum[j] + base
                    groups.setdefault(offset, []).append((s_lo, s_hi))
                    if s_hi >= y:
                        break
                    j += 1
            k += 1
        return groups
