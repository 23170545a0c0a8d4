"""Shop-floor events through the REST API, for an MES or a terminal on the floor.

Schedulers only. Each request goes through the same service as the shop-floor page, so it is
validated, recorded and re-validated against every promise in one transaction: bad input is a
400 with field messages and nothing written."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from orders.models import Operation
from orders.permissions import IsScheduler, IsSchedulerOrManager
from quoting import services as quoting_services
from scheduling.models import ScheduledOperation, WorkCenterDowntime
from scheduling.selectors_disruption import open_disruption
from scheduling.serializers_shop_floor import (
    DowntimeChangeSerializer,
    DowntimeCreateSerializer,
    DowntimeOutcomeSerializer,
    DowntimeSerializer,
    OperationFinishSerializer,
    OperationStartSerializer,
    ShopFloorOutcomeSerializer,
)
from scheduling.services import shop_floor
from scheduling.services.revalidation import ShopFloorResult

# Service argument names -> API field names, so a refusal lands on the field the client sent.
_FIELDS = {"work_center_id": "work_center", "operation_id": "non_field_errors"}


def _refused(exc: DjangoValidationError) -> ValidationError:
    if not hasattr(exc, "error_dict"):
        return ValidationError({"non_field_errors": exc.messages})
    return ValidationError({_FIELDS.get(k, k): v for k, v in exc.message_dict.items()})


def _outcome(result: ShopFloorResult) -> dict[str, Any]:
    return {
        "message": result.message,
        "schedule_version": result.version.number if result.version else None,
        "board_broken": open_disruption() is not None,
        "at_risk": list(result.at_risk),
    }


class DowntimeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Work centers down for a period. Record one (POST), end it early or edit it (PATCH);
    each re-validates every promise like the shop-floor page. Newest first."""

    http_method_names = ["get", "post", "patch", "head", "options"]
    serializer_class = DowntimeSerializer

    def get_permissions(self) -> list[Any]:
        if self.action in ("list", "retrieve"):
            return [IsSchedulerOrManager()]
        return [IsScheduler()]

    def get_queryset(self) -> QuerySet[WorkCenterDowntime]:
        return WorkCenterDowntime.objects.select_related("work_center").order_by("-start", "-id")

    @extend_schema(request=DowntimeCreateSerializer, responses={201: DowntimeOutcomeSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = DowntimeCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            result = shop_floor.work_center_downtime_record(
                work_center_id=values["work_center"].pk,
                start=values["start"],
                end=values["end"],
                reason=values["reason"],
                user=request.user,  # type: ignore[arg-type]
            )
        except DjangoValidationError as exc:
            raise _refused(exc) from exc
        return Response(
            {"downtime": DowntimeSerializer(result.downtime).data, "outcome": _outcome(result)},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=DowntimeChangeSerializer, responses={200: DowntimeOutcomeSerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        downtime = self.get_object()
        data = DowntimeChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            change = quoting_services.downtime_change(
                downtime_id=downtime.pk,
                changed_by=request.user,  # type: ignore[arg-type]
                **data.validated_data,
            )
        except DjangoValidationError as exc:
            raise _refused(exc) from exc
        return Response(
            {
                "downtime": DowntimeSerializer(change.downtime).data,
                "outcome": _outcome(change.result),
            }
        )

    @extend_schema(exclude=True)
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)


class OperationEventViewSet(viewsets.GenericViewSet):
    """An operation started or finished on the floor (schedulers)."""

    permission_classes = [IsScheduler]
    queryset = Operation.objects.all()
    # What DRF describes for OPTIONS (each action validates its own body); without one,
    # OPTIONS answered 500.
    serializer_class = OperationFinishSerializer

    @extend_schema(request=OperationStartSerializer, responses={200: ShopFloorOutcomeSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str) -> Response:
        operation = self.get_object()
        data = OperationStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        work_center = data.validated_data.get("work_center")
        if work_center is None:
            slot = ScheduledOperation.objects.filter(
                version__is_current=True, operation=operation
            ).first()
            if slot is None:
                raise ValidationError({"work_center": ["Say where it started."]})
            work_center_id = slot.work_center_id
        else:
            work_center_id = work_center.pk
        try:
            result = shop_floor.operation_start(
                operation_id=operation.pk,
                work_center_id=work_center_id,
                at=data.validated_data.get("at") or timezone.now(),
                user=request.user,  # type: ignore[arg-type]
            )
        except DjangoValidationError as exc:
            raise _refused(exc) from exc
        return Response(_outcome(result))

    @extend_schema(request=OperationFinishSerializer, responses={200: ShopFloorOutcomeSerializer})
    @action(detail=True, methods=["post"])
    def finish(self, request: Request, pk: str) -> Response:
        operation = self.get_object()
        data = OperationFinishSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            result = shop_floor.operation_finish(
                operation_id=operation.pk,
                at=data.validated_data.get("at") or timezone.now(),
                user=request.user,  # type: ignore[arg-type]
            )
        except DjangoValidationError as exc:
            raise _refused(exc) from exc
        return Response(_outcome(result))
