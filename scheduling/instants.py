"""Instants as the board keeps them: timezone-aware, UTC, whole minutes (board/1 resolution).

The one place that rounds to the minute and that checks an instant carries a time zone; the
engine has its own copy in scheduling/engine/boardio/fields.py because it imports no Django.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def minute_floor(value: datetime) -> datetime:
    """`value` in UTC, seconds and microseconds dropped."""
    return value.astimezone(UTC).replace(second=0, microsecond=0)


def minute_ceil(value: datetime) -> datetime:
    """`value` in UTC, rounded up to the next whole minute unless it is one already."""
    floored = minute_floor(value)
    return floored if floored == value else floored + timedelta(minutes=1)


def has_time_zone(value: datetime) -> bool:
    """Whether `value` names one instant (a naive datetime means a different one per zone)."""
    return value.tzinfo is not None and value.utcoffset() is not None
