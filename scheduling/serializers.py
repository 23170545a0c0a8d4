"""Read-only representations of work centers and schedule versions for the REST API.

Schedule versions are written only by `scheduling.services.schedule_commit` after the verifier
has passed (invariant 2); the API only reads them.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from scheduling.models import (
    Calendar,
    CalendarException,
    ScheduledOperation,
    ScheduleVersion,
    WorkCenter,
)


class CalendarExceptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = CalendarException
        fields = ["kind", "start", "end", "reason"]
        read_only_fields = fields


class CalendarSerializer(serializers.ModelSerializer):
    exceptions = CalendarExceptionSerializer(many=True, read_only=True)

    class Meta:
        model = Calendar
        fields = ["code", "name", "timezone", "weekly", "exceptions"]
        read_only_fields = fields


class WorkCenterSerializer(serializers.ModelSerializer):
    calendar = CalendarSerializer(read_only=True)

    class Meta:
        model = WorkCenter
        fields = ["id", "code", "name", "capacity", "calendar"]
        read_only_fields = fields


class ScheduleVersionSerializer(serializers.ModelSerializer):
    # DRF's metaclass takes declared fields off the class, so this does not shadow Field.parent
    # at run time; the stubs cannot know that.
    parent: serializers.SlugRelatedField[ScheduleVersion] = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="number", read_only=True, allow_null=True
    )
    created_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    # Annotated by scheduling.api.ScheduleVersionViewSet.
    operation_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = ScheduleVersion
        fields = [
            "id",
            "number",
            "parent",
            "is_current",
            "kind",
            "reason",
            "created_by",
            "created_at",
            "planned_at",
            "operation_count",
        ]
        read_only_fields = fields


class ScheduledOperationSerializer(serializers.ModelSerializer):
    order = serializers.CharField(source="operation.order.code", read_only=True)
    operation = serializers.IntegerField(source="operation.sequence", read_only=True)
    name = serializers.CharField(source="operation.name", read_only=True)
    work_center: serializers.SlugRelatedField[WorkCenter] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = ScheduledOperation
        fields = ["order", "operation", "name", "work_center", "start", "end"]
        read_only_fields = fields


class ScheduleVersionDetailSerializer(ScheduleVersionSerializer):
    operations = ScheduledOperationSerializer(many=True, read_only=True)

    class Meta(ScheduleVersionSerializer.Meta):
        fields = [*ScheduleVersionSerializer.Meta.fields, "operations"]
        read_only_fields = fields
