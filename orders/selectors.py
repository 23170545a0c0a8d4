"""Reads of customers, products and orders, with permission filtering in one place.

Every API view and page asks these functions for its rows instead of building its own queryset,
so "a customer never sees another customer's data" (invariant 5) is decided here and only here:
a customer user's querysets are restricted by the customer on its profile, never by an ID taken
from the request. A user without a role sees nothing.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
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
from django.utils import timezone

from orders.models import Customer, Operation, Order, Product, Profile, Promise, RoutingStep
from scheduling.models import DisruptedOrder, ScheduledOperation, ScheduleVersion, WorkCenter
from scheduling.selectors import BufferStatus, outlook_status
from scheduling.selectors_disruption import Disrupted

# Roles that work for the shop and see every customer's orders.
STAFF_ROLES = frozenset({Profile.Role.SALES, Profile.Role.SCHEDULER, Profile.Role.MANAGER})
# Roles that see the job board and its versions.
BOARD_ROLES = frozenset({Profile.Role.SCHEDULER, Profile.Role.MANAGER})

User = AbstractBaseUser | AnonymousUser


def profile_of(user: User) -> Profile | None:
    """The user's profile, or None for anonymous users and users created without one."""
    if not user.is_authenticated:
        return None
    try:
        return user.profile  # type: ignore[union-attr,attr-defined]
    except Profile.DoesNotExist:
        return None


def role_of(user: User) -> str | None:
    """The user's role (`Profile.Role` value), or None when it has none.

    A Django superuser created with `createsuperuser` has no profile and so no role: the admin
    is open to it, the API is not, until a profile gives it one."""
    profile = profile_of(user)
    return profile.role if profile is not None else None


def customer_of(user: User) -> Customer | None:
    """The customer a customer user belongs to; None for every other user."""
    profile = profile_of(user)
    if profile is None or profile.role != Profile.Role.CUSTOMER:
        return None
    return profile.customer


def customers_visible_to(user: User) -> QuerySet[Customer]:
    """Customers the user may see: all for shop staff, its own for a customer user."""
    profile = profile_of(user)
    if profile is None:
        return Customer.objects.none()
    if profile.role in STAFF_ROLES:
        return Customer.objects.all()
    if profile.role == Profile.Role.CUSTOMER and profile.customer_id is not None:
        return Customer.objects.filter(pk=profile.customer_id)
    return Customer.objects.none()


def products_visible_to(user: User) -> QuerySet[Product]:
    """The catalogue with routings; any user with a role may read it."""
    if role_of(user) is None:
        return Product.objects.none()
    return Product.objects.prefetch_related(
        Prefetch(
            "routing",
            queryset=RoutingStep.objects.order_by("sequence").prefetch_related("work_centers"),
        )
    )


def _current_slots() -> QuerySet[ScheduledOperation]:
    return ScheduledOperation.objects.filter(version__is_current=True).select_related("work_center")


def orders_visible_to(user: User) -> QuerySet[Order]:
    """Orders the user may see, annotated with their projection on the current schedule.

    Staff roles see every order; a customer user only its own customer's orders. Each order
    carries `projected_completion` (the end of its last operation on the current schedule, None
    when it has nothing left scheduled; while the current version no longer fits reality, the
    engine's least-late projection instead, None when unknown) and `on_track` (projected
    completion no later than the promised due date), so a customer sees honest progress rather
    than only the promise. `outlook_of` reads the buffer status from these annotations."""
    profile = profile_of(user)
    if profile is None:
        return Order.objects.none()
    if profile.role in STAFF_ROLES:
        orders = Order.objects.all()
    elif profile.role == Profile.Role.CUSTOMER and profile.customer_id is not None:
        orders = Order.objects.filter(customer_id=profile.customer_id)
    else:
        return Order.objects.none()

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
    """The buffer status of an order from `orders_visible_to` (its annotations), the same
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


def within_days(field: str, first: date | None, last: date | None) -> Q:
    """`field` (an instant) inside the days `first`..`last`, both included, in the current
    time zone (the viewer's); an open end is no limit."""
    zone = timezone.get_current_timezone()
    condition = Q()
    if first is not None:
        condition &= Q(**{f"{field}__gte": datetime.combine(first, time(), zone)})
    if last is not None:
        condition &= Q(**{f"{field}__lt": datetime.combine(last + timedelta(days=1), time(), zone)})
    return condition


def orders_filtered(
    orders: QuerySet[Order],
    *,
    text: str = "",
    customer_id: int | None = None,
    status: str = "",
    promised_from: date | None = None,
    promised_to: date | None = None,
) -> QuerySet[Order]:
    """Narrow a visible order list (from `orders_visible_to`) by the list page's filters.
    Dates are days in the current time zone, both ends included."""
    text = text.strip()
    if text:
        orders = orders.filter(
            Q(code__icontains=text)
            | Q(customer__name__icontains=text)
            | Q(customer__code__icontains=text)
            | Q(product__code__icontains=text)
            | Q(product__name__icontains=text)
            | Q(customer_po__icontains=text)
        )
    if customer_id is not None:
        orders = orders.filter(customer_id=customer_id)
    if status:
        orders = orders.filter(status=status)
    return orders.filter(within_days("promised_due", promised_from, promised_to))


def order_details_visible_to(user: User) -> QuerySet[Order]:
    """`orders_visible_to` with operations (and their current slot) and promise history."""
    return orders_visible_to(user).prefetch_related(
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
