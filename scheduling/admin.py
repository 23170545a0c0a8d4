"""Django admin for calendars, work centers, capacity options and the job board.

The current schedule is sacrosanct (invariant 1): it must stay valid for the calendars and
capacities it was verified against. So the admin lets a manager set up new resources and edit
those the current schedule does not use, while a calendar or work center that the current
schedule uses is shown read-only: shrinking its working time or capacity here would silently
break promises. Such changes go through the scheduler's flows (downtime, capacity options,
replans), which re-verify. Schedule versions and downtimes are written only by services and are
read-only here; a capacity option's status (applied) is set only by approving a proposal.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from orders.admin import ReadOnlyAdminMixin
from scheduling.models import (
    Calendar,
    CalendarException,
    CapacityOption,
    CapacityOptionWindow,
    ScheduledOperation,
    ScheduleVersion,
    WorkCenter,
    WorkCenterDowntime,
)


def work_center_in_current_schedule(work_center: WorkCenter) -> bool:
    return ScheduledOperation.objects.filter(
        version__is_current=True, work_center=work_center
    ).exists()


def calendar_in_current_schedule(calendar: Calendar) -> bool:
    return ScheduledOperation.objects.filter(
        version__is_current=True, work_center__calendar=calendar
    ).exists()


class CalendarExceptionInline(admin.TabularInline):
    model = CalendarException
    extra = 0

    def _locked(self, obj: Calendar | None) -> bool:
        return obj is not None and calendar_in_current_schedule(obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._locked(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._locked(obj) and super().has_delete_permission(request, obj)


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    """Editable until the current schedule has an operation on one of its work centers."""

    list_display = ["code", "name", "timezone", "in_current_schedule"]
    search_fields = ["code", "name"]
    inlines = [CalendarExceptionInline]

    @admin.display(boolean=True, description="used by the current schedule")
    def in_current_schedule(self, calendar: Calendar) -> bool:
        return calendar_in_current_schedule(calendar)

    def has_change_permission(self, request: HttpRequest, obj: Calendar | None = None) -> bool:
        if obj is not None and calendar_in_current_schedule(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Calendar | None = None) -> bool:
        if obj is not None and calendar_in_current_schedule(obj):
            return False
        return super().has_delete_permission(request, obj)


@admin.register(CalendarException)
class CalendarExceptionAdmin(admin.ModelAdmin):
    list_display = ["calendar", "kind", "start", "end", "reason"]
    list_filter = ["kind", "calendar"]
    actions = None  # bulk delete would skip the per-object lock below

    def _locked(self, obj: CalendarException | None) -> bool:
        return obj is not None and calendar_in_current_schedule(obj.calendar)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._locked(obj) and super().has_delete_permission(request, obj)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):  # type: ignore[no-untyped-def]
        form = super().get_form(request, obj, change=change, **kwargs)
        if "calendar" in form.base_fields:
            # A new exception may only go on a calendar the current schedule does not use.
            used = ScheduledOperation.objects.filter(version__is_current=True).values(
                "work_center__calendar"
            )
            field = form.base_fields["calendar"]
            field.queryset = field.queryset.exclude(pk__in=used)  # type: ignore[attr-defined]
        return form


@admin.register(WorkCenter)
class WorkCenterAdmin(admin.ModelAdmin):
    """Editable until the current schedule has an operation on it."""

    list_display = ["code", "name", "capacity", "calendar", "in_current_schedule"]
    list_filter = ["calendar"]
    search_fields = ["code", "name"]
    actions = None  # bulk delete would skip the per-object lock below

    @admin.display(boolean=True, description="used by the current schedule")
    def in_current_schedule(self, work_center: WorkCenter) -> bool:
        return work_center_in_current_schedule(work_center)

    def has_change_permission(self, request: HttpRequest, obj: WorkCenter | None = None) -> bool:
        if obj is not None and work_center_in_current_schedule(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: WorkCenter | None = None) -> bool:
        if obj is not None and work_center_in_current_schedule(obj):
            return False
        return super().has_delete_permission(request, obj)


@admin.register(WorkCenterDowntime)
class WorkCenterDowntimeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Recorded from the shop floor by a service that re-validates every promise."""

    list_display = ["work_center", "start", "end", "reason", "created_by"]
    list_filter = ["work_center"]
    actions = None


class CapacityOptionWindowInline(admin.TabularInline):
    model = CapacityOptionWindow
    extra = 0

    def _locked(self, obj: CapacityOption | None) -> bool:
        return obj is not None and obj.status != CapacityOption.Status.AVAILABLE

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._locked(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._locked(obj) and super().has_delete_permission(request, obj)


@admin.register(CapacityOption)
class CapacityOptionAdmin(admin.ModelAdmin):
    """An available option is only an offer and may be edited; it becomes working time only
    when a scheduler approves a proposal that uses it, so status and the applied fields are
    never set here, and an applied option is frozen."""

    list_display = ["code", "name", "kind", "work_center", "cost", "status"]
    list_filter = ["status", "kind", "work_center"]
    search_fields = ["code", "name"]
    readonly_fields = ["status", "applied_at", "applied_by", "applied_reason"]
    inlines = [CapacityOptionWindowInline]
    actions = None  # bulk delete would skip the per-object lock below

    def has_change_permission(
        self, request: HttpRequest, obj: CapacityOption | None = None
    ) -> bool:
        if obj is not None and obj.status != CapacityOption.Status.AVAILABLE:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(
        self, request: HttpRequest, obj: CapacityOption | None = None
    ) -> bool:
        if obj is not None and obj.status != CapacityOption.Status.AVAILABLE:
            return False
        return super().has_delete_permission(request, obj)


class ScheduledOperationInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ScheduledOperation
    fields = readonly_fields = ("operation", "work_center", "start", "end")
    ordering = ["start"]


@admin.register(ScheduleVersion)
class ScheduleVersionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Versions are written only by scheduling.services.schedule_commit (after the verifier)."""

    list_display = ["number", "is_current", "kind", "reason", "created_by", "created_at"]
    list_filter = ["kind", "is_current"]
    inlines = [ScheduledOperationInline]
    actions = None


@admin.register(ScheduledOperation)
class ScheduledOperationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["version", "operation", "work_center", "start", "end"]
    list_filter = ["version__is_current", "work_center"]
    actions = None
