"""The audit trail of the quoting workflow (written by `quoting.services.audit`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from quoting.models.proposals import ReplanProposal
from quoting.models.quotes import Quote


class AuditEvent(models.Model):
    """Who did what, when and why, in the quoting workflow (promise rows and schedule versions
    carry their own who/when/why; these rows link them to the quote and proposal behind them)."""

    class Kind(models.TextChoices):
        QUOTE_COMMITTED = "quote_committed", "Quote committed at once"
        PROPOSAL_CREATED = "proposal_created", "Replan proposal created"
        PROPOSAL_APPROVED = "proposal_approved", "Replan proposal approved"
        PROPOSAL_REJECTED = "proposal_rejected", "Replan proposal rejected"
        PROPOSAL_STALE = "proposal_stale", "Proposal stale, re-solving"
        QUOTE_STALE = "quote_stale", "Quote stale at accept, re-solving"
        QUOTE_REQUOTED = "quote_requoted", "Quote solved again on the current board"
        CAPACITY_APPLIED = "capacity_applied", "Capacity option applied"
        REPROMISED = "repromised", "Order re-promised"
        DATE_REQUESTED = "date_requested", "Customer asked for another date"
        DOWNTIME_CHANGED = "downtime_changed", "Downtime edited or ended early"
        REPAIR_APPROVED = "repair_approved", "Repair of a broken board approved"
        REPAIR_REJECTED = "repair_rejected", "Repair of a broken board rejected"
        LATER_PROMISE_CONFIRMED = "later_confirmed", "Sales rep confirmed a later promise"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="audit"
    )
    quote = models.ForeignKey(
        Quote, on_delete=models.PROTECT, null=True, blank=True, related_name="audit"
    )
    proposal = models.ForeignKey(
        ReplanProposal, on_delete=models.PROTECT, null=True, blank=True, related_name="audit"
    )
    schedule_version = models.ForeignKey(
        "scheduling.ScheduleVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    capacity_option = models.ForeignKey(
        "scheduling.CapacityOption",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"
