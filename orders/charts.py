"""Server-rendered SVG charts for the manager dashboard (no chart library, no CDN).

Each function takes plain numbers and returns safe SVG markup sized by its viewBox, so the
chart scales with its card. Text is escaped; numbers are formatted by us.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

GREEN = "#2f9e5f"
RED = "#d64545"
YELLOW = "#d69e2e"
BLUE = "#1f4fd8"
GREY = "#c5ccd8"
# Room left of the plot for the y axis' widest value ("100%") at 11 px.
MARGIN_LEFT = 48


@dataclass(frozen=True)
class Point:
    label: str
    value: float | None  # None: no data for this x (drawn as a gap)
    note: str = ""


def _nice_max(value: float) -> float:
    """An axis maximum at or above `value` that splits into four whole-number steps."""
    step = max(1, math.ceil(value / 4))
    if step > 10:
        step = math.ceil(step / 5) * 5
    return float(step * 4)


def _y_grid(x0: int, x1: int, top: int, plot_h: int, y_max: float, unit: str) -> str:
    """Five horizontal gridlines with their values on the left."""
    lines = []
    for i in range(5):
        y = top + plot_h - plot_h * i / 4
        label = f"{y_max * i / 4:g}{escape(unit)}"
        lines.append(
            f'<line class="gridline" x1="{x0}" x2="{x1}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>'
        )
    return "".join(lines)


def line_chart(
    points: Sequence[Point], *, y_max: float = 100, unit: str = "%", target: float | None = None
) -> SafeString:
    """A line over x labels (on-time delivery per week)."""
    # Margins leave room for "100%" on the left, half the last x label on the right and the
    # target's legend above the plot, where no point can cover it.
    width, height, left, right, top, bottom = 640, 230, MARGIN_LEFT, 24, 24, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="line chart">']
    parts.append(_y_grid(left, width - right, top, plot_h, y_max, unit))
    if target is not None:
        y = top + plot_h - plot_h * target / y_max
        legend_x = width - right - 70
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{YELLOW}" '
            f'stroke-dasharray="4 3"/>'
            f'<line x1="{legend_x - 22}" x2="{legend_x - 4}" y1="8" y2="8" stroke="{YELLOW}" '
            f'stroke-dasharray="4 3"/><text x="{legend_x}" y="12">target {target:g}'
            f"{escape(unit)}</text>"
        )
    n = max(len(points), 1)
    step = plot_w / max(n - 1, 1)
    path: list[str] = []
    for i, point in enumerate(points):
        x = left + (step * i if n > 1 else plot_w / 2)
        if i % max(1, n // 8) == 0 or i == n - 1:
            label = escape(point.label)
            parts.append(f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle">{label}</text>')
        if point.value is None:
            path.append("")
            continue
        y = top + plot_h - plot_h * min(point.value, y_max) / y_max
        path.append(f"{x:.1f},{y:.1f}")
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{BLUE}"><title>'
            f"{escape(point.label)}: {point.value:.0f}{escape(unit)} {escape(point.note)}"
            "</title></circle>"
        )
    segments: list[list[str]] = [[]]
    for coord in path:
        if coord:
            segments[-1].append(coord)
        elif segments[-1]:
            segments.append([])
    for segment in segments:
        if len(segment) > 1:
            coords = " ".join(segment)
            parts.append(
                f'<polyline fill="none" stroke="{BLUE}" stroke-width="2" points="{coords}"/>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def histogram(
    bins: Sequence[Point],
    *,
    colors: Sequence[str] | None = None,
    y_unit: str = "",
    x_label: str = "",
) -> SafeString:
    """Vertical bars, one per bin (lead time in days, lateness in days). The x axis' name
    goes under the bin labels, not beside the first one."""
    width, height, left, right, top, bottom = 640, 236, MARGIN_LEFT, 12, 12, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    y_max = _nice_max(max((b.value or 0 for b in bins), default=0))
    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="histogram">']
    parts.append(_y_grid(left, width - right, top, plot_h, y_max, y_unit))
    n = max(len(bins), 1)
    slot = plot_w / n
    for i, b in enumerate(bins):
        value = b.value or 0
        h = plot_h * value / y_max
        x = left + slot * i + slot * 0.12
        color = colors[i] if colors else BLUE
        title = f"{escape(b.label)}: {value:g} {escape(b.note)}"
        parts.append(
            f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{slot * 0.76:.1f}" '
            f'height="{h:.1f}" rx="2" fill="{color}"><title>{title}</title></rect>'
        )
        if i % max(1, n // 12) == 0:
            parts.append(
                f'<text x="{left + slot * (i + 0.5):.1f}" y="{height - 24}" '
                f'text-anchor="middle">{escape(b.label)}</text>'
            )
    base_y = top + plot_h
    if x_label:
        parts.append(
            f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" text-anchor="middle">'
            f"{escape(x_label)}</text>"
        )
    parts.append(
        f'<line class="baseline" x1="{left}" x2="{width - right}" y1="{base_y}" y2="{base_y}"/>'
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))


@dataclass(frozen=True)
class LoadCell:
    load_minutes: int
    capacity_minutes: int

    @property
    def ratio(self) -> float | None:
        return self.load_minutes / self.capacity_minutes if self.capacity_minutes else None


def load_matrix(
    rows: Sequence[tuple[str, Sequence[LoadCell]]], week_labels: Sequence[str]
) -> SafeString:
    """Load versus capacity: one row per work center, one bar per week, 100% marked."""
    label_w, cell_w, row_h, head = 110, 130, 26, 22
    width = label_w + cell_w * len(week_labels) + 8
    height = head + row_h * len(rows) + 6
    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="load versus capacity">']
    for j, label in enumerate(week_labels):
        x = label_w + cell_w * j
        parts.append(f'<text x="{x + 4}" y="14">{escape(label)}</text>')
    for i, (name, cells) in enumerate(rows):
        y = head + row_h * i
        parts.append(f'<text x="0" y="{y + 15}">{escape(name)}</text>')
        for j, cell in enumerate(cells):
            x = label_w + cell_w * j + 4
            bar_w = cell_w - 50
            ratio = cell.ratio
            parts.append(
                f'<rect x="{x}" y="{y + 5}" width="{bar_w}" height="12" rx="2" fill="#eef1f5"/>'
            )
            if ratio is None:
                parts.append(f'<text x="{x + bar_w + 4}" y="{y + 15}">closed</text>')
                continue
            color = GREEN if ratio < 0.75 else YELLOW if ratio <= 0.95 else RED
            filled = bar_w * min(ratio, 1.0)
            hours_load = cell.load_minutes / 60
            hours_cap = cell.capacity_minutes / 60
            parts.append(
                f'<rect x="{x}" y="{y + 5}" width="{filled:.1f}" height="12" rx="2" fill="{color}">'
                f"<title>{escape(name)} {escape(week_labels[j])}: {hours_load:.0f} h planned of "
                f"{hours_cap:.0f} h available</title></rect>"
                f'<text x="{x + bar_w + 4}" y="{y + 15}">{ratio * 100:.0f}%</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))
