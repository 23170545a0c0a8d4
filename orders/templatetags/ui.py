"""Template helpers shared by every page: role navigation and how times and durations read."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from orders.page_access import NAVIGATION
from orders.selectors import role_of

register = template.Library()


@register.inclusion_tag("includes/nav.html", takes_context=True)
def role_nav(context: template.Context) -> dict[str, object]:
    request: HttpRequest | None = context.get("request")
    if request is None or not request.user.is_authenticated:
        return {"links": []}
    role = role_of(request.user)
    links = [
        {"url": reverse(name), "label": label, "active": False}
        for name, label in NAVIGATION.get(role or "", [])
    ]
    # The longest matching prefix is the current page (/quotes/new/ is not /quotes/).
    matching = [link for link in links if request.path.startswith(str(link["url"]))]
    if matching:
        max(matching, key=lambda link: len(str(link["url"])))["active"] = True
    return {"links": links}


@register.filter
def role_label(user: object) -> str:
    role = role_of(user)  # type: ignore[arg-type]
    return {
        "sales": "Sales",
        "scheduler": "Scheduler",
        "manager": "Manager",
        "customer": "Customer",
    }.get(role or "", "No role")


WHEN_FORMAT = "%a %d %b %H:%M"
WHEN_FORMAT_OTHER_YEAR = "%a %d %b %Y %H:%M"


def _local_format(local: datetime, *, time: str) -> str:
    """'Mon 30 Nov 14:00', with the year when it is not this year (in the viewer's zone)."""
    this_year = timezone.localtime(timezone.now()).year
    date = "%a %d %b" if local.year == this_year else "%a %d %b %Y"
    return local.strftime(f"{date} {time}")


@register.filter
def when(value: datetime | None) -> str:
    """An instant in the viewer's time zone (the one every page states), to the minute, as
    'Mon 30 Nov 14:05'; the year is added when it is not the current one."""
    if value is None:
        return "—"
    return _local_format(timezone.localtime(value), time="%H:%M")


@register.filter
def promise_time(value: datetime | None) -> str:
    """A promised date to the hour, as 'Tue 01 Dec 09:00': a promise to the minute claims a
    precision nobody plans by. Rounded up, so the date shown is never earlier than the one
    the schedule keeps."""
    if value is None:
        return "—"
    return _local_format(timezone.localtime(ceil_hour(value)), time="%H:00")


def ceil_hour(value: datetime) -> datetime:
    """The instant rounded up to a whole hour of the viewer's zone: a promise as shown."""
    local = timezone.localtime(value)
    hour = local.replace(minute=0, second=0, microsecond=0)
    return hour if hour == local else hour + timedelta(hours=1)


@register.filter
def day(value: datetime | None) -> str:
    if value is None:
        return "—"
    return timezone.localtime(value).strftime("%a %d %b %Y")


def _span(minutes: int) -> str:
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days}d")
    if hours:
        parts.append(f"{hours}h")
    if mins and not days:
        parts.append(f"{mins}m")
    return " ".join(parts) or "0m"


@register.filter
def minutes(value: int | float | None) -> str:
    """A number of minutes as '2d 3h'; negative values keep their sign."""
    if value is None:
        return "—"
    number = round(value)
    return ("\u2212" if number < 0 else "") + _span(abs(number))


@register.filter
def delta(value: timedelta | None) -> str:
    if value is None:
        return "—"
    return minutes(value.total_seconds() / 60)


@register.filter
def percent(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.0f}%"
