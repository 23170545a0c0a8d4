"""Writes of the orders app that are not promises (those go through scheduling.services)."""

from __future__ import annotations

import zoneinfo

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from orders.models import Profile


def profile_time_zone_set(*, user: User, time_zone: str) -> Profile:
    """Set the zone the user reads times in; blank goes back to the shop's. Writes the user's
    Profile.time_zone only. Raises ValidationError for a name that is not an IANA zone."""
    time_zone = time_zone.strip()
    if time_zone:
        try:
            zoneinfo.ZoneInfo(time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValidationError({"time_zone": f"{time_zone!r} is not a time zone"}) from None
    with transaction.atomic():
        profile = Profile.objects.select_for_update().get(user=user)
        profile.time_zone = time_zone
        profile.save(update_fields=["time_zone"])
    return profile
