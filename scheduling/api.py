"""REST API for work centers, schedule versions, the current job board and orders with their
projection on it. Read-only.

The board is served in the board/1 exchange format (docs/board-format.md), built by the same
adapter the solver uses (`scheduling.boards.board_snapshot`), so what a scheduler downloads is
exactly what the engine would be given.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from orders.models import Order
from orders.permissions import HasAnyRole, IsSchedulerOrManager, IsStaffRole
from scheduling import selectors_visible as selectors
from scheduling.boards import board_snapshot
from scheduling.engine import dump_board
from scheduling.models import ScheduleVersion, WorkCenter
from scheduling.serializers import (
    OrderDetailSerializer,
    OrderListFilterSerializer,
    OrderSerializer,
    ScheduleVersionDetailSerializer,
    ScheduleVersionSerializer,
    WorkCenterSerializer,
)


class WorkCenterViewSet(viewsets.ReadOnlyModelViewSet):
    """Work centers with capacity and working calendar (weekly shifts and exceptions)."""

    serializer_class = WorkCenterSerializer
    permission_classes = [IsStaffRole]

    def get_queryset(self) -> QuerySet[WorkCenter]:
        return selectors.work_centers_visible_to(self.request.user)


class ScheduleVersionViewSet(viewsets.ReadOnlyModelViewSet):
    """Versions of the job board, newest first; the detail lists every scheduled operation."""

    permission_classes = [IsSchedulerOrManager]

    def get_queryset(self) -> QuerySet[ScheduleVersion]:
        if self.action == "retrieve":
            return selectors.schedule_version_details_visible_to(self.request.user)
        return selectors.schedule_versions_visible_to(self.request.user)

    def get_serializer_class(self) -> type[BaseSerializer[ScheduleVersion]]:
        if self.action == "retrieve":
            return ScheduleVersionDetailSerializer
        return ScheduleVersionSerializer


@extend_schema_view(list=extend_schema(parameters=[OrderListFilterSerializer]))
class OrderViewSet(viewsets.ReadOnlyModelViewSet):
    """Orders with their promise and projection on the current schedule.

    Read-only: orders are created only by accepting a quote, and a promised date changes only
    through an audited re-promise. A customer user sees only its own customer's orders."""

    permission_classes = [HasAnyRole]

    def get_queryset(self) -> QuerySet[Order]:
        if self.action == "retrieve":
            return selectors.order_details_visible_to(self.request.user)
        orders = selectors.orders_with_projection_visible_to(self.request.user)
        form = OrderListFilterSerializer(data=self.request.query_params)
        form.is_valid(raise_exception=True)
        # Filters narrow the visible rows; they can never widen them.
        if status := form.validated_data.get("status"):
            orders = orders.filter(status=status)
        if customer := form.validated_data.get("customer"):
            orders = orders.filter(customer__code=customer)
        return orders

    def get_serializer_class(self) -> type[BaseSerializer[Order]]:
        return OrderDetailSerializer if self.action == "retrieve" else OrderSerializer


class BoardView(APIView):
    """The current schedule as a board/1 document (scheduler and manager only)."""

    permission_classes = [IsSchedulerOrManager]

    @extend_schema(
        responses={200: OpenApiTypes.OBJECT},
        description="The open orders, work centers, calendars, capacity options and the current "
        "schedule in the board/1 format (see docs/board-format.md).",
    )
    def get(self, request: Request) -> Response:
        document: dict[str, Any] = dump_board(board_snapshot(assume_started=False).board)
        return Response(document)
