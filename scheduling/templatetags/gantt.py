"""The job board's bars as HTML, built in one pass.

A 1,000-operation board has ~1,000 bars with ten attributes each; through the template
language that is ~15,000 variable look-ups and filter calls per request (about two thirds of
the page's server time when measured with bench/board_render.py). Here each bar is one
f-string with every value escaped."""

from __future__ import annotations

from datetime import datetime, tzinfo
from html import escape

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from orders.templatetags.ui import WHEN_FORMAT, minutes, promise_time
from scheduling.gantt import Bar

register = template.Library()


def _bar(
    bar: Bar,
    shown: dict[datetime | None, str],
    promised: dict[datetime | None, str],
    zone: tzinfo,
) -> str:
    classes = f"op {bar.color}"
    if bar.state == "running":
        classes += " running"
    if bar.css:
        classes += f" {bar.css}"
    note = f' data-note="{escape(bar.note)}"' if bar.note else ""
    start, end = _when(bar.start, shown, zone), _when(bar.end, shown, zone)
    # Reachable by keyboard (Tab, then Enter opens the detail panel) and read by a screen
    # reader as what the tooltip shows.
    label = (
        f"{bar.order_code} operation {bar.operation} on {bar.work_center}, {start} to {end}, "
        f"{bar.status_label}"
    )
    return (
        f'<div class="{classes}" style="left:{bar.left}%;width:{bar.width}%;top:{bar.top}px" '
        f'tabindex="0" role="button" aria-label="{escape(label)}" '
        f'data-order="{escape(bar.order_code)}" data-customer="{escape(bar.customer)}" '
        f'data-op="{escape(bar.operation)}" data-wc="{escape(bar.work_center)}" '
        f'data-start="{start}" data-end="{end}" '
        f'data-promise="{_promise(bar.promise, promised)}" '
        f'data-slack="{minutes(bar.slack_minutes)}" '
        f'data-status="{escape(bar.status_label)}"{note}>{escape(bar.order_code)}</div>'
    )


def _when(value: datetime | None, shown: dict[datetime | None, str], zone: tzinfo) -> str:
    """The `when` filter, with the zone looked up once per board instead of per instant, and
    remembered (an order's bars share its promise)."""
    text = shown.get(value)
    if text is None:
        text = shown[value] = "—" if value is None else value.astimezone(zone).strftime(WHEN_FORMAT)
    return text


def _promise(value: datetime | None, promised: dict[datetime | None, str]) -> str:
    """A promise as the quote pages and the proposal panel write it: to the hour, rounded up
    (`promise_time`), remembered per promise."""
    text = promised.get(value)
    if text is None:
        text = promised[value] = promise_time(value)
    return text


@register.simple_tag
def gantt_bars(bars: list[Bar]) -> SafeString:
    shown: dict[datetime | None, str] = {}
    promised: dict[datetime | None, str] = {}
    zone = timezone.get_current_timezone()
    return mark_safe(
        "".join(_bar(bar, shown, promised, zone) for bar in bars)
    )  # every value escaped above
