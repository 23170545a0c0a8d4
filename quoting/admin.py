"""Read-only admin for the quoting workflow's rows.

Quotes, proposals and audit events are written only by `quoting.services` (through the verified
commit gate); the admin can look, not add, change or delete, so there is no admin action that
forces an order or a promise onto the schedule."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from quoting.models import (
    AuditEvent,
    DateChangeRequest,
    PortfolioMember,
    Quote,
    ReplanProposal,
)


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Quote)
class QuoteAdmin(ReadOnlyAdmin):
    list_display = ["id", "customer", "product", "quantity", "status", "promise", "created_by"]
    list_filter = ["status", "answer_status"]
    search_fields = ["customer__code", "product__code"]


@admin.register(ReplanProposal)
class ReplanProposalAdmin(ReadOnlyAdmin):
    list_display = ["id", "quote", "status", "capacity_option", "promise", "decided_by"]
    list_filter = ["status"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "actor", "order", "quote", "reason"]
    list_filter = ["kind"]


@admin.register(DateChangeRequest)
class DateChangeRequestAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "order", "requested_due", "status", "created_by"]
    list_filter = ["status"]


@admin.register(PortfolioMember)
class PortfolioMemberAdmin(ReadOnlyAdmin):
    list_display = ["quote", "seed", "status", "worker", "promise", "solve_seconds", "reason"]
    list_filter = ["status"]
