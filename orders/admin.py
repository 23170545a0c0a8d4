"""Django admin for customers, users' roles, products and routings, orders and promises.

The admin is a back office, not a back door: orders are created only by accepting a quote, a
promise is only ever written by the scheduling services after the verifier has passed, and the
database refuses to change promise history. So orders, their operations and promises are shown
read-only here, and no admin action sets a date or puts an order onto the schedule.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from orders.models import Customer, Operation, Order, Product, Profile, Promise, RoutingStep


class ReadOnlyAdminMixin:
    """View-only: no add, change or delete, through the form or any bulk action."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "email"]
    search_fields = ["code", "name", "email"]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "customer"]
    list_filter = ["role"]
    search_fields = ["user__username", "customer__code"]
    autocomplete_fields = ["customer"]


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    autocomplete_fields = ["customer"]


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class UserWithRoleAdmin(UserAdmin):
    """Django's user admin with the user's shop role alongside."""

    inlines = [ProfileInline]
    list_display = ["username", "email", "is_staff", "role"]

    @admin.display(description="role")
    def role(self, user: Any) -> str:
        try:
            return str(user.profile.get_role_display())
        except Profile.DoesNotExist:
            return "-"


class RoutingStepInline(admin.TabularInline):
    model = RoutingStep
    extra = 0
    filter_horizontal = ["work_centers"]
    ordering = ["sequence"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    """Routings may change freely: an order copies its operations when it is created, so a
    change here affects only future quotes, never a promise already made."""

    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    inlines = [RoutingStepInline]


@admin.register(RoutingStep)
class RoutingStepAdmin(admin.ModelAdmin):
    list_display = ["product", "sequence", "name", "setup_minutes", "run_minutes_per_unit"]
    list_filter = ["work_centers"]
    search_fields = ["product__code", "name"]
    filter_horizontal = ["work_centers"]


class OperationInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Operation
    fields = readonly_fields = (
        "sequence",
        "name",
        "minutes",
        "state",
        "work_center",
        "actual_start",
        "actual_end",
    )
    ordering = ["sequence"]


class PromiseInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Promise
    fields = readonly_fields = (
        "due",
        "buffer_minutes",
        "kind",
        "reason",
        "created_by",
        "created_at",
    )
    ordering = ["created_at", "id"]


@admin.register(Order)
class OrderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Orders are created by accepting a quote and changed by scheduling services (shop-floor
    events, re-promises), each of which re-verifies the schedule; editing one here would
    bypass that, so the admin only shows them."""

    list_display = ["code", "customer", "product", "quantity", "promised_due", "status"]
    list_filter = ["status", "customer"]
    search_fields = ["code", "customer__code", "product__code"]
    date_hierarchy = "promised_due"
    readonly_fields = [
        "code",
        "customer",
        "product",
        "quantity",
        "release",
        "promised_due",
        "buffer_minutes",
        "status",
        "created_at",
        "completed_at",
    ]
    inlines = [OperationInline, PromiseInline]
    actions = None


@admin.register(Operation)
class OperationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Operation states change from the shop floor through scheduling services."""

    list_display = ["order", "sequence", "name", "minutes", "state", "work_center"]
    list_filter = ["state"]
    search_fields = ["order__code", "name"]
    actions = None


@admin.register(Promise)
class PromiseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Promise history is append-only (the database refuses UPDATE and DELETE)."""

    list_display = ["order", "due", "buffer_minutes", "kind", "created_by", "created_at"]
    list_filter = ["kind"]
    search_fields = ["order__code", "reason"]
    actions = None
