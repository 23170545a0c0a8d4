"""Audited changes to a recorded downtime (the scheduler's "machine back at ..." or an edit).

The change and its re-validation are the shop floor's (`scheduling.services.shop_floor`); this
module adds the audit row in the same transaction, since the audit trail lives here."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction

from quoting.models import AuditEvent
from quoting.services.audit import audit_event_record
from scheduling.services.shop_floor import (
    DowntimeChange,
    downtime_fields,
    work_center_downtime_change,
)


def downtime_change(
    *,
    downtime_id: int,
    changed_by: User | None,
    start: datetime | None = None,
    end: datetime | None = None,
    reason: str | None = None,
) -> DowntimeChange:
    """Edit a downtime (None keeps a field) or end it early, re-validate every promise as
    recording one does, and audit it.

    Writes: what `work_center_downtime_change` writes (the downtime; a new schedule version, or
    the version marked as no longer fitting reality) and an AuditEvent `downtime_changed` with
    the values before and after and what the re-validation said. Enqueues nothing. Raises
    ValidationError (nothing written) on bad input."""
    with transaction.atomic():
        change = work_center_downtime_change(
            downtime_id=downtime_id, start=start, end=end, reason=reason, user=changed_by
        )
        after = downtime_fields(change.downtime)
        ended_early = change.downtime.end < datetime.fromisoformat(
            change.before["end"]
        ) and change.downtime.start == datetime.fromisoformat(change.before["start"])
        audit_event_record(
            kind=AuditEvent.Kind.DOWNTIME_CHANGED,
            actor=changed_by,
            reason=(
                f"{after['work_center']} back up at {change.downtime.end:%Y-%m-%d %H:%M} UTC"
                if ended_early
                else f"{after['work_center']} downtime edited"
            ),
            schedule_version=change.result.version,
            detail={
                "downtime": change.downtime.pk,
                "before": change.before,
                "after": after,
                "outcome": change.result.message[:1000],
                "at_risk": list(change.result.at_risk),
            },
        )
        return change
