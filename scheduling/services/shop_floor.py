"""Shop-floor events: an operation started or finished, a work center down for a period.

Each service records the fact, then re-validates every promise (`revalidation.py`, which says
what happens when a promise can no longer be kept), all in one transaction that holds the
current schedule version's row lock. Every event locks the current version first (before its
operation row: see `board_lock`), so concurrent events and commits serialise instead of failing
as stale or deadlocking.

Validation errors (finish before start, a predecessor not done, a work center the operation
cannot use, a period that ends before it starts, a time in the future) raise ValidationError
with per-field messages before anything is written.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet

from orders.models import Operation, Order
from scheduling.boards import board_now
from scheduling.instants import has_time_zone, minute_floor
from scheduling.models import ScheduleVersion, WorkCenter, WorkCenterDowntime
from scheduling.services.revalidation import ShopFloorResult, board_lock, board_revalidate

_Row = TypeVar("_Row", bound=Model)


def _require_aware(errors: dict[str, list[str]], name: str, value: datetime | None) -> bool:
    if value is None:
        errors.setdefault(name, []).append("This field is required.")
        return False
    if not has_time_zone(value):
        errors.setdefault(name, []).append("Give a time with a time zone.")
        return False
    return True


def _not_future(errors: dict[str, list[str]], name: str, value: datetime) -> None:
    if minute_floor(value) > board_now():
        errors.setdefault(name, []).append("Cannot record something that has not happened yet.")


def _check_reason(errors: dict[str, list[str]], reason: str) -> None:
    if not reason or not reason.strip():
        errors.setdefault("reason", []).append("Say why the work center is down.")
    elif len(reason) > 200:
        errors.setdefault("reason", []).append("At most 200 characters.")


def _lock_board_then(
    rows: QuerySet[_Row], pk: int, field: str, missing: str
) -> tuple[ScheduleVersion | None, _Row]:
    """Lock the current schedule version, then the event's row `pk` of `rows` (in that order:
    see `board_lock`); ValidationError on `field` when there is no such row. Inside a
    transaction."""
    current = board_lock()
    row = rows.select_for_update().filter(pk=pk).first()
    if row is None:
        raise ValidationError({field: [missing]})
    return current, row


def operation_start(
    *,
    operation_id: int,
    work_center_id: int,
    at: datetime,
    user: User | None,
) -> ShopFloorResult:
    """Record that an operation started on a work center at `at`, then re-validate promises.

    Writes: the operation (state running, work_center, actual_start), its order's status (in
    progress), and a new schedule version when every promise still holds (see module docstring).
    Enqueues nothing. Raises ValidationError (nothing written) when the operation is not planned,
    an earlier operation of its order is not done, the work center is not one it may use or is
    fully occupied by running operations, or `at` is in the future or before the predecessor
    finished.
    """
    errors: dict[str, list[str]] = {}
    with transaction.atomic():
        current, operation = _lock_board_then(
            Operation.objects.select_related("order"),
            operation_id,
            "operation_id",
            "No such operation.",
        )
        work_center = WorkCenter.objects.filter(pk=work_center_id).first()
        if operation.state != Operation.State.PLANNED:
            errors.setdefault("operation_id", []).append(
                f"Operation {operation} is {operation.state}, not planned."
            )
        earlier = list(
            Operation.objects.filter(order=operation.order, sequence__lt=operation.sequence)
        )
        not_done = [op for op in earlier if op.state != Operation.State.DONE]
        if not_done:
            # board/1 allows at most one running operation per order (done*, running?, planned*).
            errors.setdefault("operation_id", []).append(
                "Finish the earlier operation(s) first: "
                + ", ".join(f"{op.sequence} ({op.state})" for op in not_done)
                + "."
            )
        if work_center is None:
            errors.setdefault("work_center_id", []).append("No such work center.")
        elif not operation.work_centers.filter(pk=work_center.pk).exists():
            errors.setdefault("work_center_id", []).append(
                f"Operation {operation} cannot run on {work_center.code}."
            )
        else:
            running = Operation.objects.filter(
                work_center=work_center, state=Operation.State.RUNNING
            ).count()
            if running >= work_center.capacity:
                errors.setdefault("work_center_id", []).append(
                    f"{work_center.code} already runs {running} operation(s), its capacity."
                )
        if _require_aware(errors, "at", at):
            _not_future(errors, "at", at)
            finished = [op.actual_end for op in earlier if op.actual_end is not None]
            if finished and minute_floor(at) < minute_floor(max(finished)):
                errors.setdefault("at", []).append(
                    "The operation cannot start before the previous one finished "
                    f"({max(finished):%Y-%m-%d %H:%M} UTC)."
                )
        if errors:
            raise ValidationError(errors)
        assert work_center is not None
        operation.state = Operation.State.RUNNING
        operation.work_center = work_center
        operation.actual_start = minute_floor(at)
        operation.save(update_fields=["state", "work_center", "actual_start"])
        Order.objects.filter(pk=operation.order_id, status=Order.Status.OPEN).update(
            status=Order.Status.IN_PROGRESS
        )
        return board_revalidate(
            current=current,
            user=user,
            reason=f"Operation {operation} started on {work_center.code}",
        )


def operation_finish(*, operation_id: int, at: datetime, user: User | None) -> ShopFloorResult:
    """Record that a running operation finished at `at`, then re-validate promises.

    Writes: the operation (state done, actual_end), its order (done with completed_at when it
    was the last operation), and a new schedule version when every promise still holds.
    Enqueues nothing. Raises ValidationError (nothing written) when the operation is not running,
    or `at` is before its start or in the future.
    """
    errors: dict[str, list[str]] = {}
    with transaction.atomic():
        current, operation = _lock_board_then(
            Operation.objects.select_related("order"),
            operation_id,
            "operation_id",
            "No such operation.",
        )
        if operation.state != Operation.State.RUNNING:
            errors.setdefault("operation_id", []).append(
                f"Operation {operation} is {operation.state}; only a running operation finishes."
            )
        if _require_aware(errors, "at", at):
            _not_future(errors, "at", at)
            if operation.actual_start is not None and minute_floor(at) < operation.actual_start:
                errors.setdefault("at", []).append(
                    "An operation cannot finish before it started "
                    f"({operation.actual_start:%Y-%m-%d %H:%M} UTC)."
                )
        if errors:
            raise ValidationError(errors)
        operation.state = Operation.State.DONE
        operation.actual_end = minute_floor(at)
        operation.save(update_fields=["state", "actual_end"])
        order = operation.order
        if not order.operations.exclude(state=Operation.State.DONE).exists():
            order.status = Order.Status.DONE
            order.completed_at = minute_floor(at)
            order.save(update_fields=["status", "completed_at"])
        return board_revalidate(
            current=current, user=user, reason=f"Operation {operation} finished"
        )


def work_center_downtime_record(
    *,
    work_center_id: int,
    start: datetime,
    end: datetime,
    reason: str,
    user: User | None,
) -> ShopFloorResult:
    """Record a work center down from `start` to `end`, then re-validate promises.

    Writes: a WorkCenterDowntime row (the engine sees it as closed time on that work center
    only) and a new schedule version when every promise still holds. Enqueues nothing. Raises
    ValidationError (nothing written) when the work center does not exist, `end` is not after
    `start`, or the reason is empty. A downtime may lie in the future (planned maintenance).
    """
    errors: dict[str, list[str]] = {}
    with transaction.atomic():
        current = board_lock()
        work_center = WorkCenter.objects.filter(pk=work_center_id).first()
        if work_center is None:
            errors.setdefault("work_center_id", []).append("No such work center.")
        start_ok = _require_aware(errors, "start", start)
        end_ok = _require_aware(errors, "end", end)
        if start_ok and end_ok and minute_floor(end) <= minute_floor(start):
            errors.setdefault("end", []).append("The end must be after the start.")
        _check_reason(errors, reason)
        if errors:
            raise ValidationError(errors)
        assert work_center is not None
        downtime = WorkCenterDowntime.objects.create(
            work_center=work_center,
            start=minute_floor(start),
            end=minute_floor(end),
            reason=reason.strip(),
            created_by=user,
        )
        result = board_revalidate(
            current=current,
            user=user,
            reason=f"{work_center.code} down {minute_floor(start):%Y-%m-%d %H:%M}-"
            f"{minute_floor(end):%Y-%m-%d %H:%M} UTC: {reason.strip()}",
        )
        return dataclasses.replace(result, downtime=downtime)


@dataclass(frozen=True)
class DowntimeChange:
    """A downtime edited (or ended early), what it was before, and what that did to the board."""

    downtime: WorkCenterDowntime
    before: dict[str, str]
    result: ShopFloorResult


def downtime_fields(downtime: WorkCenterDowntime) -> dict[str, str]:
    return {
        "work_center": downtime.work_center.code,
        "start": downtime.start.isoformat(),
        "end": downtime.end.isoformat(),
        "reason": downtime.reason,
    }


def work_center_downtime_change(
    *,
    downtime_id: int,
    start: datetime | None = None,
    end: datetime | None = None,
    reason: str | None = None,
    user: User | None,
) -> DowntimeChange:
    """Edit a recorded downtime (a field left None keeps its value), typically to end it early
    ("machine back at ..."), then re-validate promises exactly as recording one does.

    Writes: the WorkCenterDowntime row and what `board_revalidate` writes (a new schedule version,
    or the version marked as no longer fitting reality). Enqueues nothing. Raises
    ValidationError (nothing written) for an unknown downtime, an end not after the start, an
    empty reason, or nothing changed. The caller audits the change (it gets the old values)."""
    errors: dict[str, list[str]] = {}
    with transaction.atomic():
        current, downtime = _lock_board_then(
            WorkCenterDowntime.objects.select_related("work_center"),
            downtime_id,
            "downtime_id",
            "No such downtime.",
        )
        before = downtime_fields(downtime)
        new_start = downtime.start
        new_end = downtime.end
        if start is not None and _require_aware(errors, "start", start):
            new_start = minute_floor(start)
        if end is not None and _require_aware(errors, "end", end):
            new_end = minute_floor(end)
        if not errors and new_end <= new_start:
            errors.setdefault("end", []).append("The end must be after the start.")
        new_reason = downtime.reason if reason is None else reason.strip()
        _check_reason(errors, new_reason)
        if not errors and (new_start, new_end, new_reason) == (
            downtime.start,
            downtime.end,
            downtime.reason,
        ):
            errors.setdefault("end", []).append("Nothing changed.")
        if errors:
            raise ValidationError(errors)
        downtime.start, downtime.end, downtime.reason = new_start, new_end, new_reason
        downtime.save(update_fields=["start", "end", "reason"])
        code = downtime.work_center.code
        result = board_revalidate(
            current=current,
            user=user,
            reason=f"{code} downtime changed to {new_start:%Y-%m-%d %H:%M}-"
            f"{new_end:%Y-%m-%d %H:%M} UTC: {new_reason}",
        )
        return DowntimeChange(downtime=downtime, before=before, result=result)
