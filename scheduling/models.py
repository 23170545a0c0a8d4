"""The shop's resources and the job board.

Work centers, their calendars and capacity options describe what the shop can do; schedule
versions are the job board. Only one schedule version is current; every change makes a new
version (who, why, when, from which parent). Versions are written only through
`scheduling.services.schedule_commit`, which runs the engine's verifier first (invariant 2).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q


def validate_weekly(value: object) -> None:
    """The weekly pattern in the board format: {"mon": [["06:00", "22:00"]], ..., "sun": []}."""
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    if not isinstance(value, dict) or set(value) != set(days):
        raise ValidationError("weekly must have exactly the keys mon..sun")
    for day in days:
        windows = value[day]
        if not isinstance(windows, list):
            raise ValidationError(f"weekly.{day} must be a list of [start, end] pairs")
        for window in windows:
            if (
                not isinstance(window, list)
                or len(window) != 2
                or not all(isinstance(t, str) and len(t) == 5 and t[2] == ":" for t in window)
            ):
                raise ValidationError(f'weekly.{day}: each window is ["HH:MM", "HH:MM"]')
            if window[0] >= window[1]:
                raise ValidationError(f"weekly.{day}: window {window} must end after it starts")


class Calendar(models.Model):
    """A working calendar: weekly shift windows in its own time zone, plus exceptions."""

    code = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    timezone = models.CharField(max_length=64, default="UTC")
    weekly = models.JSONField(validators=[validate_weekly])

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class CalendarException(models.Model):
    """A closed period (holiday) or an extra working window on a whole calendar."""

    class Kind(models.TextChoices):
        CLOSED = "closed", "Closed"
        EXTRA = "extra", "Extra working time"

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="exceptions")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="calendar_exception_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.calendar} {self.kind} {self.start:%Y-%m-%d %H:%M}"


class WorkCenter(models.Model):
    code = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    capacity = models.PositiveIntegerField(default=1, help_text="Parallel units")
    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="work_centers")

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1), name="work_center_capacity_gte_1")
        ]

    def __str__(self) -> str:
        return self.code


class WorkCenterDowntime(models.Model):
    """A work center down for a period (breakdown, maintenance), recorded from the shop floor.

    Exported to the engine as closed time on that work center only."""

    work_center = models.ForeignKey(WorkCenter, on_delete=models.CASCADE, related_name="downtimes")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="downtime_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.work_center} down {self.start:%Y-%m-%d %H:%M}-{self.end:%Y-%m-%d %H:%M}"


class CapacityOption(models.Model):
    """Extra working time on one work center (overtime, Saturday shift, second shift).

    Offered in quotes; becomes part of the work center's working time only when a scheduler
    approves a proposal that uses it (status applied, with who/when/why)."""

    class Kind(models.TextChoices):
        OVERTIME = "overtime", "Overtime"
        SATURDAY = "saturday", "Saturday shift"
        SECOND_SHIFT = "second_shift", "Second shift"

    class Status(models.TextChoices):
        AVAILABLE = "available", "Available"
        APPLIED = "applied", "Applied"
        WITHDRAWN = "withdrawn", "Withdrawn"

    code = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.OVERTIME)
    work_center = models.ForeignKey(
        WorkCenter, on_delete=models.PROTECT, related_name="capacity_options"
    )
    cost = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.AVAILABLE)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    applied_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=Q(cost__gte=0), name="option_cost_gte_0")]

    def __str__(self) -> str:
        return self.code


class CapacityOptionWindow(models.Model):
    option = models.ForeignKey(CapacityOption, on_delete=models.CASCADE, related_name="windows")
    start = models.DateTimeField()
    end = models.DateTimeField()

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="option_window_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.option} {self.start:%Y-%m-%d %H:%M}-{self.end:%Y-%m-%d %H:%M}"


class ScheduleVersion(models.Model):
    """One version of the job board. Exactly one is current (enforced by a unique index)."""

    class Kind(models.TextChoices):
        SEED = "seed", "Demo seed"
        IMPORT = "import", "Board import"
        QUOTE = "quote", "Quote committed"
        REPLAN = "replan", "Replan approved"
        SHOP_FLOOR = "shop_floor", "Shop-floor event"
        # Planned starts that passed without a report, moved to now (the beat's roll forward).
        ROLL_FORWARD = "roll_forward", "Rolled forward"
        REPROMISE = "repromise", "Re-promise"
        REPAIR = "repair", "Check/repair"

    number = models.PositiveIntegerField(unique=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    is_current = models.BooleanField(default=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    reason = models.CharField(max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The instant the engine planned from ("now" of the board it verified).
    planned_at = models.DateTimeField()
    # Orders this version shows finishing after their protected date because reality (a
    # breakdown, an overrun) made it unavoidable: committed from the shop floor with their
    # least-late projection, never by a quote. Their promise is untouched until re-promised.
    at_risk = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"], condition=Q(is_current=True), name="one_current_schedule"
            )
        ]

    def __str__(self) -> str:
        return f"v{self.number}{' (current)' if self.is_current else ''}"


class ScheduledOperation(models.Model):
    version = models.ForeignKey(
        ScheduleVersion, on_delete=models.CASCADE, related_name="operations"
    )
    operation = models.ForeignKey(
        "orders.Operation", on_delete=models.PROTECT, related_name="scheduled"
    )
    work_center = models.ForeignKey(WorkCenter, on_delete=models.PROTECT, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()

    class Meta:
        ordering = ["start"]
        constraints = [
            models.UniqueConstraint(fields=["version", "operation"], name="one_slot_per_version"),
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="scheduled_end_after_start"
            ),
        ]
        indexes = [models.Index(fields=["version", "work_center", "start"])]

    def __str__(self) -> str:
        return f"{self.operation} on {self.work_center} at {self.start:%Y-%m-%d %H:%M}"


class BoardDisruption(models.Model):
    """A shop-floor event made the current schedule version stop fitting reality, and the
    engine's check found no schedule keeping every promise that could replace it.

    The version stays current (nothing unverified is ever committed), so the pages must not
    read it as the truth: while a disruption of the current version is open, every page shows
    a banner and takes each order's outlook from `DisruptedOrder` (the engine's least-late
    projection) instead of the stale plan. A disruption ends when another version becomes
    current (the commit verified that one against reality) or a later event on the same version
    supersedes it (`closed_at`)."""

    version = models.ForeignKey(
        ScheduleVersion, on_delete=models.CASCADE, related_name="disruptions"
    )
    event = models.CharField(max_length=500)  # what happened, in the shop's words
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answer_status = models.CharField(max_length=16)  # the engine's: infeasible / no_solution
    message = models.TextField(blank=True)  # the engine's own words (names the late orders)
    # True when the answer carried a least-late projection; False leaves only what the answer
    # and the board can name (orders at fault, operations planned on a down work center).
    has_projection = models.BooleanField(default=False)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["version"],
                condition=Q(closed_at__isnull=True),
                name="one_open_disruption_per_version",
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version.number} disrupted: {self.event[:60]}"


class DisruptedOrder(models.Model):
    """One open order's outlook while its schedule version is disrupted."""

    disruption = models.ForeignKey(BoardDisruption, on_delete=models.CASCADE, related_name="orders")
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")
    # The end of its last operation on the least-late projection; None when the engine's answer
    # had no projection (the completion is then unknown, never the stale plan's).
    projected_completion = models.DateTimeField(null=True, blank=True)
    late = models.BooleanField()  # projected after its promise, or named at fault by the engine
    # An operation of it is planned (on the stale version) across a downtime of its work center.
    conflict = models.BooleanField(default=False)

    class Meta:
        ordering = ["projected_completion"]
        constraints = [
            models.UniqueConstraint(fields=["disruption", "order"], name="one_outlook_per_order")
        ]

    def __str__(self) -> str:
        return f"{self.order} projected {self.projected_completion}"
