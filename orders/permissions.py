"""DRF permission classes by role (`Profile.Role`).

They decide which *kinds* of rows a user may ask for; which *rows* it gets is decided by the
selectors (`orders.selectors`), so a customer user is filtered there even on a route it may use.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from orders.models import Profile
from orders.selectors import BOARD_ROLES, STAFF_ROLES, role_of


class HasRole(BasePermission):
    """Allows authenticated users whose profile role is one of `roles`."""

    roles: ClassVar[frozenset[str]] = frozenset()
    message = "Your role does not give access to this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return role_of(request.user) in self.roles


class IsSales(HasRole):
    roles = frozenset({Profile.Role.SALES})


class IsScheduler(HasRole):
    roles = frozenset({Profile.Role.SCHEDULER})


class IsManager(HasRole):
    roles = frozenset({Profile.Role.MANAGER})


class IsCustomer(HasRole):
    roles = frozenset({Profile.Role.CUSTOMER})


class IsStaffRole(HasRole):
    """Sales, scheduler or manager: people working for the shop."""

    roles = STAFF_ROLES


class IsSchedulerOrManager(HasRole):
    """The roles that see the job board and its versions."""

    roles = BOARD_ROLES


class HasAnyRole(HasRole):
    """Any user with a role, customers included (their rows are filtered by selectors)."""

    roles = frozenset(Profile.Role.values)
