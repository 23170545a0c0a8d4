"""Reading CSV files into rows (with spreadsheet row numbers) and parsing their cells; the
columns and formats are described in scheduling/services/csv_import/__init__.py."""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scheduling.engine.boardio.fields import MAX_MINUTES
from scheduling.instants import has_time_zone

WORK_CENTER_COLUMNS = ("code", "name", "capacity", "calendar", "timezone", "weekly")
ROUTING_COLUMNS = (
    "product_code",
    "product_name",
    "sequence",
    "step_name",
    "work_centers",
    "setup_minutes",
    "run_minutes_per_unit",
)
ORDER_COLUMNS = (
    "order_code",
    "customer_code",
    "customer_name",
    "product_code",
    "quantity",
    "release",
    "due",
    "buffer_minutes",
)
_CODE_MAX = 64
_NAME_MAX = 200
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WINDOW = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class CsvFile:
    """A CSV file's name (used in messages) and its text."""

    name: str
    text: str


@dataclass(frozen=True)
class CsvRowError:
    file: str
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file} row {self.row}" if self.row else self.file  # row 0: not one row
        return f"{where}, field {self.field}: {self.message}"


class CsvImportRejected(Exception):
    """The files were not imported; `errors` lists every bad row, `at_fault` the orders whose
    promise no schedule can keep."""

    def __init__(self, errors: list[CsvRowError], *, at_fault: tuple[str, ...] = ()) -> None:
        self.errors = errors
        self.at_fault = at_fault
        head = "\n".join(str(e) for e in errors)
        super().__init__(head or "CSV import rejected")


# ---------------------------------------------------------------------------------------------
# Parsing cells. Each parser returns the value or raises ValueError with the user's message.


def parse_weekly(text: str) -> dict[str, list[list[str]]]:
    """The ``weekly`` pattern (see the module docstring) as the board format's weekly dict."""
    text = text.strip()
    if not text:
        raise ValueError("give the working windows, e.g. 'mon-fri 06:00-14:00'")
    windows: dict[int, list[tuple[int, int]]] = {d: [] for d in range(7)}
    if text.lower() in ("24/7", "24x7"):
        for d in range(7):
            windows[d].append((0, 1440))
    else:
        for clause in (c.strip() for c in text.split(";")):
            if not clause:
                continue
            parts = clause.split(None, 1)
            if len(parts) != 2:
                raise ValueError(f"'{clause}': write days then windows, e.g. 'mon-fri 06:00-14:00'")
            days = _days(parts[0].lower())
            for window in (w.strip() for w in parts[1].split(",")):
                match = _WINDOW.match(window)
                if not match:
                    raise ValueError(f"'{window}' is not a window like 06:00-14:00")
                h1, m1, h2, m2 = (int(x) for x in match.groups())
                if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
                    raise ValueError(f"'{window}' is not a time of day")
                start, end = h1 * 60 + m1, h2 * 60 + m2
                if start == end:
                    raise ValueError(f"'{window}' is empty")
                for d in days:
                    if end > start:
                        windows[d].append((start, end))
                    else:  # runs past midnight: the rest belongs to the next day
                        windows[d].append((start, 1440))
                        if end:
                            windows[(d + 1) % 7].append((0, end))
    result: dict[str, list[list[str]]] = {}
    for d, spans in windows.items():
        spans.sort()
        for (a1, b1), (a2, _) in itertools.pairwise(spans):
            if a2 < b1:
                raise ValueError(f"windows overlap on {DAYS[d]} ({_clock(a1)}-{_clock(b1)})")
        result[DAYS[d]] = [[_clock(a), _clock(b)] for a, b in spans]
    if not any(result.values()):
        raise ValueError("the pattern has no working time")
    return result


def _days(text: str) -> list[int]:
    if text == "daily":
        return list(range(7))
    if "-" in text:
        first, _, last = text.partition("-")
        if first not in DAYS or last not in DAYS:
            raise ValueError(f"'{text}' is not a day range like mon-fri")
        a, b = DAYS.index(first), DAYS.index(last)
        if b < a:
            raise ValueError(f"'{text}': the range must run forwards (mon-fri)")
        return list(range(a, b + 1))
    if text not in DAYS:
        raise ValueError(f"'{text}' is not a day (mon..sun, mon-fri or daily)")
    return [DAYS.index(text)]


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _code(text: str) -> str:
    if not text:
        raise ValueError("required")
    if len(text) > _CODE_MAX:
        raise ValueError(f"at most {_CODE_MAX} characters")
    if any(ch.isspace() for ch in text):
        raise ValueError("a code has no spaces")
    return text


def _name(text: str) -> str:
    if len(text) > _NAME_MAX:
        raise ValueError(f"at most {_NAME_MAX} characters")
    return text


# Quantities, parallel units and sequence numbers: the quote API's bound on a quantity. A larger
# number is a typo, and overflows the shop's integer columns instead of being reported.
_MAX_COUNT = 1_000_000


def _integer(text: str, *, minimum: int, maximum: int) -> int:
    if not re.fullmatch(r"[+-]?\d+", text):
        raise ValueError(f"'{text}' is not a whole number" if text else "required")
    if len(text.lstrip("+-").lstrip("0")) > 20:  # int() refuses 4,300+ digits
        raise ValueError(f"must be between {minimum} and {maximum:,}")
    value = int(text)
    if value < minimum:
        raise ValueError(f"must be {minimum} or more")
    if value > maximum:
        raise ValueError(f"must be at most {maximum:,}")
    return value


def _count(text: str) -> int:
    return _integer(text, minimum=1, maximum=_MAX_COUNT)


def _minutes(text: str) -> int:
    return _integer(text, minimum=0, maximum=MAX_MINUTES)


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"'{text}' is not a number" if text else "required") from exc
    if not value.is_finite() or value < 0:
        raise ValueError("must be a number, 0 or more")
    # Magnitude first: quantize() itself fails on a value such as 1e308.
    if value >= Decimal("1e8") or value != value.quantize(Decimal("0.01")):
        raise ValueError("at most two decimals and below 100,000,000")
    return value


def _timezone(text: str) -> str:
    if not text:
        raise ValueError("required (an IANA name such as Europe/Berlin or UTC)")
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone '{text}'") from exc
    return text


def _instant(text: str, *, end_of_day: bool) -> datetime:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            day = date.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"'{text}' is not a date") from exc
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return start + timedelta(days=1) if end_of_day else start
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise ValueError(
            f"'{text}' is not an ISO 8601 instant such as 2026-12-08T16:00+01:00"
        ) from exc
    if not has_time_zone(value):
        raise ValueError(f"'{text}' has no UTC offset; write e.g. 2026-12-08T16:00+01:00")
    if value.second or value.microsecond:
        raise ValueError("use whole minutes")
    return value.astimezone(UTC)


# ---------------------------------------------------------------------------------------------
# Reading files into rows with their spreadsheet row numbers.


@dataclass
class _Rows:
    file: str
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def _read(
    source: CsvFile, columns: tuple[str, ...], optional: tuple[str, ...], errors: list[CsvRowError]
) -> _Rows:
    result = _Rows(file=source.name)
    reader = csv.reader(io.StringIO(source.text.lstrip("\ufeff")))  # Excel writes a BOM
    try:
        header = next(reader, None)
    except csv.Error as exc:
        errors.append(CsvRowError(source.name, 1, "(header)", f"not CSV: {exc}"))
        return result
    if header is None:
        errors.append(CsvRowError(source.name, 1, "(header)", "the file is empty"))
        return result
    names = [h.strip().lower() for h in header]
    bad_header = False
    for name in names:
        if name not in columns:
            errors.append(CsvRowError(source.name, 1, name or "(blank)", "unknown column"))
            bad_header = True
    for name in columns:
        if name not in names and name not in optional:
            errors.append(CsvRowError(source.name, 1, name, "required column missing"))
            bad_header = True
    if len(set(names)) != len(names):
        errors.append(CsvRowError(source.name, 1, "(header)", "a column is named twice"))
        bad_header = True
    if bad_header:
        return result
    try:
        for cells in reader:
            row = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(names):
                errors.append(
                    CsvRowError(
                        source.name,
                        row,
                        "(row)",
                        f"{len(cells)} cells for {len(names)} columns",
                    )
                )
                continue
            values = {name: cell.strip() for name, cell in zip(names, cells, strict=True)}
            for name in optional:
                values.setdefault(name, "")
            result.rows.append((row, values))
    except csv.Error as exc:
        errors.append(CsvRowError(source.name, reader.line_num, "(row)", f"not CSV: {exc}"))
    return result


def _cell(
    errors: list[CsvRowError],
    file: str,
    row: int,
    values: dict[str, str],
    name: str,
    parse: Callable[[str], Any],
) -> Any:
    try:
        return parse(values[name])
    except ValueError as exc:
        errors.append(CsvRowError(file, row, name, str(exc)))
        return None
