"""Validating each file's rows into plain specs: nothing is written until every file is clean."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings

from orders.models import Customer, Order, Product, RoutingStep
from scheduling.engine.boardio.fields import MAX_MINUTES
from scheduling.models import Calendar, WorkCenter
from scheduling.services.csv_import.reading import (
    CsvRowError,
    _cell,
    _code,
    _count,
    _decimal,
    _instant,
    _minutes,
    _name,
    _Rows,
    _timezone,
    parse_weekly,
)

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
