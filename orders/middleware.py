"""Each signed-in user reads times in its own time zone (its profile's, else the shop's)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from orders.selectors import profile_of


def user_time_zone(request: HttpRequest) -> zoneinfo.ZoneInfo | None:
    """The zone the user chose, or None for the shop's (also for a name no longer known)."""
    profile = profile_of(request.user)
    if profile is None or not profile.time_zone:
        return None
    try:
        return zoneinfo.ZoneInfo(profile.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


class UserTimeZoneMiddleware:
    """Activates the user's time zone for the request (templates, forms, CSV exports)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = user_time_zone(request)
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
