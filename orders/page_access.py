"""Who may open which page: the role check shared by the server-rendered views.

The REST API has its DRF permission classes (`orders.permissions`); pages need the same rule as
a view decorator. Which *rows* a page shows is still decided by the selectors.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from orders.models import Profile
from orders.selectors import role_of

# The pages each role has in its navigation, in order: (url name, label).
NAVIGATION: dict[str, list[tuple[str, str]]] = {
    Profile.Role.SALES: [
        ("quote-new", "New quote"),
        ("quote-list", "Quotes & requests"),
        ("repromise-list", "Re-promises"),
        ("order-index", "Orders"),
    ],
    Profile.Role.SCHEDULER: [
        ("job-board", "Job board"),
        ("shop-floor", "Shop floor"),
        ("order-index", "Orders"),
    ],
    Profile.Role.MANAGER: [
        ("dashboard", "Dashboard"),
        ("job-board", "Job board"),
        ("quote-list", "Quotes"),
        ("order-index", "Orders"),
    ],
    Profile.Role.CUSTOMER: [("portal", "My orders")],
}

View = Callable[..., HttpResponse]


def page_user(request: HttpRequest) -> User:
    """The signed-in user of a page behind `role_required` (typed for the services)."""
    user = request.user
    if not isinstance(user, User):  # anonymous: role_required should have stopped it
        raise PermissionDenied("Sign in first.")
    return user


def role_required(*roles: str) -> Callable[[View], View]:
    """Anonymous users go to the login page; users of another role get 403 (not a redirect,
    so a customer pasting a scheduler URL learns it is not for them)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if role_of(request.user) not in roles:
                raise PermissionDenied("Your role does not give access to this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
