"""Template helpers of the sales pages: a quote's state as a pill, the unread count in the nav."""

from __future__ import annotations

from django import template
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

from orders.models import Profile
from orders.selectors import role_of
from quoting.models import Quote
from quoting.selectors import notifications_unread_count, quote_state

register = template.Library()


@register.simple_tag
def quote_pill(quote: Quote, current_version_id: int | None = None) -> SafeString:
    stale = (
        quote.status == Quote.Status.DONE
        and quote.accepted_at is None
        and quote.schedule_version_id != current_version_id
    )
    colour, words = quote_state(quote, stale=stale)
    return format_html('<span class="pill {}" data-testid="quote-state">{}</span>', colour, words)


@register.inclusion_tag("quoting/partials/notification_link.html", takes_context=True)
def notification_link(context: template.Context) -> dict[str, object]:
    """The sales rep's link to its notifications with the unread count (nothing for others)."""
    request: HttpRequest | None = context.get("request")
    if request is None or role_of(request.user) != Profile.Role.SALES:
        return {"show": False}
    return {"show": True, "unread": notifications_unread_count(request.user)}
