"""The job board's Gantt as geometry: where each bar, off-shift shade and axis tick sits in the
window, as a percentage a template can place without arithmetic, and how overlapping bars
stack in lanes. Presentation only, no database reads: `scheduling.selectors.job_board_for`
reads the rows and lays them out with these helpers (the board is rendered server-side;
bench/board_render.py measures it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from orders.models import Operation
from scheduling.boards import board_now
from scheduling.engine.model import ScheduledOperation
from scheduling.models import ScheduleVersion

WINDOW_DAYS = {"day": 1, "week": 7, "2weeks": 14, "4weeks": 28}
# A bar is never drawn narrower than this (percent of the window), so a short operation stays
# visible and clickable.
MIN_BAR_WIDTH = 0.05


@dataclass
class Bar:
    pk: int  # orders.Operation id (0 for a proposal's new order, not yet created)
    order_code: str
    sequence: str
    customer: str
    operation: str  # "20 Machining"
    work_center: str
    start: datetime
    end: datetime
    left: float
    width: float
    lane: int = 0
    color: str = "green"
    state: str = Operation.State.PLANNED
    promise: datetime | None = None
    # Slack as a replan proposal's diff measures it (quoting.services.answers.replan_diff):
    # the order's protected date (promise minus safety buffer) minus its projected completion;
    # below zero the order is eating its buffer. Stated on the page (slack_hint.html).
    slack_minutes: int | None = None
    status_label: str = ""
    css: str = ""  # extra classes: ghost / moved / new / dim
    note: str = ""  # proposal overlay: "moved +3h 20m" / "before the replan"

    @property
    def top(self) -> int:
        return 4 + self.lane * 22


@dataclass
class Shade:
    left: float
    width: float
    down: bool = False
    title: str = ""


@dataclass
class BoardRow:
    code: str
    name: str
    capacity: int
    bars: list[Bar] = field(default_factory=list)
    shades: list[Shade] = field(default_factory=list)
    lanes: int = 1

    @property
    def height(self) -> int:
        return 8 + self.lanes * 22


@dataclass(frozen=True)
class Tick:
    left: float
    label: str
    major: bool


@dataclass
class JobBoard:
    version: ScheduleVersion | None
    start: datetime
    end: datetime
    window: str
    rows: list[BoardRow]
    ticks: list[Tick]
    now_left: float | None
    operation_count: int
    status_counts: dict[str, int]
    previous_start: datetime
    next_start: datetime


def percent_of_window(instant: datetime, start: datetime, span_seconds: float) -> float:
    return round((instant - start).total_seconds() / span_seconds * 100, 3)


def window_bounds(window: str, start: datetime | None) -> tuple[str, datetime, datetime]:
    """A window kind and its [start, end); the start snaps to a UTC midnight."""
    if window not in WINDOW_DAYS:
        window = "week"
    anchor = start or board_now()
    anchor = anchor.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return window, anchor, anchor + timedelta(days=WINDOW_DAYS[window])


def axis_ticks(start: datetime, end: datetime, window: str) -> list[Tick]:
    span = (end - start).total_seconds()
    ticks: list[Tick] = []
    step_hours = {"day": 2, "week": 12, "2weeks": 24, "4weeks": 24}[window]
    at = start
    while at < end:
        major = at.hour == 0
        if window == "day":
            label = at.strftime("%a %d %b") if major else at.strftime("%H:%M")
        elif window == "week":
            label = at.strftime("%a %d") if major else "12:00"
        else:  # one tick a day, weeks start on Monday; four weeks leave room for Mondays only
            major = at.weekday() == 0
            if major:
                label = at.strftime("%d %b")
            else:
                label = at.strftime("%d") if window == "2weeks" else ""
        ticks.append(Tick(percent_of_window(at, start, span), label, major))
        at += timedelta(hours=step_hours)
    return ticks


def assign_lanes(bars: list[Bar]) -> int:
    """Stack overlapping bars in lanes (a work center with capacity 3 runs 3 at once)."""
    lane_ends: list[datetime] = []
    for bar in sorted(bars, key=lambda b: (b.start, b.end)):
        for index, lane_end in enumerate(lane_ends):
            if lane_end <= bar.start:
                bar.lane = index
                lane_ends[index] = bar.end
                break
        else:
            bar.lane = len(lane_ends)
            lane_ends.append(bar.end)
    # As tall as the stacking needs (the label says the capacity): a 4-unit oven used one job
    # at a time should not take four rows of screen.
    return max(len(lane_ends), 1)


def bar_extent(
    start: datetime, end: datetime, window_start: datetime, window_end: datetime
) -> tuple[float, float]:
    """Left offset and width (percent of the window) of a bar for [start, end), clipped to
    [window_start, window_end)."""
    span = (window_end - window_start).total_seconds()
    a, b = max(start, window_start), min(end, window_end)
    return percent_of_window(a, window_start, span), max(
        percent_of_window(b, a, span), MIN_BAR_WIDTH
    )


def off_shift_shades(
    working: list[tuple[datetime, datetime]], start: datetime, end: datetime
) -> list[Shade]:
    """Shades over the gaps between a work center's working windows within [start, end)."""
    span = (end - start).total_seconds()
    shades: list[Shade] = []
    cursor = start
    for a, b in working:
        if a > cursor:
            shades.append(
                Shade(percent_of_window(cursor, start, span), percent_of_window(a, cursor, span))
            )
        cursor = max(cursor, b)
    if cursor < end:
        shades.append(
            Shade(percent_of_window(cursor, start, span), percent_of_window(end, cursor, span))
        )
    return shades


def downtime_shade(
    down_start: datetime, down_end: datetime, reason: str, start: datetime, end: datetime
) -> Shade:
    """A shade marking a work center down over [down_start, down_end), clipped to the window."""
    span = (end - start).total_seconds()
    a, b = max(down_start, start), min(down_end, end)
    return Shade(
        percent_of_window(a, start, span), percent_of_window(b, a, span), True, f"Down: {reason}"
    )


def overlay_proposal(
    board: JobBoard,
    *,
    answer_schedule: Sequence[ScheduledOperation],
    moved: list[dict[str, Any]],
    request_id: str,
    new_order_label: str,
    customer: str,
    promise: datetime | None,
) -> None:
    """Draw a proposal on `board` as before/after: each moved operation keeps a dashed ghost
    where it is now and gets a highlighted bar where the proposal puts it; the new order's
    operations appear in the proposal colour. Rows are the proposal's typed answer's `schedule`
    and its diff's `moved` list (plain data: the quoting app owns the proposal)."""
    rows = {row.code: row for row in board.rows}
    shift = {(m["order"], str(m["operation"])): int(m.get("minutes", 0)) for m in moved}
    current = {(b.order_code, b.sequence): b for row in board.rows for b in row.bars}
    for entry in answer_schedule:
        key = (entry.order, entry.operation)
        is_new = entry.order == request_id
        if not is_new and key not in shift:
            continue
        start, end = entry.start, entry.end
        before = current.get(key)
        if before is not None:
            before.css = "ghost"
            before.note = "where it is now; the proposal moves it"
        if end <= board.start or start >= board.end or entry.work_center not in rows:
            continue
        left, width = bar_extent(start, end, board.start, board.end)
        minutes = shift.get(key, 0)
        sign = "+" if minutes >= 0 else "\u2212"
        bar = Bar(
            pk=before.pk if before else 0,
            order_code=new_order_label if is_new else entry.order,
            sequence=entry.operation,
            customer=customer if is_new else (before.customer if before else ""),
            operation=entry.operation if before is None else before.operation,
            work_center=entry.work_center,
            start=start,
            end=end,
            left=left,
            width=width,
            color="green",
            promise=promise if is_new else (before.promise if before else None),
            slack_minutes=None if is_new else (before.slack_minutes if before else None),
            status_label="new order" if is_new else (before.status_label if before else ""),
            css="new" if is_new else "moved",
            note="the new order"
            if is_new
            else f"moved {sign}{abs(minutes) // 60}h {abs(minutes) % 60:02d}m",
        )
        rows[bar.work_center].bars.append(bar)
    for row in board.rows:
        for existing in row.bars:
            if not existing.css:
                existing.css = "dim"  # unaffected: fade so the proposal's changes stand out
        row.lanes = assign_lanes(row.bars)
