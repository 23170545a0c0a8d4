"""The scheduler's audited re-promise of an order, and the date a repaired plan keeps."""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from orders.models import Order, Promise
from quoting.models import (
    AuditEvent,
)
from quoting.services.audit import audit_event_record
from quoting.services.conflicts import (
    QuotingConflict,
    RepromiseInfeasible,
)
from quoting.services.quote_requests import promise_date_problem
from scheduling.boards import (
    board_check,
    board_now,
    board_snapshot,
    board_with_due,
    current_version,
)
from scheduling.engine import model as engine_model
from scheduling.models import ScheduleVersion
from scheduling.services import (
    PromiseSpec,
    ScheduleRejected,
    StaleSchedule,
    schedule_commit,
)


def repromise_due(projected: datetime, buffer_minutes: int) -> datetime:
    """The date a repaired plan keeps: its completion plus the order's buffer, on the hour."""
    keepable = projected + timedelta(minutes=buffer_minutes)
    hours = math.ceil(keepable.timestamp() / 3600)
    return datetime.fromtimestamp(hours * 3600, tz=keepable.tzinfo)


def _current_schedule_answer(board: engine_model.Board) -> engine_model.Answer:
    """The current schedule, unchanged, as an answer the verifier can check."""
    return engine_model.Answer(status="promised", schedule=board.schedule or ())


def order_repromise(*, order_id: int, due: datetime, reason: str, repromised_by: User) -> Promise:
    """Change an order's promise through an audited re-promise (scheduler only).

    First verifies the current schedule, unchanged, against the new date; if it does not keep
    it, asks the engine to repair the board (every other promise kept, this order by its new
    date) and commits that. Writes a new schedule version (kind `repromise`), a Promise row
    (kind `repromise`; the old rows stay) and an AuditEvent, all through `schedule_commit`.

    Raises ValidationError for bad input (a due date without a time zone, in the past or beyond
    PROMISE_HORIZON_DAYS), RepromiseInfeasible when no valid schedule keeps the
    new date, QuotingConflict if the board kept changing during the attempt."""
    errors: dict[str, str] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = "a re-promise needs a reason"
    if problem := promise_date_problem(due):
        errors["due"] = problem
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        raise ValidationError({"order": "no such order"})
    if order.status not in (Order.Status.OPEN, Order.Status.IN_PROGRESS):
        errors["order"] = f"order {order.code} is {order.status}"
    if errors:
        raise ValidationError(errors)
    due = due.astimezone(UTC).replace(second=0, microsecond=0)
    spec = PromiseSpec(
        order_id=order.pk,
        due=due,
        buffer_minutes=order.buffer_minutes,
        kind=Promise.Kind.REPROMISE,
        reason=reason[:500],
    )
    last_error: Exception | None = None
    for _attempt in range(3):  # the board may change under us; each retry reads it again
        version = current_version()
        if version is None:
            raise QuotingConflict("there is no schedule yet")
        # The current plan as it stands, checked at the instant it was planned from.
        snapshot = board_snapshot(version=version, now=version.planned_at)
        unchanged = (version.planned_at, _current_schedule_answer(snapshot.board))
        try:
            return _repromise_commit(order, version, spec, unchanged, repromised_by)
        except StaleSchedule as exc:
            last_error = exc
            continue
        except ScheduleRejected:
            pass
        now = board_now()
        board = dataclasses.replace(
            board_with_due(
                board_snapshot(version=version, now=now).board, {order.code: (due, None)}
            ),
            request=None,
        )
        repaired = board_check(board)
        if repaired.status != "promised":
            raise RepromiseInfeasible(
                {
                    "due": f"no schedule keeps every promise with {order.code} due "
                    f"{due:%Y-%m-%d %H:%M} UTC: {repaired.message or repaired.status}"
                }
            )
        try:
            return _repromise_commit(order, version, spec, (now, repaired), repromised_by)
        except StaleSchedule as exc:
            last_error = exc
            continue
        except ScheduleRejected as exc:
            raise RepromiseInfeasible({"due": str(exc)}) from exc
    raise QuotingConflict(f"the schedule kept changing; try again ({last_error})")


def _repromise_commit(
    order: Order,
    version: ScheduleVersion,
    spec: PromiseSpec,
    plan: tuple[datetime, engine_model.Answer],
    user: User,
) -> Promise:
    now, answer = plan
    with transaction.atomic():
        result = schedule_commit(
            expected_version_id=version.pk,
            now=now,
            answer=answer,
            kind=ScheduleVersion.Kind.REPROMISE,
            reason=f"Re-promise {order.code}: {spec.reason}"[:500],
            created_by=user,
            promises=[spec],
        )
        promise = result.promises[0]
        audit_event_record(
            kind=AuditEvent.Kind.REPROMISED,
            actor=user,
            reason=spec.reason,
            order=order,
            schedule_version=result.version,
            detail={
                "from": order.promised_due.isoformat(),
                "to": spec.due.isoformat(),
                "moved": len(answer.moved),
            },
        )
    return promise
