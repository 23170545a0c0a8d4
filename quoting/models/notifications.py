"""What a user should hear about without watching a page."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from quoting.models.proposals import ReplanProposal
from quoting.models.quotes import Quote


class Notification(models.Model):
    """Something a user should hear about without watching a page: a scheduler's decision on
    the replan proposal of a sales rep's quote. Read when the user opens the list."""

    class Kind(models.TextChoices):
        PROPOSAL_APPROVED = "proposal_approved", "Proposal approved"
        PROPOSAL_REJECTED = "proposal_rejected", "Proposal rejected"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    text = models.CharField(max_length=500)
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="notifications")
    proposal = models.ForeignKey(
        ReplanProposal,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient} ({self.quote})"
