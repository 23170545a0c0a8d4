"""Shop performance behind the manager dashboard: delivery, lead times, promise reliability, load.

Definitions (stated on the page too, so a manager knows what a number means):
- on time: an order completed on or before the day of its promised date at completion (after
  any audited re-promise), in the shop's time zone;
- promise reliability: completion versus the *first* promise the customer was given;
- quoted lead time: an initial promise's date minus the moment it was made;
- load: working minutes of scheduled operations inside each week, on the current schedule,
  against the work center's working minutes in that week times its capacity.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from orders.charts import LoadCell, Point
from orders.models import Order, Promise
from scheduling.models import ScheduledOperation, WorkCenter
from scheduling.selectors import orders_at_risk, working_windows

WEEKS_BACK = 12
WEEKS_AHEAD = 4


@dataclass(frozen=True)
class Dashboard:
    on_time_weekly: list[Point]
    on_time_rate: float | None  # over the weeks shown
    delivered: int
    lead_time_bins: list[Point]
    median_lead_days: float | None
    lateness_bins: list[Point]
    lateness_colors: list[str]
    load_rows: list[tuple[str, list[LoadCell]]]
    load_weeks: list[str]
    open_orders: int
    at_risk_orders: int


def delivered_on_time(completed_at: datetime, promised_due: datetime) -> bool:
    """Delivered on or before the promised day, in the shop's time zone: a customer promised
    "Tuesday" who gets it Tuesday evening got it on time, whatever hour the plan said."""
    shop = timezone.get_default_timezone()
    return completed_at.astimezone(shop).date() <= promised_due.astimezone(shop).date()


def _week_start(instant: datetime) -> datetime:
    day = instant.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def _overlap_minutes(
    start: datetime, end: datetime, windows: list[tuple[datetime, datetime]], starts: list[datetime]
) -> int:
    total = 0.0
    k = max(bisect.bisect_right(starts, start) - 1, 0)
    while k < len(windows) and windows[k][0] < end:
        a, b = windows[k]
        lo, hi = max(a, start), min(b, end)
        if hi > lo:
            total += (hi - lo).total_seconds() / 60
        k += 1
    return round(total)


def load_versus_capacity(
    *, now: datetime, weeks: int = WEEKS_AHEAD
) -> tuple[list[tuple[str, list[LoadCell]]], list[str]]:
    first = _week_start(now)
    last = first + timedelta(weeks=weeks)
    work_centers = list(WorkCenter.objects.select_related("calendar").order_by("code"))
    windows = working_windows(work_centers=work_centers, start=first, end=last)
    starts = {code: [a for a, _ in ws] for code, ws in windows.items()}
    load: dict[tuple[str, int], int] = defaultdict(int)
    slots = ScheduledOperation.objects.filter(
        version__is_current=True, end__gt=first, start__lt=last
    ).values_list("work_center__code", "start", "end")
    for code, start, end in slots:
        for w in range(weeks):
            a = max(start, first + timedelta(weeks=w))
            b = min(end, first + timedelta(weeks=w + 1))
            if b > a:
                load[(code, w)] += _overlap_minutes(a, b, windows[code], starts[code])
    rows = []
    for wc in work_centers:
        cells = []
        for w in range(weeks):
            a, b = first + timedelta(weeks=w), first + timedelta(weeks=w + 1)
            available = _overlap_minutes(a, b, windows[wc.code], starts[wc.code]) * wc.capacity
            cells.append(LoadCell(load[(wc.code, w)], available))
        rows.append((wc.code, cells))
    labels = [
        f"wk {(first + timedelta(weeks=w)).isocalendar().week} "
        f"({(first + timedelta(weeks=w)):%d %b})"
        for w in range(weeks)
    ]
    return rows, labels


def manager_dashboard(*, now: datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    since = _week_start(now) - timedelta(weeks=WEEKS_BACK - 1)

    # On-time delivery per week of completion.
    first_promise = Promise.objects.filter(order=OuterRef("pk")).order_by("created_at", "id")
    delivered = list(
        Order.objects.filter(status=Order.Status.DONE, completed_at__gte=since)
        .annotate(first_due=Subquery(first_promise.values("due")[:1]))
        .values_list("completed_at", "promised_due", "first_due")
    )
    per_week: dict[datetime, list[bool]] = defaultdict(list)
    for completed_at, promised_due, _ in delivered:
        assert completed_at is not None  # filtered on completed_at__gte
        per_week[_week_start(completed_at)].append(delivered_on_time(completed_at, promised_due))
    points = []
    for w in range(WEEKS_BACK):
        week = since + timedelta(weeks=w)
        hits = per_week.get(week, [])
        value = 100 * sum(hits) / len(hits) if hits else None
        points.append(Point(f"wk {week.isocalendar().week}", value, f"({len(hits)} delivered)"))
    on_time = [ok for hits in per_week.values() for ok in hits]
    on_time_rate = sum(on_time) / len(on_time) if on_time else None

    # Promise reliability: completion minus the first promise, in whole days.
    lateness_days = [
        (completed_at - first_due).total_seconds() / 86400
        for completed_at, _, first_due in delivered
        if first_due is not None
    ]
    lateness_bins, lateness_colors = [], []
    for lo in range(-5, 6):
        if lo == -5:
            count = sum(1 for d in lateness_days if d < -4)
            label = "≤\u22125"
        elif lo == 5:
            count = sum(1 for d in lateness_days if d >= 5)
            label = "≥5"
        else:
            count = sum(1 for d in lateness_days if lo <= d < lo + 1)
            label = f"{lo:+d}" if lo else "0"
        lateness_bins.append(Point(label, count, "orders (days vs first promise)"))
        lateness_colors.append("#2f9e5f" if lo < 0 else "#d69e2e" if lo == 0 else "#d64545")

    # Quoted lead time of initial promises made in the period.
    lead_days = sorted(
        (due - created).total_seconds() / 86400
        for due, created in Promise.objects.filter(
            kind=Promise.Kind.INITIAL, created_at__gte=since
        ).values_list("due", "created_at")
    )
    top = max(14, int(lead_days[-1]) + 1 if lead_days else 14)
    top = min(top, 42)
    lead_bins = []
    for d in range(top):
        count = sum(1 for x in lead_days if d <= x < d + 1 or (d == top - 1 and x >= top))
        lead_bins.append(Point(f"{d}", count, "promises (days of lead time)"))
    median = lead_days[len(lead_days) // 2] if lead_days else None

    load_rows, load_weeks = load_versus_capacity(now=now)

    open_orders = list(
        Order.objects.filter(status__in=[Order.Status.OPEN, Order.Status.IN_PROGRESS]).values_list(
            "pk", "promised_due", "buffer_minutes"
        )
    )
    # The same reading as the shop floor's list (red: two thirds of the buffer or late), from
    # the engine's projection while the current version no longer fits reality.
    at_risk = sum(1 for row in orders_at_risk() if row.buffer.at_risk)
    return Dashboard(
        on_time_weekly=points,
        on_time_rate=on_time_rate,
        delivered=len(delivered),
        lead_time_bins=lead_bins,
        median_lead_days=median,
        lateness_bins=lateness_bins,
        lateness_colors=lateness_colors,
        load_rows=load_rows,
        load_weeks=load_weeks,
        open_orders=len(open_orders),
        at_risk_orders=at_risk,
    )
