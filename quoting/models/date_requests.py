"""A customer's request for another date on an order."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from quoting.models.quotes import Quote


class DateChangeRequest(models.Model):
    """A customer's request for another date on an order: a follow-up for sales, not a promise."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="date_requests"
    )
    requested_due = models.DateTimeField()
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    # The quote sales made to answer it, if any.
    quote = models.ForeignKey(
        Quote, on_delete=models.PROTECT, null=True, blank=True, related_name="date_requests"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.order} asks {self.requested_due:%Y-%m-%d}"
