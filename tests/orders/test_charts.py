"""The dashboard's SVG charts: every label inside the picture and no two labels on top of each
other (widths estimated for the 11 px font the stylesheet gives chart text)."""

from __future__ import annotations

import re

import pytest

from orders import charts
from orders.charts import LoadCell, Point

CHAR_WIDTH = 6.6  # a generous average advance of an 11 px sans-serif glyph
TEXT_HEIGHT = 11


def _boxes(svg: str) -> tuple[float, list[tuple[float, float, float, float, str]]]:
    width = float(re.search(r'viewBox="0 0 ([\d.]+) ', svg).group(1))  # type: ignore[union-attr]
    boxes = []
    for attrs, text in re.findall(r"<text ([^>]*)>([^<]*)</text>", svg):
        x = float(re.search(r'x="([-\d.]+)"', attrs).group(1))  # type: ignore[union-attr]
        y = float(re.search(r'y="([-\d.]+)"', attrs).group(1))  # type: ignore[union-attr]
        anchor = re.search(r'text-anchor="(\w+)"', attrs)
        w = len(text.replace("&amp;", "&")) * CHAR_WIDTH
        x0 = {"middle": x - w / 2, "end": x - w}.get(anchor.group(1) if anchor else "", x)
        boxes.append((x0, x0 + w, y - TEXT_HEIGHT, y, text))
    return width, boxes


def _assert_readable(svg: str) -> None:
    width, boxes = _boxes(svg)
    for x0, x1, _, _, text in boxes:
        assert x0 >= 0 and x1 <= width, f"{text!r} is cut off ({x0:.0f}-{x1:.0f} of {width:.0f})"
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            overlap = a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]
            assert not overlap, f"{a[4]!r} overlaps {b[4]!r}"


def test_on_time_line_chart_labels_do_not_overlap() -> None:
    weeks = [Point(f"wk {n}", 80 + n % 20, "") for n in range(39, 51)]
    weeks[-1] = Point("wk 50", 100, "")
    _assert_readable(charts.line_chart(weeks, target=95))


@pytest.mark.parametrize("x_label", ["days late", "days"])
def test_histogram_labels_do_not_overlap(x_label: str) -> None:
    lateness = [Point(label, 3) for label in ["≤\u22125", "-4", "-3", "0", "+1", "≥5"] * 2]
    _assert_readable(charts.histogram(lateness, x_label=x_label))
    lead = [Point(str(d), d % 7) for d in range(42)]
    _assert_readable(charts.histogram(lead, x_label=x_label))


def test_load_matrix_labels_do_not_overlap() -> None:
    weeks = ["wk 50 (07 Dec)", "wk 51 (14 Dec)", "wk 52 (21 Dec)", "wk 53 (28 Dec)"]
    rows = [(f"DEBURR-{n}", [LoadCell(3000, 4000)] * 4) for n in range(3)]
    _assert_readable(charts.load_matrix(rows, weeks))
