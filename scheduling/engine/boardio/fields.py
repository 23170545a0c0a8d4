"""Readers for the JSON values of board/1 and answer/1: each takes a value and its JSON path
and raises ``BoardError`` naming that path."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from os import PathLike
from typing import Any, NoReturn

from scheduling.engine.model import (
    ScheduledOperation,
    Span,
)

BOARD_FORMAT = "board/1"
ANSWER_FORMAT = "answer/1"
OPERATION_STATES = ("planned", "running", "done")
ANSWER_STATUSES = ("promised", "infeasible", "no_solution")

# Explicit offset required; seconds and fractions are tolerated in the syntax only so that the
# error can say "resolution is one minute" instead of "not an instant".
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$")
_CLOCK = re.compile(r"^(\d{2}):(\d{2})$")
# Ten years of minutes bounds every whole number a board carries (durations, buffers, capacity):
# a larger one is a typo, and values like 10**18 overflow datetime arithmetic and the shop's
# integer columns instead of being reported.
MAX_MINUTES = 10 * 366 * 24 * 60


class BoardError(ValueError):
    """A board or answer document that does not follow its format; ``field`` is a JSON path."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field or '(root)'}: {message}")
        self.field = field
        self.message = message


def fail(path: str, message: str) -> NoReturn:
    raise BoardError(path, message)


def expect_object(
    value: Any, path: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        fail(path, f"must be an object, got {kind(value)}")
    allowed = set(required) | set(optional)
    for key in value:
        if key not in allowed:
            fail(_join(path, str(key)), "unknown key")
    for key in required:
        if key not in value:
            fail(_join(path, key), "required key missing")
    return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "an array"
    return type(value).__name__


def expect_list(value: Any, path: str, *, non_empty: bool = False) -> list[Any]:
    if not isinstance(value, (list, tuple)):
        fail(path, f"must be an array, got {kind(value)}")
    if non_empty and not value:
        fail(path, "must not be empty")
    return list(value)


def expect_id(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value:
        fail(path, f"must be a non-empty string, got {kind(value)}")
    return value


def expect_string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        fail(path, f"must be a string, got {kind(value)}")
    return value


def expect_minutes(value: Any, path: str, *, minimum: int) -> int:
    # bool is a subclass of int in Python; a JSON true is not a duration.
    if isinstance(value, bool) or not isinstance(value, int):
        fail(path, f"must be a whole number of minutes, got {kind(value)} {value!r}")
    if value < minimum:
        fail(path, f"must be at least {minimum}, got {value}")
    if value > MAX_MINUTES:
        fail(path, f"must be at most {MAX_MINUTES}, got {value}")
    return value


def expect_bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        fail(path, f"must be true or false, got {kind(value)}")
    return value


def expect_number(value: Any, path: str, *, minimum: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(path, f"must be a number, got {kind(value)}")
    if not math.isfinite(value) or value < minimum:
        fail(path, f"must be a finite number >= {minimum:g}, got {value!r}")
    return value


def parse_instant(value: Any, path: str) -> datetime:
    """An ISO 8601 instant with an explicit offset and whole minutes, returned in UTC."""
    if not isinstance(value, str):
        fail(path, f"must be an ISO 8601 instant string, got {kind(value)}")
    if not _INSTANT.match(value):
        fail(
            path,
            f"must be an ISO 8601 instant with an explicit offset like "
            f"2026-12-01T06:00:00Z, got {value!r}",
        )
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        fail(path, f"not a valid instant {value!r}: {error}")
    if parsed.second or parsed.microsecond:
        fail(path, f"resolution is one minute: seconds must be zero, got {value!r}")
    return parsed.astimezone(UTC)


def format_instant(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: the engine works with UTC-aware instants")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def optional_instant(value: Any, path: str) -> datetime | None:
    return None if value is None else parse_instant(value, path)


def format_optional_instant(value: datetime | None) -> str | None:
    return None if value is None else format_instant(value)


def expect_spans(value: Any, path: str) -> tuple[Span, ...]:
    spans = []
    for index, item in enumerate(expect_list(value, path)):
        item_path = f"{path}[{index}]"
        pair = expect_list(item, item_path)
        if len(pair) != 2:
            fail(item_path, f"must be a [start, end] pair, got {len(pair)} elements")
        start = parse_instant(pair[0], f"{item_path}[0]")
        end = parse_instant(pair[1], f"{item_path}[1]")
        if not start < end:
            fail(
                item_path, f"start {format_instant(start)} must be before end {format_instant(end)}"
            )
        spans.append((start, end))
    return tuple(spans)


def dump_spans(spans: tuple[Span, ...]) -> list[list[str]]:
    return [[format_instant(start), format_instant(end)] for start, end in spans]


def expect_clock(value: Any, path: str) -> int:
    if not isinstance(value, str) or not (match := _CLOCK.match(value)):
        fail(path, f'must be a local time "HH:MM", got {value!r}')
    hours, minutes = int(match.group(1)), int(match.group(2))
    if (hours, minutes) != (24, 0) and (hours > 23 or minutes > 59):
        fail(path, f"not a time of day: {value!r}")
    return hours * 60 + minutes


def format_clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def read_json_file(path: str | PathLike[str]) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        raise BoardError("", f"cannot read {path}: {error}") from error
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise BoardError("", f"{path} is not valid JSON: {error}") from error


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json keeps the last of duplicate keys silently; in a board that hides an editing mistake.
    counts = Counter(key for key, _ in pairs)
    duplicates = sorted(key for key, count in counts.items() if count > 1)
    if duplicates:
        raise BoardError("", f"duplicate key {duplicates[0]!r} in a JSON object")
    return dict(pairs)


def _no_constant(name: str) -> NoReturn:
    raise BoardError("", f"{name} is not a JSON number")


def expect_scheduled_operation(value: Any, path: str) -> ScheduledOperation:
    body = expect_object(value, path, ("order", "operation", "work_center", "start", "end"))
    row = ScheduledOperation(
        order=expect_id(body["order"], f"{path}.order"),
        operation=expect_id(body["operation"], f"{path}.operation"),
        work_center=expect_id(body["work_center"], f"{path}.work_center"),
        start=parse_instant(body["start"], f"{path}.start"),
        end=parse_instant(body["end"], f"{path}.end"),
    )
    if not row.start < row.end:
        fail(
            f"{path}.end",
            f"{format_instant(row.end)} must be after start {format_instant(row.start)}",
        )
    return row


def dump_scheduled_operation(row: ScheduledOperation) -> dict[str, Any]:
    return {
        "order": row.order,
        "operation": row.operation,
        "work_center": row.work_center,
        "start": format_instant(row.start),
        "end": format_instant(row.end),
    }
