"""The one gate through which a schedule version or a promise reaches the database.

`schedule_commit` locks the current schedule version, checks it is the version the caller's
answer was solved against, rebuilds the board from the database as it is inside the lock, runs
the engine's independent verifier on exactly what it is about to write, and only then writes the
new version, its scheduled operations, a new order, promise rows and applied capacity options,
all in one transaction. Two concurrent commits serialise on the lock; the loser sees a different
current version and gets `StaleSchedule` (invariants 1-3).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from orders.models import Operation, Order, Promise, RoutingStep
from orders.services import operations_create
from scheduling import engine
from scheduling.boards import board_snapshot, board_with_due
from scheduling.engine.model import Answer, Board, Request
from scheduling.models import (
    CapacityOption,
    ScheduledOperation,
    ScheduleVersion,
    WorkCenter,
)
from scheduling.selectors_disruption import open_disruption


class StaleSchedule(Exception):
    """The current schedule version is not the one the answer was solved against."""

    def __init__(self, *, expected_version_id: int | None, current_version_id: int | None):
        self.expected_version_id = expected_version_id
        self.current_version_id = current_version_id
        super().__init__(
            f"the schedule changed (solved against version id {expected_version_id}, "
            f"current is {current_version_id}); re-solve before committing"
        )


class ScheduleRejected(Exception):
    """The verifier found the schedule about to be written invalid; nothing was written."""

    def __init__(self, violations: Sequence[str]):
        self.violations = list(violations)
        shown = "; ".join(self.violations[:5])
        more = f" (+{len(self.violations) - 5} more)" if len(self.violations) > 5 else ""
        super().__init__(f"schedule rejected by the verifier: {shown}{more}")


@dataclass(frozen=True)
class NewOrderSpec:
    """The order a committed quote creates; its operations are the answer's request rows.
    No code: the next number of the shop's order numbering (`next_order_code`)."""

    code: str | None
    customer_id: int
    product_id: int
    quantity: int
    release: datetime | None
    reason: str
    customer_po: str = ""  # the customer's purchase-order reference
    requested_due: datetime | None = None  # the date the customer asked for


@dataclass(frozen=True)
class PromiseSpec:
    """A promise row to append for an existing order (imported, or an audited re-promise)."""

    order_id: int
    due: datetime
    buffer_minutes: int
    kind: str  # Promise.Kind
    reason: str


@dataclass(frozen=True)
class CommitResult:
    version: ScheduleVersion
    order: Order | None = None
    promises: list[Promise] = field(default_factory=list)


def schedule_commit(
    *,
    expected_version_id: int | None,
    now: datetime,
    answer: Answer,
    kind: str,
    reason: str,
    created_by: User | None,
    request: Request | None = None,
    options: Sequence[str] = (),
    new_order: NewOrderSpec | None = None,
    promises: Sequence[PromiseSpec] = (),
    accept_late: Sequence[str] = (),
) -> CommitResult:
    """Verify and write a new current schedule version.

    Writes: a ScheduleVersion (current; the previous one stops being current), one
    ScheduledOperation per row of `answer.schedule`, the `new_order` with its operations and
    initial promise (due = answer.promise) when given, the `promises` rows (updating each
    order's promised due date), and marks `options` applied. Enqueues nothing.

    `accept_late` names orders that reality has already made late: rule 5 is waived for them
    alone and they are recorded on the version as at risk; every other rule still holds for
    them, and no promise of theirs is changed. Shop-floor, roll-forward and repair commits may
    pass it; so may a scheduler-approved replan (a quote made against the repair of a
    disrupted board), and only while the current version has an open BoardDisruption (checked
    in the lock).

    Raises StaleSchedule if the current version is not `expected_version_id`, and
    ScheduleRejected if the engine's verifier rejects the answer against the board rebuilt
    from the database inside the lock (or an option is no longer available). Nothing is
    written in either case.
    """
    if answer.status != "promised":
        raise ScheduleRejected([f"answer status is {answer.status}, not promised"])
    if (new_order is None) != (request is None):
        raise ValueError("a new order and its request go together")
    late_allowed = {
        ScheduleVersion.Kind.SHOP_FLOOR,
        ScheduleVersion.Kind.ROLL_FORWARD,
        ScheduleVersion.Kind.REPAIR,
    }
    replan = kind == ScheduleVersion.Kind.REPLAN
    if accept_late and not replan and (kind not in late_allowed or new_order or promises):
        # A quote or a re-promise must keep every promise; only reality may make one late.
        raise ScheduleRejected(["late orders are accepted only from shop-floor events"])
    with transaction.atomic():
        current = ScheduleVersion.objects.select_for_update().filter(is_current=True).first()
        current_id = current.pk if current else None
        if current_id != expected_version_id:
            raise StaleSchedule(
                expected_version_id=expected_version_id, current_version_id=current_id
            )
        if accept_late and replan and (current is None or open_disruption(current) is None):
            raise ScheduleRejected(
                ["late orders are accepted in a replan only while reality has broken the board"]
            )

        orders_by_pk = {
            o.pk: o for o in Order.objects.filter(pk__in=[p.order_id for p in promises])
        }
        changes = {orders_by_pk[p.order_id].code: p for p in promises}
        snapshot = board_snapshot(version=current, now=now, request=request)
        board = board_with_due(
            snapshot.board, {code: (c.due, c.buffer_minutes) for code, c in changes.items()}
        )
        missing = [code for code in options if code not in snapshot.option_pks]
        violations = [f"capacity option {code} is not available" for code in missing]
        violations += engine.verify(board, answer, options, accept_late=accept_late)
        if violations:
            raise ScheduleRejected(violations)

        number = (ScheduleVersion.objects.aggregate(n=Max("number"))["n"] or 0) + 1
        if current is not None:
            flipped = ScheduleVersion.objects.filter(pk=current.pk, is_current=True).update(
                is_current=False
            )
            if flipped != 1:  # cannot happen under the row lock; refuse rather than guess
                raise StaleSchedule(
                    expected_version_id=expected_version_id, current_version_id=None
                )
        version = ScheduleVersion.objects.create(
            number=number,
            parent=current,
            is_current=True,
            kind=kind,
            reason=reason,
            created_by=created_by,
            planned_at=now,
            at_risk=sorted(accept_late),
        )

        operation_pks = dict(snapshot.operation_pks)
        order = None
        written: list[Promise] = []
        if new_order is not None and request is not None:
            assert answer.promise is not None
            order = _create_order(new_order, request, answer.promise, board)
            for op in order.operations.all():
                operation_pks[(request.id, str(op.sequence))] = op.pk
            written.append(
                Promise.objects.create(
                    order=order,
                    due=answer.promise,
                    buffer_minutes=order.buffer_minutes,
                    kind=Promise.Kind.INITIAL,
                    reason=new_order.reason,
                    created_by=created_by,
                    schedule_version=version,
                )
            )
        for spec in promises:
            Order.objects.filter(pk=spec.order_id).update(
                promised_due=spec.due, buffer_minutes=spec.buffer_minutes
            )
            written.append(
                Promise.objects.create(
                    order_id=spec.order_id,
                    due=spec.due,
                    buffer_minutes=spec.buffer_minutes,
                    kind=spec.kind,
                    reason=spec.reason,
                    created_by=created_by,
                    schedule_version=version,
                )
            )
        for code in options:
            applied = CapacityOption.objects.filter(
                pk=snapshot.option_pks[code], status=CapacityOption.Status.AVAILABLE
            ).update(
                status=CapacityOption.Status.APPLIED,
                applied_at=timezone.now(),
                applied_by=created_by,
                applied_reason=reason,
            )
            if applied != 1:
                raise ScheduleRejected([f"capacity option {code} was taken concurrently"])

        ScheduledOperation.objects.bulk_create(
            ScheduledOperation(
                version=version,
                operation_id=operation_pks[(row.order, row.operation)],
                work_center_id=snapshot.work_center_pks[row.work_center],
                start=row.start,
                end=row.end,
            )
            for row in answer.schedule
        )
    return CommitResult(version=version, order=order, promises=written)


# A shop's order codes end in a number ("SO-24151"); new orders continue the numbering of the
# most recent order that has one. An empty shop starts here.
FIRST_ORDER_CODE = "SO-1001"
_NUMBERED = re.compile(r"^(.*?)(\d+)$")


def next_order_code() -> str:
    """The code after the highest one with the latest order's prefix, keeping its digit width
    ("SO-24151" -> "SO-24152"). Called inside `schedule_commit`'s lock, so two commits never
    draw the same code (the unique column would refuse it anyway)."""
    latest = Order.objects.filter(code__regex=r"[0-9]$").order_by("-created_at", "-id").first()
    match = _NUMBERED.match(latest.code) if latest is not None else None
    if match is None:
        return FIRST_ORDER_CODE
    prefix, digits = match.group(1), match.group(2)
    highest = 0
    for code in Order.objects.filter(code__startswith=prefix).values_list("code", flat=True):
        rest = code[len(prefix) :]
        if rest.isdigit():
            highest = max(highest, int(rest))
    return f"{prefix}{highest + 1:0{len(digits)}d}"


def _create_order(
    spec: NewOrderSpec,
    request: Request,
    promise: datetime,
    board: Board,
) -> Order:
    buffer = board.order_buffer(request)
    order = Order.objects.create(
        code=spec.code or next_order_code(),
        customer_id=spec.customer_id,
        product_id=spec.product_id,
        quantity=spec.quantity,
        release=spec.release,
        customer_po=spec.customer_po,
        requested_due=spec.requested_due,
        promised_due=promise,
        buffer_minutes=buffer,
    )
    names = dict(
        RoutingStep.objects.filter(product_id=spec.product_id).values_list("sequence", "name")
    )
    work_centers = dict(WorkCenter.objects.values_list("code", "pk"))
    operations_create(
        operations=[
            (
                Operation(
                    order=order,
                    sequence=int(op.id),
                    name=names.get(int(op.id), f"Step {op.id}"),
                    minutes=op.minutes,
                ),
                [work_centers[code] for code in op.work_centers],
            )
            for op in request.operations
        ]
    )
    return order
