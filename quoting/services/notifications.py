"""The user's notifications: marking them read."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from quoting.models import (
    Notification,
)


def notifications_mark_read(*, user: User, notification_ids: list[int] | None = None) -> int:
    """Mark the user's unread notifications read (all of them, or the given ones); returns how
    many. Writes only `read_at` on the user's own rows."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    with transaction.atomic():
        return unread.update(read_at=timezone.now())
