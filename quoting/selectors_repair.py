"""Reads of repairs and re-promise proposals for the pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from orders.models import Profile
from orders.selectors import User, role_of
from quoting.models import RepairProposal, RepromiseProposal
from scheduling.models import BoardDisruption


@dataclass(frozen=True)
class LateOrder:
    order: str
    promised: datetime
    projected: datetime
    minutes_late: int  # after the promise; <= 0: the buffer is eaten, the promise kept


@dataclass(frozen=True)
class RepairView:
    repair: RepairProposal
    progress_pct: int  # of its time limit elapsed while solving (the engine stops at the limit)
    late: list[LateOrder]

    @property
    def solving(self) -> bool:
        return self.repair.status in (RepairProposal.Status.QUEUED, RepairProposal.Status.SOLVING)

    @property
    def missed(self) -> list[LateOrder]:
        return [row for row in self.late if row.minutes_late > 0]


def _instant(text: str) -> datetime:
    value = parse_datetime(text)
    if value is None:
        raise ValueError(f"not an instant: {text!r}")
    return value


def repair_for(disruption: BoardDisruption | None) -> RepairView | None:
    """The latest repair asked for the disruption, ready to show."""
    if disruption is None:
        return None
    repair = (
        RepairProposal.objects.filter(disruption=disruption).select_related("created_by").first()
    )
    if repair is None:
        return None
    progress = 0
    if repair.status == RepairProposal.Status.SOLVING and repair.started_at is not None:
        elapsed = (timezone.now() - repair.started_at).total_seconds()
        progress = max(1, min(99, int(elapsed / max(repair.time_limit, 0.1) * 100)))
    late = [
        LateOrder(
            row["order"], _instant(row["promised"]), _instant(row["projected"]), row["minutes_late"]
        )
        for row in repair.late
    ]
    return RepairView(repair, progress, late)


def repromises_visible_to(user: User) -> QuerySet[RepromiseProposal]:
    """Re-promise proposals for the shop's sales reps (and schedulers), newest repair first."""
    if role_of(user) not in (Profile.Role.SALES, Profile.Role.SCHEDULER, Profile.Role.MANAGER):
        return RepromiseProposal.objects.none()
    return RepromiseProposal.objects.select_related(
        "order__customer", "order__product", "decided_by", "repair"
    ).order_by("status", "old_due", "id")
