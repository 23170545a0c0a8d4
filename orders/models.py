"""Customers, products and routings, orders and their operations, and promises.

An order's promised due date is written only together with an append-only `Promise` row, by
services that have verified a schedule version keeping it (see scheduling.services). The
database itself refuses UPDATE and DELETE on promises (migration 0002 installs the triggers).
"""

from __future__ import annotations

import math
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q


class Customer(models.Model):
    code = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Profile(models.Model):
    """A user's role in the shop; customer users are tied to exactly one customer."""

    class Role(models.TextChoices):
        SALES = "sales", "Sales rep"
        SCHEDULER = "scheduler", "Scheduler"
        CUSTOMER = "customer", "Customer"
        MANAGER = "manager", "Manager"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    # IANA name of the zone the user reads times in; blank: the shop's (settings.TIME_ZONE).
    time_zone = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(role="customer") & Q(customer__isnull=False))
                | (~Q(role="customer") & Q(customer__isnull=True)),
                name="customer_role_has_customer",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


class Product(models.Model):
    code = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class RoutingStep(models.Model):
    """One step of a product's routing, on one work center or one of several alternatives."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="routing")
    sequence = models.PositiveIntegerField(help_text="10, 20, 30...: the order of the steps")
    name = models.CharField(max_length=200)
    work_centers = models.ManyToManyField("scheduling.WorkCenter", related_name="routing_steps")
    setup_minutes = models.PositiveIntegerField(default=0)
    run_minutes_per_unit = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["product", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["product", "sequence"], name="unique_routing_step"),
            models.CheckConstraint(
                condition=Q(run_minutes_per_unit__gte=0), name="run_minutes_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.code}/{self.sequence} {self.name}"

    def minutes_for(self, quantity: int) -> int:
        """Working minutes for a quantity; rounded up so a plan never under-books a machine."""
        total = Decimal(self.setup_minutes) + self.run_minutes_per_unit * quantity
        return max(1, math.ceil(total))


class Order(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    code = models.CharField(max_length=64, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="orders")
    quantity = models.PositiveIntegerField()
    release = models.DateTimeField(null=True, blank=True)
    # What the customer asked for, recorded from the quote that created the order: their own
    # purchase-order reference (what they search their files by) and the date they requested.
    customer_po = models.CharField(
        "customer's PO reference", max_length=64, blank=True, default="", db_default=""
    )
    requested_due = models.DateTimeField(null=True, blank=True, editable=False)
    # Mirrors the latest Promise row; written only by services together with that row.
    promised_due = models.DateTimeField(editable=False)
    buffer_minutes = models.PositiveIntegerField(editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["promised_due", "code"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="qty_gte_1")]

    def __str__(self) -> str:
        return self.code


class Operation(models.Model):
    """An order's routing step as a job on the board."""

    class State(models.TextChoices):
        PLANNED = "planned", "Planned"
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="operations")
    sequence = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    work_centers = models.ManyToManyField("scheduling.WorkCenter", related_name="+")
    minutes = models.PositiveIntegerField()
    state = models.CharField(max_length=8, choices=State.choices, default=State.PLANNED)
    # Where and when it actually ran (set from the shop floor when started / finished).
    work_center = models.ForeignKey(
        "scheduling.WorkCenter", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actual_start = models.DateTimeField(null=True, blank=True)
    actual_end = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["order", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["order", "sequence"], name="unique_operation_seq"),
            models.CheckConstraint(condition=Q(minutes__gte=1), name="operation_minutes_gte_1"),
            # A running operation must say where and since when it runs (the engine keeps it
            # there); a done one may lack that history (ERP boards often report only "done").
            models.CheckConstraint(
                condition=~Q(state="running")
                | (Q(work_center__isnull=False) & Q(actual_start__isnull=False)),
                name="started_operation_has_place_and_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order.code}/{self.sequence}"


class Promise(models.Model):
    """An order's promised due date. Append-only: a change is a new row (a re-promise)."""

    class Kind(models.TextChoices):
        INITIAL = "initial", "Initial promise"
        REPROMISE = "repromise", "Re-promise"
        IMPORTED = "imported", "Imported"

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="promises")
    due = models.DateTimeField()
    buffer_minutes = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    reason = models.CharField(max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The schedule version that was verified to keep this promise when it was made.
    schedule_version = models.ForeignKey(
        "scheduling.ScheduleVersion", on_delete=models.PROTECT, related_name="promises"
    )

    class Meta:
        ordering = ["order", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.order.code} due {self.due:%Y-%m-%d %H:%M} ({self.kind})"
