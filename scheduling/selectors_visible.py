"""What a user may read of the schedule: orders with their projection on the current version,
work centers, schedule versions. The permission filter itself is `orders.selectors` (invariant
5 is decided there); this module only adds the schedule's side of each row.
"""

from __future__ import annotations

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    When,
)

from orders import selectors as order_selectors
from orders.models import Operation, Order, Promise
from orders.selectors import BOARD_ROLES, STAFF_ROLES, User, role_of
from scheduling.models import DisruptedOrder, ScheduledOperation, ScheduleVersion, WorkCenter
from scheduling.selectors import BufferStatus, outlook_status
from scheduling.selectors_disruption import Disrupted


def _current_slots() -> QuerySet[ScheduledOperation]:
    return ScheduledOperation.objects.filter(version__is_current=True).select_related("work_center")


def orders_with_projection_visible_to(user: User) -> QuerySet[Order]:
    """`orders.selectors.orders_visible_to` (staff roles see every order, a customer user only
    its own customer's), annotated with their projection on the current schedule. Each order
    carries `projected_completion` (the end of its last operation on the current schedule, None
    when it has nothing left scheduled; while the current version no longer fits reality, the
    engine's least-late projection instead, None when unknown) and `on_track` (projected
    completion no later than the promised due date), so a customer sees honest progress rather
    than only the promise. `outlook_of` reads the buffer status from these annotations."""
    # The one permission filter (invariant 5), looked up in its module.
    orders = order_selectors.orders_visible_to(user)
    planned = (
        ScheduledOperation.objects.filter(version__is_current=True, operation__order=OuterRef("pk"))
        .values("operation__order")
        .annotate(last_end=Max("end"))
        .values("last_end")
    )
    # While the current version no longer fits reality, the engine's projection replaces the
    # stale plan (unknown, None, when the engine gave none).
    disrupted = DisruptedOrder.objects.filter(
        order=OuterRef("pk"),
        disruption__closed_at__isnull=True,
        disruption__version__is_current=True,
    )
    return (
        orders.select_related("customer", "product")
        .annotate(
            disrupted=Exists(disrupted),
            disrupted_late=Subquery(disrupted.values("late")[:1]),
            disrupted_conflict=Subquery(disrupted.values("conflict")[:1]),
        )
        .annotate(
            projected_completion=Case(
                When(disrupted=True, then=Subquery(disrupted.values("projected_completion")[:1])),
                default=Subquery(planned),
            )
        )
        .annotate(
            on_track=ExpressionWrapper(
                Q(projected_completion__lte=F("promised_due")), output_field=BooleanField()
            )
        )
    )


def outlook_of(order: Order) -> BufferStatus:
    """The buffer status of an order from `orders_with_projection_visible_to` (its
    annotations), the same
    reading the scheduler's pages make, disrupted board included."""
    disrupted = None
    if getattr(order, "disrupted", False):
        disrupted = Disrupted(
            order.projected_completion,  # type: ignore[attr-defined]
            bool(order.disrupted_late),  # type: ignore[attr-defined]
            bool(order.disrupted_conflict),  # type: ignore[attr-defined]
        )
    return outlook_status(
        promised_due=order.promised_due,
        buffer_minutes=order.buffer_minutes,
        projected_completion=order.projected_completion,  # type: ignore[attr-defined]
        disrupted=disrupted,
    )


def order_details_visible_to(user: User) -> QuerySet[Order]:
    """`orders_with_projection_visible_to` with operations (and their current slot) and
    promise history."""
    return orders_with_projection_visible_to(user).prefetch_related(
        Prefetch(
            "operations",
            queryset=Operation.objects.order_by("sequence").prefetch_related(
                "work_centers",
                Prefetch("scheduled", queryset=_current_slots(), to_attr="current_slots"),
            ),
        ),
        Prefetch(
            "promises",
            queryset=Promise.objects.order_by("created_at", "id").select_related(
                "schedule_version"
            ),
        ),
    )


def work_centers_visible_to(user: User) -> QuerySet[WorkCenter]:
    """Work centers with their calendars: shop staff only (a customer has no use for them)."""
    if role_of(user) not in STAFF_ROLES:
        return WorkCenter.objects.none()
    return WorkCenter.objects.select_related("calendar").prefetch_related("calendar__exceptions")


def schedule_versions_visible_to(user: User) -> QuerySet[ScheduleVersion]:
    """Schedule versions, newest first, for the roles that see the board."""
    if role_of(user) not in BOARD_ROLES:
        return ScheduleVersion.objects.none()
    # Explicit order: Meta.ordering is dropped from queries with GROUP BY (the Count).
    return (
        ScheduleVersion.objects.select_related("parent", "created_by")
        .annotate(operation_count=Count("operations"))
        .order_by("-number")
    )


def schedule_version_details_visible_to(user: User) -> QuerySet[ScheduleVersion]:
    """`schedule_versions_visible_to` with each version's operations in start order."""
    return schedule_versions_visible_to(user).prefetch_related(
        Prefetch(
            "operations",
            queryset=ScheduledOperation.objects.select_related(
                "operation__order", "work_center"
            ).order_by("start", "operation__order__code", "operation__sequence"),
        )
    )
