"""The one way the quoting services write the audit trail (`AuditEvent`)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import models

from orders.models import Order
from quoting.models import AuditEvent, Quote, ReplanProposal
from scheduling.models import CapacityOption, ScheduleVersion


def _pk(row: models.Model | int | None) -> Any:
    return row.pk if isinstance(row, models.Model) else row


def audit_event_record(
    *,
    kind: str,
    actor: User | None = None,
    reason: str = "",
    order: Order | int | None = None,
    quote: Quote | int | None = None,
    proposal: ReplanProposal | int | None = None,
    schedule_version: ScheduleVersion | None = None,
    capacity_option: CapacityOption | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Writes one AuditEvent of `kind` (an `AuditEvent.Kind`); enqueues nothing. Runs in the
    caller's transaction, beside the change it records. The order, quote and proposal are
    rows or their primary keys."""
    return AuditEvent.objects.create(
        kind=kind,
        actor=actor,
        reason=reason,
        order_id=_pk(order),
        quote_id=_pk(quote),
        proposal_id=_pk(proposal),
        schedule_version=schedule_version,
        capacity_option=capacity_option,
        detail=detail if detail is not None else {},
    )
