"""Read-only representations of work centers, schedule versions and orders (with their
projection on the current schedule) for the REST API.

Schedule versions are written only by `scheduling.services.schedule_commit` after the verifier
has passed (invariant 2); the API only reads them.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from orders.models import Customer, Operation, Order, Product, Profile, Promise
from orders.selectors import role_of
from scheduling.models import (
    Calendar,
    CalendarException,
    ScheduledOperation,
    ScheduleVersion,
    WorkCenter,
)
from scheduling.selectors_visible import outlook_of


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


# --- orders, as the schedule sees them -----------------------------------------------------------
# Nothing here writes: orders are created only by the quoting workflow and their promised date
# changes only through an audited re-promise, so every field is read-only.


class OrderListFilterSerializer(serializers.Serializer):
    """Query parameters of the order list. A value no row can match (an unknown status, a NUL
    byte, which PostgreSQL refuses in a query) is a 400 naming the parameter, not a 500."""

    status = serializers.ChoiceField(
        choices=Order.Status.choices, required=False, allow_blank=True, help_text="Order status"
    )
    # DRF's CharField refuses NUL characters.
    customer = serializers.CharField(
        max_length=64, required=False, allow_blank=True, help_text="Customer code"
    )


class ScheduledSlotSerializer(serializers.ModelSerializer):
    """Where and when an operation sits on the current schedule."""

    work_center: serializers.SlugRelatedField[WorkCenter] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = ScheduledOperation
        fields = ["work_center", "start", "end"]
        read_only_fields = fields


class OperationSerializer(serializers.ModelSerializer):
    work_centers: serializers.SlugRelatedField[WorkCenter] = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )
    work_center: serializers.SlugRelatedField[WorkCenter] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    scheduled = serializers.SerializerMethodField()

    class Meta:
        model = Operation
        fields = [
            "sequence",
            "name",
            "work_centers",
            "minutes",
            "state",
            "work_center",
            "actual_start",
            "actual_end",
            "scheduled",
        ]
        read_only_fields = fields

    @extend_schema_field(ScheduledSlotSerializer(allow_null=True))
    def get_scheduled(self, operation: Operation) -> dict[str, Any] | None:
        # `current_slots` is prefetched by scheduling.selectors_visible.order_details_visible_to.
        slots = getattr(operation, "current_slots", [])
        return ScheduledSlotSerializer(slots[0]).data if slots else None


class _CustomerView:
    """Leaves the shop's internals (safety buffer, schedule versions) out for a customer user:
    a customer sees its promise and the projection, not how the shop protects them."""

    internal_fields: tuple[str, ...] = ()

    def get_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = super().get_fields()  # type: ignore[misc]
        request = self.context.get("request")  # type: ignore[attr-defined]
        if request is not None and role_of(request.user) == Profile.Role.CUSTOMER:
            for name in self.internal_fields:
                fields.pop(name, None)
        return fields


class PromiseSerializer(_CustomerView, serializers.ModelSerializer):
    internal_fields = ("buffer_minutes", "schedule_version")

    schedule_version: serializers.SlugRelatedField[ScheduleVersion] = serializers.SlugRelatedField(
        slug_field="number", read_only=True
    )

    class Meta:
        model = Promise
        # created_by is left out: a customer reading its history has no business with the
        # shop's user names.
        fields = ["due", "buffer_minutes", "kind", "reason", "created_at", "schedule_version"]
        read_only_fields = fields


class OrderSerializer(_CustomerView, serializers.ModelSerializer):
    internal_fields = ("buffer_minutes",)

    customer: serializers.SlugRelatedField[Customer] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    product: serializers.SlugRelatedField[Product] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    # Annotated by scheduling.selectors_visible.orders_with_projection_visible_to.
    projected_completion = serializers.DateTimeField(read_only=True, allow_null=True)
    on_track = serializers.BooleanField(read_only=True, allow_null=True)
    at_risk = serializers.SerializerMethodField(
        help_text="Projected to eat two thirds of its safety buffer or to miss its promise, or "
        "its completion is unknown because a breakdown broke the plan (projected_completion "
        "then comes from the engine's least-late projection, null when it gave none)."
    )

    class Meta:
        model = Order
        fields = [
            "id",
            "code",
            "customer",
            "product",
            "quantity",
            "customer_po",
            "requested_due",
            "release",
            "promised_due",
            "buffer_minutes",
            "status",
            "created_at",
            "completed_at",
            "projected_completion",
            "on_track",
            "at_risk",
        ]
        read_only_fields = fields

    def get_at_risk(self, order: Order) -> bool:
        if order.status not in (Order.Status.OPEN, Order.Status.IN_PROGRESS):
            return False
        return outlook_of(order).at_risk


class OrderDetailSerializer(OrderSerializer):
    operations = OperationSerializer(many=True, read_only=True)
    promises = PromiseSerializer(many=True, read_only=True)

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "operations", "promises"]
        read_only_fields = fields
