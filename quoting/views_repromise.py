"""The sales rep's list of re-promise proposals: orders a repaired board finishes after their
promise, with the old date and the new one, to confirm with the customer."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from orders.models import Profile
from orders.page_access import page_user, role_required
from orders.selectors import role_of
from quoting import services
from quoting.models import RepromiseProposal
from quoting.selectors_repair import repromises_visible_to


@role_required(Profile.Role.SALES, Profile.Role.SCHEDULER, Profile.Role.MANAGER)
def repromise_list(request: HttpRequest) -> HttpResponse:
    rows = list(repromises_visible_to(request.user)[:200])
    return render(
        request,
        "quoting/repromise_list.html",
        {
            "open": [r for r in rows if r.status == RepromiseProposal.Status.OPEN],
            "decided": [r for r in rows if r.status != RepromiseProposal.Status.OPEN][:50],
            "can_confirm": role_of(request.user) == Profile.Role.SALES,
        },
    )


@role_required(Profile.Role.SALES)
@require_POST
def repromise_confirm(request: HttpRequest, repromise_id: int) -> HttpResponse:
    if not repromises_visible_to(request.user).filter(pk=repromise_id).exists():
        raise Http404("No such re-promise proposal.")
    try:
        promise = services.repromise_proposal_confirm(
            repromise_id=repromise_id, confirmed_by=page_user(request)
        )
    except (ValidationError, services.QuotingConflict) as exc:
        messages.error(
            request, f"Not re-promised: {' '.join(getattr(exc, 'messages', [str(exc)]))}"
        )
    else:
        messages.success(
            request,
            f"{promise.order.code} re-promised for {promise.due:%a %d %b %H:%M} UTC; the old "
            "promise stays in its history.",
        )
    return redirect("repromise-list")
