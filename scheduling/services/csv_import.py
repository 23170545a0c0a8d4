"""Work centers, routings and open orders from CSV files as an ERP exports them.

Every row of every file is validated before anything is written; on any error the import writes
nothing and reports every bad row as ``orders.csv row 7, field due: <message>``. Row numbers are
the spreadsheet's: the header is row 1, the first data row is row 2.

Columns (header required, in any order; cells are trimmed; unknown columns are an error):

work centers: ``code, name, capacity, calendar, timezone, weekly``
    One row per work center. Rows naming the same ``calendar`` must give the same ``timezone``
    (an IANA name such as ``Europe/Berlin``) and ``weekly`` pattern; an existing calendar must
    match too. ``weekly`` is clauses separated by ``;``, each ``<days> <window>,<window>...``:
    days ``mon``..``sun``, a range ``mon-fri``, or ``daily``; windows ``HH:MM-HH:MM`` in local
    time, ``24:00`` allowed as an end, a window ending before it starts runs past midnight into
    the next day. ``24/7`` means around the clock. Example:
    ``mon-fri 06:00-14:00,14:00-22:00; sat 06:00-12:00``.
routings: ``product_code, product_name, sequence, step_name, work_centers, setup_minutes,
run_minutes_per_unit``
    One row per routing step. ``work_centers`` lists alternatives separated by ``|``
    (``MILL-1|MILL-2``); each must exist in the shop or in the work-center file of the same run.
    ``product_name`` is required on a product's first row and must not differ on later rows.
    ``run_minutes_per_unit`` may have two decimals.
orders: ``order_code, customer_code, customer_name, product_code, quantity, release, due,
buffer_minutes``
    One row per open order. A customer not yet in the shop is created (``customer_name``
    required for it). ``release`` (optional) and ``due`` are ISO 8601 instants with an offset
    (``2026-12-08T16:00+01:00``, ``2026-12-08T15:00Z``) at whole minutes, or a date
    (``2026-12-08``): a release date means 00:00 UTC that day, a due date 24:00 UTC that day.
    ``buffer_minutes`` (optional) defaults to QUOTE_BUFFER_MINUTES.

The import only adds: a work center, product or order code that already exists is an error
(calendars are shared when identical). Orders get their promises (kind "imported", due and
buffer as given) through `schedule_commit` after the engine's check has built a schedule that
keeps every promise, old and new, so the promised dates are verified; if there is none, the
orders that cannot be kept are reported and nothing is written.
"""

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

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from orders.models import Customer, Operation, Order, Product, RoutingStep
from scheduling.boards import board_now, board_snapshot
from scheduling.engine.boardio.fields import MAX_MINUTES
from scheduling.instants import has_time_zone
from scheduling.models import Calendar, ScheduleVersion, WorkCenter
from scheduling.services.board_io import board_check
from scheduling.services.commit import PromiseSpec, schedule_commit

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


@dataclass
class CsvImportResult:
    calendars: int = 0
    work_centers: int = 0
    products: int = 0
    routing_steps: int = 0
    customers: int = 0
    orders: int = 0
    version: ScheduleVersion | None = None


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


# ---------------------------------------------------------------------------------------------
# Validating each file into plain specs (nothing is written until every file is clean).


@dataclass(frozen=True)
class _WorkCenterSpec:
    code: str
    name: str
    capacity: int
    calendar: str


@dataclass(frozen=True)
class _StepSpec:
    sequence: int
    name: str
    work_centers: tuple[str, ...]
    setup_minutes: int
    run_minutes_per_unit: Decimal


@dataclass(frozen=True)
class _OrderSpec:
    row: int
    code: str
    customer_code: str
    product_code: str
    quantity: int
    release: datetime | None
    due: datetime
    buffer_minutes: int


def _validate_work_centers(
    rows: _Rows, errors: list[CsvRowError]
) -> tuple[list[_WorkCenterSpec], dict[str, tuple[str, dict[str, list[list[str]]]]]]:
    specs: list[_WorkCenterSpec] = []
    calendars: dict[str, tuple[str, dict[str, list[list[str]]]]] = {}
    calendar_row: dict[str, int] = {}
    seen: dict[str, int] = {}
    existing = set(WorkCenter.objects.values_list("code", flat=True))
    stored = {c.code: (c.timezone, c.weekly) for c in Calendar.objects.all()}
    f = rows.file
    for row, values in rows.rows:
        code = _cell(errors, f, row, values, "code", _code)
        name = _cell(errors, f, row, values, "name", _name)
        capacity = _cell(errors, f, row, values, "capacity", _count)
        calendar = _cell(errors, f, row, values, "calendar", _code)
        tz = _cell(errors, f, row, values, "timezone", _timezone)
        weekly = _cell(errors, f, row, values, "weekly", parse_weekly)
        if code is not None:
            if code in seen:
                errors.append(CsvRowError(f, row, "code", f"{code} is also on row {seen[code]}"))
            elif code in existing:
                errors.append(CsvRowError(f, row, "code", f"work center {code} already exists"))
            seen.setdefault(code, row)
        if calendar is not None and tz is not None and weekly is not None:
            if calendar in calendars and calendars[calendar] != (tz, weekly):
                errors.append(
                    CsvRowError(
                        f,
                        row,
                        "calendar",
                        f"calendar {calendar} has a different timezone or weekly pattern on row "
                        f"{calendar_row[calendar]}",
                    )
                )
            elif calendar in stored and stored[calendar] != (tz, weekly):
                errors.append(
                    CsvRowError(
                        f,
                        row,
                        "calendar",
                        f"calendar {calendar} already exists with a different timezone or "
                        "weekly pattern",
                    )
                )
            calendars.setdefault(calendar, (tz, weekly))
            calendar_row.setdefault(calendar, row)
        if None not in (code, name, capacity, calendar):
            specs.append(_WorkCenterSpec(code, name or code, capacity, calendar))
    return specs, calendars


def _validate_routings(
    rows: _Rows, errors: list[CsvRowError], work_centers: set[str]
) -> dict[str, tuple[str, list[_StepSpec]]]:
    products: dict[str, tuple[str, list[_StepSpec]]] = {}
    first_row: dict[str, int] = {}
    sequences: dict[str, dict[int, int]] = {}  # product -> sequence -> row, bad rows included
    existing = set(Product.objects.values_list("code", flat=True))
    f = rows.file
    for row, values in rows.rows:
        code = _cell(errors, f, row, values, "product_code", _code)
        name = _cell(errors, f, row, values, "product_name", _name)
        sequence = _cell(errors, f, row, values, "sequence", _count)
        step_name = _cell(errors, f, row, values, "step_name", _name)
        setup = _cell(errors, f, row, values, "setup_minutes", _minutes)
        run = _cell(errors, f, row, values, "run_minutes_per_unit", _decimal)
        centers = _cell(errors, f, row, values, "work_centers", _work_center_list)
        if centers is not None:
            unknown = [c for c in centers if c not in work_centers]
            if unknown:
                errors.append(
                    CsvRowError(
                        f, row, "work_centers", f"unknown work center(s) {', '.join(unknown)}"
                    )
                )
                centers = None
        if step_name == "":
            errors.append(CsvRowError(f, row, "step_name", "required"))
            step_name = None
        if code is None:
            continue
        if code in existing:
            errors.append(CsvRowError(f, row, "product_code", f"product {code} already exists"))
            existing.discard(code)  # one message per product is enough
            continue
        if code not in products:
            if not name:
                errors.append(
                    CsvRowError(f, row, "product_name", "required on a product's first row")
                )
            products[code] = (name or code, [])
            first_row[code] = row
        elif name and name != products[code][0]:
            errors.append(
                CsvRowError(
                    f,
                    row,
                    "product_name",
                    f"differs from row {first_row[code]} ('{products[code][0]}')",
                )
            )
        steps = products[code][1]
        taken = sequences.setdefault(code, {})
        if sequence is not None and sequence in taken:
            errors.append(
                CsvRowError(
                    f,
                    row,
                    "sequence",
                    f"{code} already has step {sequence} on row {taken[sequence]}",
                )
            )
            continue
        if sequence is not None:
            taken[sequence] = row
        if None not in (sequence, step_name, setup, run, centers):
            steps.append(_StepSpec(sequence, step_name, tuple(centers), setup, run))
    for steps in (s for _, s in products.values()):
        steps.sort(key=lambda s: s.sequence)
    return products


def _work_center_list(text: str) -> list[str]:
    codes = [c.strip() for c in text.split("|")]
    if not text or not all(codes):
        raise ValueError("list one or more work centers separated by |, e.g. MILL-1|MILL-2")
    if len(set(codes)) != len(codes):
        raise ValueError("a work center is listed twice")
    return codes


def _validate_orders(
    rows: _Rows, errors: list[CsvRowError], products: set[str]
) -> tuple[list[_OrderSpec], dict[str, str]]:
    specs: list[_OrderSpec] = []
    new_customers: dict[str, str] = {}
    customer_row: dict[str, int] = {}
    existing_customers = set(Customer.objects.values_list("code", flat=True))
    existing_orders = set(Order.objects.values_list("code", flat=True))
    seen: dict[str, int] = {}
    f = rows.file

    def buffer(text: str) -> int:
        return settings.QUOTE_BUFFER_MINUTES if not text else _minutes(text)

    for row, values in rows.rows:
        code = _cell(errors, f, row, values, "order_code", _code)
        customer = _cell(errors, f, row, values, "customer_code", _code)
        customer_name = _cell(errors, f, row, values, "customer_name", _name)
        product = _cell(errors, f, row, values, "product_code", _code)
        quantity = _cell(errors, f, row, values, "quantity", _count)
        release = _cell(
            errors,
            f,
            row,
            values,
            "release",
            lambda t: _instant(t, end_of_day=False) if t else None,
        )
        due = _cell(
            errors,
            f,
            row,
            values,
            "due",
            lambda t: _instant(t, end_of_day=True) if t else _raise("required"),
        )
        buffer_minutes = _cell(errors, f, row, values, "buffer_minutes", buffer)
        if code is not None:
            if code in seen:
                errors.append(
                    CsvRowError(f, row, "order_code", f"{code} is also on row {seen[code]}")
                )
            elif code in existing_orders:
                errors.append(CsvRowError(f, row, "order_code", f"order {code} already exists"))
            seen.setdefault(code, row)
        if product is not None and product not in products:
            errors.append(
                CsvRowError(
                    f, row, "product_code", f"unknown product {product} (or it has no routing)"
                )
            )
            product = None
        if customer is not None and customer not in existing_customers:
            if customer in new_customers:
                if customer_name and customer_name != new_customers[customer]:
                    errors.append(
                        CsvRowError(
                            f,
                            row,
                            "customer_name",
                            f"differs from row {customer_row[customer]} "
                            f"('{new_customers[customer]}')",
                        )
                    )
            elif not customer_name:
                errors.append(
                    CsvRowError(
                        f, row, "customer_name", f"required for the new customer {customer}"
                    )
                )
                customer = None
            else:
                new_customers[customer] = customer_name
                customer_row[customer] = row
        if release is not None and due is not None and due <= release:
            errors.append(CsvRowError(f, row, "due", "must be after the release"))
            due = None
        if None not in (code, customer, product, quantity, due, buffer_minutes):
            specs.append(
                _OrderSpec(row, code, customer, product, quantity, release, due, buffer_minutes)
            )
    return specs, new_customers


def _check_operation_lengths(
    specs: list[_OrderSpec],
    products: dict[str, tuple[str, list[_StepSpec]]],
    file: str,
    errors: list[CsvRowError],
) -> None:
    """An order whose quantity makes one of its operations longer than MAX_MINUTES is an error
    on its quantity: the board and the shop's columns hold no longer operation."""
    steps: dict[str, list[tuple[int, int, Decimal]]] = {
        code: [(s.sequence, s.setup_minutes, s.run_minutes_per_unit) for s in product_steps]
        for code, (_, product_steps) in products.items()
    }
    stored = RoutingStep.objects.filter(
        product__code__in={s.product_code for s in specs} - set(steps)
    ).values_list("product__code", "sequence", "setup_minutes", "run_minutes_per_unit")
    for code, sequence, setup, run in stored:
        steps.setdefault(code, []).append((sequence, setup, run))
    for spec in specs:
        for sequence, setup, run in steps.get(spec.product_code, []):
            minutes = setup + run * spec.quantity
            if minutes > MAX_MINUTES:
                errors.append(
                    CsvRowError(
                        file,
                        spec.row,
                        "quantity",
                        f"step {sequence} of {spec.product_code} would take {minutes:,.0f} "
                        f"minutes; an operation takes at most {MAX_MINUTES:,} (ten years)",
                    )
                )
                break


def _raise(message: str) -> Any:
    raise ValueError(message)


# ---------------------------------------------------------------------------------------------


def csv_import(
    *,
    work_centers: CsvFile | None = None,
    routings: CsvFile | None = None,
    orders: CsvFile | None = None,
    created_by: User | None,
    time_limit: float | None = None,
) -> CsvImportResult:
    """Validate every row of the given files, then write them in one transaction.

    Writes calendars (new ones), work centers, products with routing steps, customers (new
    ones), orders with their operations, and, when orders were given, a schedule version (kind
    "import") with an "imported" promise per new order through `schedule_commit`. Enqueues
    nothing. Raises CsvImportRejected listing every bad row (file, row, field, message), or the
    orders whose promise cannot be kept; nothing is written then.
    """
    errors: list[CsvRowError] = []
    wc_rows = _read(work_centers, WORK_CENTER_COLUMNS, (), errors) if work_centers else None
    routing_rows = _read(routings, ROUTING_COLUMNS, (), errors) if routings else None
    order_rows = (
        _read(orders, ORDER_COLUMNS, ("release", "buffer_minutes"), errors) if orders else None
    )
    result = CsvImportResult()
    with transaction.atomic():
        # Lock the board first: the orders' check and commit must see the same schedule.
        current = ScheduleVersion.objects.select_for_update().filter(is_current=True).first()
        wc_specs: list[_WorkCenterSpec] = []
        calendars: dict[str, tuple[str, dict[str, list[list[str]]]]] = {}
        if wc_rows is not None:
            wc_specs, calendars = _validate_work_centers(wc_rows, errors)
        known_centers = set(WorkCenter.objects.values_list("code", flat=True)) | {
            s.code for s in wc_specs
        }
        product_specs: dict[str, tuple[str, list[_StepSpec]]] = {}
        if routing_rows is not None:
            product_specs = _validate_routings(routing_rows, errors, known_centers)
        routed = set(RoutingStep.objects.values_list("product__code", flat=True).distinct()) | {
            code for code, (_, steps) in product_specs.items() if steps
        }
        order_specs: list[_OrderSpec] = []
        new_customers: dict[str, str] = {}
        if order_rows is not None:
            order_specs, new_customers = _validate_orders(order_rows, errors, routed)
            _check_operation_lengths(order_specs, product_specs, order_rows.file, errors)
        if errors:
            raise CsvImportRejected(errors)

        stored_calendars = {c.code: c for c in Calendar.objects.all()}
        for code, (tz, weekly) in calendars.items():
            if code not in stored_calendars:
                stored_calendars[code] = Calendar.objects.create(
                    code=code, name=code, timezone=tz, weekly=weekly
                )
                result.calendars += 1
        centers = {wc.code: wc for wc in WorkCenter.objects.all()}
        for spec in wc_specs:
            centers[spec.code] = WorkCenter.objects.create(
                code=spec.code,
                name=spec.name,
                capacity=spec.capacity,
                calendar=stored_calendars[spec.calendar],
            )
            result.work_centers += 1
        for code, (name, steps) in product_specs.items():
            product = Product.objects.create(code=code, name=name)
            result.products += 1
            for step in steps:
                row = RoutingStep.objects.create(
                    product=product,
                    sequence=step.sequence,
                    name=step.name,
                    setup_minutes=step.setup_minutes,
                    run_minutes_per_unit=step.run_minutes_per_unit,
                )
                row.work_centers.set([centers[c] for c in step.work_centers])
                result.routing_steps += 1
        for code, name in new_customers.items():
            Customer.objects.create(code=code, name=name)
            result.customers += 1
        if order_specs:
            result.version = _orders_with_promises(
                order_specs,
                current,
                created_by,
                orders.name if orders else "orders.csv",
                time_limit,
            )
            result.orders = len(order_specs)
    return result


def _orders_with_promises(
    specs: list[_OrderSpec],
    current: ScheduleVersion | None,
    created_by: User | None,
    file: str,
    time_limit: float | None,
) -> ScheduleVersion:
    customers = {
        c.code: c for c in Customer.objects.filter(code__in={s.customer_code for s in specs})
    }
    products = {p.code: p for p in Product.objects.filter(code__in={s.product_code for s in specs})}
    steps = {
        code: list(p.routing.order_by("sequence").prefetch_related("work_centers"))
        for code, p in products.items()
    }
    # In bulk: an ERP export may carry thousands of open orders.
    rows = Order.objects.bulk_create(
        [
            Order(
                code=spec.code,
                customer=customers[spec.customer_code],
                product=products[spec.product_code],
                quantity=spec.quantity,
                release=spec.release,
                promised_due=spec.due,
                buffer_minutes=spec.buffer_minutes,
            )
            for spec in specs
        ]
    )
    created = {order.code: order for order in rows}
    pending = [
        (
            Operation(
                order=order,
                sequence=step.sequence,
                name=step.name,
                minutes=step.minutes_for(order.quantity),
            ),
            step,
        )
        for order, spec in zip(rows, specs, strict=True)
        for step in steps[spec.product_code]
    ]
    operations = Operation.objects.bulk_create([operation for operation, _ in pending])
    through = Operation.work_centers.through
    through.objects.bulk_create(
        [
            through(operation_id=operation.pk, workcenter_id=center.pk)
            for operation, (_, step) in zip(operations, pending, strict=True)
            for center in step.work_centers.all()
        ]
    )
    now = board_now()
    board = board_snapshot(version=current, now=now).board
    answer = board_check(board, time_limit=time_limit)
    if answer.status != "promised":
        row_of = {s.code: s.row for s in specs}
        at_fault = tuple(answer.at_fault)
        problems = [
            CsvRowError(file, row_of[code], "due", "no schedule keeps this promise with its buffer")
            if code in row_of
            else CsvRowError(file, 0, "due", f"order {code} already in the shop would be late")
            for code in at_fault
        ]
        if not problems:
            problems = [
                CsvRowError(
                    file,
                    0,
                    "due",
                    f"the engine found no schedule ({answer.status}): {answer.message}",
                )
            ]
        raise CsvImportRejected(problems, at_fault=at_fault)
    version = schedule_commit(
        expected_version_id=current.pk if current else None,
        now=now,
        answer=answer,
        kind=ScheduleVersion.Kind.IMPORT,
        reason=f"Open orders imported from {file}"[:500],
        created_by=created_by,
        promises=[
            PromiseSpec(
                order_id=order.pk,
                due=order.promised_due,
                buffer_minutes=order.buffer_minutes,
                kind="imported",
                reason=f"Imported from {file}"[:500],
            )
            for order in created.values()
        ],
    ).version
    return version
