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
    Prefetch,
    Q,
    QuerySet,
)
from django.utils import timezone

from orders.models import Customer, Order, Product, Profile, RoutingStep

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


def orders_visible_to(user: User) -> QuerySet[Order]:
    """Orders the user may see: every order for staff roles, only its own customer's for a
    customer user. `scheduling.selectors_visible.orders_with_projection_visible_to` adds where
    each one stands on the current schedule."""
    profile = profile_of(user)
    if profile is None:
        return Order.objects.none()
    if profile.role in STAFF_ROLES:
        return Order.objects.all()
    if profile.role == Profile.Role.CUSTOMER and profile.customer_id is not None:
        return Order.objects.filter(customer_id=profile.customer_id)
    return Order.objects.none()


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
    """Narrow a visible order list (from `orders_visible_to` or
    `orders_with_projection_visible_to`) by the list page's filters.
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
