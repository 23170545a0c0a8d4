"""Writing validated CSV specs: calendars, work centers, products, customers, and the orders
with their promises through `schedule_commit`."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction

from orders.models import Customer, Order, Product, RoutingStep
from orders.services import order_operations_create
from scheduling.boards import board_check, board_now, board_snapshot
from scheduling.models import Calendar, ScheduleVersion, WorkCenter
from scheduling.services.commit import PromiseSpec, schedule_commit
from scheduling.services.csv_import.reading import (
    ORDER_COLUMNS,
    ROUTING_COLUMNS,
    WORK_CENTER_COLUMNS,
    CsvFile,
    CsvImportRejected,
    CsvRowError,
    _read,
)
from scheduling.services.csv_import.validation import (
    _check_operation_lengths,
    _OrderSpec,
    _StepSpec,
    _validate_orders,
    _validate_routings,
    _validate_work_centers,
    _WorkCenterSpec,
)


@dataclass
class CsvImportResult:
    calendars: int = 0
    work_centers: int = 0
    products: int = 0
    routing_steps: int = 0
    customers: int = 0
    orders: int = 0
    version: ScheduleVersion | None = None


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
    routing = {
        p.pk: list(p.routing.order_by("sequence").prefetch_related("work_centers"))
        for p in products.values()
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
    order_operations_create(orders=rows, routing=routing)
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
