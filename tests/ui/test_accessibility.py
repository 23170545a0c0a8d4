"""WCAG AA contrast of the stylesheet's text and badge colours, and a keyboard-reachable Gantt."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

CSS = (Path(__file__).resolve().parents[2] / "static" / "css" / "app.css").read_text()
AA = 4.5  # normal-size text


def _luminance(hex_colour: str) -> float:
    value = hex_colour.lstrip("#")
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted([_luminance(a), _luminance(b)], reverse=True)
    return (high + 0.05) / (low + 0.05)


def _var(name: str) -> str:
    match = re.search(rf"--{name}:\s*(#[0-9a-fA-F]{{6}})", CSS)
    assert match, name
    return match.group(1)


def _rule_colour(selector: str, prop: str) -> str:
    match = re.search(re.escape(selector) + r"\s*\{[^}]*?" + prop + r":\s*([^;]+);", CSS)
    assert match, selector
    value = match.group(1).strip()
    var = re.fullmatch(r"var\(--([a-z0-9-]+)\)", value)
    return _var(var.group(1)) if var else value


@pytest.mark.parametrize("pill", ["green", "yellow", "red", "blue", "grey"])
def test_badges_meet_aa_contrast(pill: str) -> None:
    text = _rule_colour(f".pill.{pill}", "color")
    background = _rule_colour(f".pill.{pill}", "background")
    assert contrast(text, background) >= AA, (pill, text, background)


@pytest.mark.parametrize(
    ("text", "background"),
    [("ink-3", "paper"), ("ink-3", "canvas"), ("green", "paper"), ("red", "paper")],
)
def test_muted_and_coloured_text_meets_aa_contrast(text: str, background: str) -> None:
    assert contrast(_var(text), _var(background)) >= AA


@pytest.mark.parametrize("bar", ["green", "yellow", "red", "grey"])
def test_gantt_bar_labels_meet_aa_contrast(bar: str) -> None:
    assert contrast("#ffffff", _rule_colour(f".op.{bar}", "background")) >= AA


def test_gantt_bars_are_reachable_by_keyboard(client_for: Any) -> None:
    page = client_for("scheduler").get("/board/").content.decode()
    bars = re.findall(r'<div class="op [^"]*"[^>]*>', page)
    assert bars
    for bar in bars:
        assert 'tabindex="0"' in bar and 'role="button"' in bar
    assert re.search(r'aria-label="SO-1 operation \d+ [^"]* on [A-Z]+, [^"]+ to [^"]+"', page)
