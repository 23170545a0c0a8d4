"""A customer's request for another date on one of its orders, and its closing by sales."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from orders.selectors import orders_visible_to
from quoting.models import (
    AuditEvent,
    DateChangeRequest,
)
from quoting.services.audit import audit_event_record
from quoting.services.conflicts import (
    QuotingConflict,
)
from quoting.services.quote_requests import promise_date_problem


def date_change_request_create(
    *, order_id: int, requested_due: datetime, note: str, requested_by: User
) -> DateChangeRequest:
    """A customer asks for another date on one of its orders. Writes a DateChangeRequest (an
    open follow-up for sales, who may quote it) and an AuditEvent; never a promise. Raises
    ValidationError when the order is not one the user may see (`orders_visible_to`: a
    customer user only its own) or the date has no time zone, is past or beyond the
    horizon (PROMISE_HORIZON_DAYS)."""
    if problem := promise_date_problem(requested_due):
        raise ValidationError({"requested_due": problem})
    if not orders_visible_to(requested_by).filter(pk=order_id).exists():
        raise ValidationError({"order": "no such order"})
    with transaction.atomic():
        request = DateChangeRequest.objects.create(
            order_id=order_id,
            requested_due=requested_due,
            note=(note or "")[:500],
            created_by=requested_by,
        )
        audit_event_record(
            kind=AuditEvent.Kind.DATE_REQUESTED,
            actor=requested_by,
            order=order_id,
            reason=request.note,
            detail={"requested_due": requested_due.isoformat()},
        )
    return request


def date_change_request_close(
    *, request_id: int, closed_by: User, quote_id: int | None = None
) -> DateChangeRequest:
    """Sales closes a customer's date request, optionally linking the quote made for it."""
    with transaction.atomic():
        if not DateChangeRequest.objects.filter(
            pk=request_id, status=DateChangeRequest.Status.OPEN
        ).update(
            status=DateChangeRequest.Status.CLOSED,
            closed_by=closed_by,
            closed_at=timezone.now(),
            quote_id=quote_id,
        ):
            raise QuotingConflict("this date request is already closed")
    return DateChangeRequest.objects.get(pk=request_id)
