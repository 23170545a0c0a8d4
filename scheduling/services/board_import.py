"""Fill an empty shop from a board/1 file and commit its schedule through `schedule_commit`.

How the file's rows map onto the shop's, which schedule is committed, when the import is
rejected and what an export will not give back: docs/import-export.md ("Board files").
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import User
from django.db import transaction

from orders.models import Customer, Operation, Order, Product, RoutingStep
from orders.services import operations_create
from scheduling import engine
from scheduling.boards import board_check, board_snapshot, weekly_from_engine
from scheduling.engine import model as engine_model
from scheduling.models import (
    Calendar,
    CalendarException,
    CapacityOption,
    CapacityOptionWindow,
    ScheduleVersion,
    WorkCenter,
)
from scheduling.services.commit import PromiseSpec, schedule_commit

IMPORT_CUSTOMER_CODE = "IMPORT"
IMPORT_PRODUCT_PREFIX = "IMPORT-"
# Longest code the models store (CharField max_length=64 on every code column).
_CODE_MAX = 64


class BoardImportRejected(Exception):
    """No schedule keeps every promise of the board; nothing was written."""

    def __init__(self, message: str, *, at_fault: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.at_fault = at_fault


@dataclass(frozen=True)
class BoardImportResult:
    version: ScheduleVersion
    orders: int
    # True when the committed schedule was built by engine.check, not taken from the file.
    repaired: bool
    notes: list[str] = field(default_factory=list)


def _shop_contents() -> list[str]:
    """What already exists that an import would collide with or silently join."""
    present = []
    for model, label in (
        (ScheduleVersion, "schedule versions"),
        (Order, "orders"),
        (WorkCenter, "work centers"),
        (Calendar, "calendars"),
        (CapacityOption, "capacity options"),
        (Product, "products"),
    ):
        count = model.objects.count()
        if count:
            present.append(f"{count} {label}")
    return present


def _check_importable(board: engine_model.Board) -> None:
    """What board/1 allows but the shop's tables cannot hold; raises BoardError naming the field."""
    for calendar in board.calendars:
        if len(calendar.id) > _CODE_MAX:
            raise engine.BoardError(f"calendars.{calendar.id}", f"at most {_CODE_MAX} characters")
    for index, wc in enumerate(board.work_centers):
        if len(wc.id) > _CODE_MAX:
            raise engine.BoardError(f"work_centers[{index}].id", f"at most {_CODE_MAX} characters")
    for index, order in enumerate(board.orders):
        if len(order.id) > _CODE_MAX:
            raise engine.BoardError(f"orders[{index}].id", f"at most {_CODE_MAX} characters")
        for j, op in enumerate(order.operations):
            path = f"orders[{index}].operations[{j}]"
            if not op.id.isdigit() or str(int(op.id)) != op.id or int(op.id) < 1:
                raise engine.BoardError(
                    f"{path}.id",
                    "the shop numbers operations by routing sequence: use a whole number "
                    'written plainly, such as "10"',
                )
    for index, option in enumerate(board.capacity_options or ()):
        path = f"capacity_options[{index}]"
        if len(option.id) > _CODE_MAX:
            raise engine.BoardError(f"{path}.id", f"at most {_CODE_MAX} characters")
        try:
            cost = Decimal(str(option.cost))
        except InvalidOperation as exc:  # load_board only lets finite numbers through
            raise engine.BoardError(f"{path}.cost", "must be a number") from exc
        if cost != cost.quantize(Decimal("0.01")) or cost >= Decimal("1e10"):
            raise engine.BoardError(f"{path}.cost", "at most 2 decimals and below 10,000,000,000")


def _routing_signature(order: engine_model.Order) -> tuple[tuple[str, tuple[str, ...], int], ...]:
    return tuple((op.id, tuple(sorted(op.work_centers)), op.minutes) for op in order.operations)


def _create_shop_rows(board: engine_model.Board) -> dict[str, Order]:
    """Calendars, work centers, options, products, the IMPORT customer, orders and operations."""
    calendars: dict[str, Calendar] = {}
    for cal in board.calendars:
        row = Calendar.objects.create(
            code=cal.id, name=cal.id, timezone=cal.timezone, weekly=weekly_from_engine(cal.weekly)
        )
        CalendarException.objects.bulk_create(
            [
                CalendarException(calendar=row, kind=kind, start=a, end=b, reason="Imported")
                for kind, spans in (
                    (CalendarException.Kind.CLOSED, cal.closed),
                    (CalendarException.Kind.EXTRA, cal.extra),
                )
                for a, b in spans
            ]
        )
        calendars[cal.id] = row
    work_centers = {
        wc.id: WorkCenter.objects.create(
            code=wc.id, name=wc.id, capacity=wc.capacity, calendar=calendars[wc.calendar]
        )
        for wc in board.work_centers
    }
    for option in board.capacity_options or ():
        option_row = CapacityOption.objects.create(
            code=option.id,
            name=option.id,
            work_center=work_centers[option.work_center],
            cost=Decimal(str(option.cost)).quantize(Decimal("0.01")),
        )
        CapacityOptionWindow.objects.bulk_create(
            [CapacityOptionWindow(option=option_row, start=a, end=b) for a, b in option.extra]
        )

    customer, _ = Customer.objects.get_or_create(
        code=IMPORT_CUSTOMER_CODE, defaults={"name": "Imported from a board file"}
    )
    products: dict[tuple[tuple[str, tuple[str, ...], int], ...], Product] = {}
    orders: dict[str, Order] = {}
    pending: list[tuple[Operation, list[int]]] = []
    for order in board.orders:
        signature = _routing_signature(order)
        product = products.get(signature)
        if product is None:
            product = _create_product(len(products) + 1, order, work_centers)
            products[signature] = product
        states = {op.effective_state for op in order.operations}
        status = (
            Order.Status.DONE
            if states == {"done"}
            else Order.Status.IN_PROGRESS
            if states & {"running", "done"}
            else Order.Status.OPEN
        )
        order_row = Order.objects.create(
            code=order.id,
            customer=customer,
            product=product,
            quantity=1,
            release=order.release,
            promised_due=order.due,
            buffer_minutes=board.order_buffer(order),
            status=status,
        )
        for op in order.operations:
            started = op.effective_state != "planned"
            pending.append(
                (
                    Operation(
                        order=order_row,
                        sequence=int(op.id),
                        name=f"Operation {op.id}",
                        minutes=op.minutes,
                        state=op.effective_state,
                        work_center=work_centers[op.work_center]
                        if started and op.work_center
                        else None,
                        actual_start=op.start if started else None,
                    ),
                    [work_centers[code].pk for code in op.work_centers],
                )
            )
        orders[order.id] = order_row
    operations_create(operations=pending)
    return orders


def _create_product(
    number: int, order: engine_model.Order, work_centers: dict[str, WorkCenter]
) -> Product:
    steps = " > ".join(f"{op.id} {'|'.join(op.work_centers)}" for op in order.operations)
    product = Product.objects.create(
        code=f"{IMPORT_PRODUCT_PREFIX}{number:03d}",
        name=f"Imported routing {number}",
        description=f"Created by a board import for order {order.id}: {steps}",
    )
    for op in order.operations:
        step = RoutingStep.objects.create(
            product=product,
            sequence=int(op.id),
            name=f"Operation {op.id}",
            setup_minutes=0,
            run_minutes_per_unit=Decimal(op.minutes),
        )
        step.work_centers.set([work_centers[code] for code in op.work_centers])
    return product


def _notes(board: engine_model.Board) -> list[str]:
    notes = []
    if board.request is not None:
        notes.append(f"request {board.request.id} was not imported (quotes are made in the shop)")
    done = {
        (o.id, op.id) for o in board.orders for op in o.operations if op.effective_state == "done"
    }
    stale = [r for r in board.schedule or () if (r.order, r.operation) in done]
    if stale:
        notes.append(f"{len(stale)} schedule row(s) of done operations dropped (history)")
    used = {wc.calendar for wc in board.work_centers}
    unused = sorted(c.id for c in board.calendars if c.id not in used)
    if unused:
        notes.append(
            f"calendar(s) {', '.join(unused)} imported but used by no work center "
            "(exports leave them out)"
        )
    explicit = sum(1 for o in board.orders for op in o.operations if op.state == "planned")
    if explicit:
        notes.append(
            f'{explicit} operation(s) say "state": "planned", the default; exports leave it out'
        )
    finished = [
        o.id for o in board.orders if all(op.effective_state == "done" for op in o.operations)
    ]
    if finished:
        notes.append(
            f"order(s) {', '.join(finished)} have every operation done: imported as done "
            "(exports list open orders only)"
        )
    return notes


def _import_schedule(
    strict: engine_model.Board,
    lenient: engine_model.Board,
    rows: tuple[engine_model.ScheduledOperation, ...] | None,
    notes: list[str],
    time_limit: float | None,
    repromise_late: bool,
) -> tuple[engine_model.Answer, bool]:
    """The schedule to commit and whether the engine built it: the file's own when the verifier
    accepts it, else engine.check's; against the lenient board only with `repromise_late`."""
    plan_only_late = False  # the file's plan is valid against itself, only late for the shop
    if rows is not None:
        candidate = engine_model.Answer(status="promised", schedule=rows)
        violations = engine.verify(strict, candidate)
        if not violations:
            return candidate, False
        plan_only_late = not engine.verify(lenient, candidate)
        if repromise_late and plan_only_late:
            return candidate, False
        notes.append(
            f"the file's schedule breaks {len(violations)} rule(s) in this shop "
            f"(first: {violations[0]}); engine.check repaired it"
        )
    else:
        notes.append("the file has no schedule; engine.check built one")
    answer = board_check(strict, time_limit=time_limit)
    if answer.status != "promised" and repromise_late and rows is not None:
        answer = board_check(lenient, time_limit=time_limit)
    if answer.status != "promised":
        faults = ", ".join(answer.at_fault) or "none named"
        hint = (
            " The file's own plan is valid but already late for these orders: import with "
            "--repromise-late to promise them at completion + buffer."
            if plan_only_late
            else ""
        )
        raise BoardImportRejected(
            f"no schedule keeps every promise of this board ({answer.status}; orders at "
            f"fault: {faults}). {answer.message}".strip()
            + hint,
            at_fault=answer.at_fault,
        )
    return answer, True


def _late_orders(board: engine_model.Board, answer: engine_model.Answer) -> dict[str, datetime]:
    """Orders the answer finishes after due - buffer, with their completion."""
    completion: dict[str, datetime] = {}
    for row in answer.schedule:
        completion[row.order] = max(completion.get(row.order, row.end), row.end)
    return {
        order.id: completion[order.id]
        for order in board.orders
        if order.id in completion
        and completion[order.id] > order.due - timedelta(minutes=board.order_buffer(order))
    }


def board_import(
    *,
    board: engine_model.Board,
    created_by: User | None,
    source: str = "board file",
    time_limit: float | None = None,
    repromise_late: bool = False,
) -> BoardImportResult:
    """Fill an empty shop from `board` and commit its schedule (see docs/import-export.md).

    Writes, in one transaction: calendars and their exceptions, work centers, capacity options
    and windows, the IMPORT customer (if missing), one product per distinct routing, orders and
    operations, then a schedule version (kind "import") with an "imported" promise per order via
    `schedule_commit`. Enqueues nothing.

    An order the board's own schedule already finishes after `due - buffer` (allowed by board/1
    against its baseline) cannot keep its promise in a shop with no earlier plan. With
    `repromise_late`, such orders are imported with the promise the plan honours (completion +
    buffer), said in the promise's reason and in the notes; without it the import is rejected
    naming them.

    Raises BoardError for what the shop cannot hold (naming the field), ValueError when the shop
    is not empty, BoardImportRejected when no schedule keeps every promise (with the orders at
    fault) and ScheduleRejected if the verifier refuses the commit. Nothing is written then.
    """
    _check_importable(board)
    notes = _notes(board)
    with transaction.atomic():
        present = _shop_contents()
        if present:
            raise ValueError(
                "board_import fills an empty shop only; this one already has " + ", ".join(present)
            )
        orders = _create_shop_rows(board)
        # The board exactly as schedule_commit will rebuild it from the rows just written: no
        # baseline, so rule 5 holds every order to due - buffer.
        shop_board = board_snapshot(version=None, now=board.now).board
        done = {
            (o.id, op.id)
            for o in board.orders
            for op in o.operations
            if op.effective_state == "done"
        }
        rows = (
            None
            if board.schedule is None
            else tuple(r for r in board.schedule if (r.order, r.operation) not in done)
        )
        # The same board with the file's plan as its baseline: late orders may stay as late.
        lenient = shop_board if rows is None else dataclasses.replace(shop_board, schedule=rows)
        answer, repaired = _import_schedule(
            shop_board, lenient, rows, notes, time_limit, repromise_late
        )
        late = _late_orders(shop_board, answer)
        if late and not repromise_late:
            names = ", ".join(sorted(late))
            raise BoardImportRejected(
                f"the board's schedule finishes order(s) {names} after due - buffer and no "
                "schedule keeps their promise; import with --repromise-late to promise them at "
                "completion + buffer",
                at_fault=tuple(sorted(late)),
            )
        promises = []
        for code, row in orders.items():
            due, reason = row.promised_due, f"Imported from {source}"
            if code in late:
                due = late[code] + timedelta(minutes=row.buffer_minutes)
                reason = (
                    f"Imported from {source}: its plan ends {late[code]:%Y-%m-%d %H:%M} UTC, "
                    f"after due - buffer; re-promised at completion + buffer (file due "
                    f"{row.promised_due:%Y-%m-%d %H:%M} UTC)"
                )
            promises.append(
                PromiseSpec(
                    order_id=row.pk,
                    due=due,
                    buffer_minutes=row.buffer_minutes,
                    kind="imported",
                    reason=reason[:500],
                )
            )
        if late:
            notes.append(
                f"{len(late)} late order(s) re-promised at completion + buffer: "
                + ", ".join(sorted(late))
            )
        schedule_commit(
            expected_version_id=None,
            now=board.now,
            answer=answer,
            kind=ScheduleVersion.Kind.IMPORT,
            reason=f"Imported from {source}"[:500],
            created_by=created_by,
            promises=promises,
        )
        version = ScheduleVersion.objects.get(is_current=True)
    return BoardImportResult(version=version, orders=len(orders), repaired=repaired, notes=notes)
