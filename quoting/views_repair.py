"""The scheduler's repair of a broken board: ask for it, approve or reject what it found.

Thin views over `quoting.services` (repair_request / repair_approve / repair_reject); every
form redirects back to the page it came from (post/redirect/get)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from orders.models import Profile
from orders.page_access import page_user, role_required
from quoting import services as quoting_services

# The pages a repair form may come from.
_PAGES = {"board": "job-board", "floor": "shop-floor"}


class RepairRejectForm(forms.Form):
    reason = forms.CharField(max_length=300)


def _back(request: HttpRequest) -> HttpResponse:
    return redirect(_PAGES.get(request.POST.get("page", ""), "job-board"))


@role_required(Profile.Role.SCHEDULER)
@require_POST
def repair_request(request: HttpRequest) -> HttpResponse:
    try:
        repair = quoting_services.repair_request(requested_by=page_user(request))
    except quoting_services.QuotingConflict as exc:
        messages.info(request, str(exc).capitalize() + ".")
    else:
        messages.info(
            request,
            f"Repair #{repair.pk} is searching for the best schedule for up to "
            f"{repair.time_limit:g} s; you approve what it finds.",
        )
    return _back(request)


@role_required(Profile.Role.SCHEDULER)
@require_POST
def repair_approve(request: HttpRequest, repair_id: int) -> HttpResponse:
    try:
        repair = quoting_services.repair_approve(
            repair_id=repair_id, approved_by=page_user(request)
        )
    except quoting_services.QuotingConflict as exc:
        messages.error(request, f"Not approved: {exc}")
    else:
        count = repair.repromises.count()
        assert repair.committed_version is not None
        messages.success(
            request,
            f"Repair approved: schedule v{repair.committed_version.number} is current. "
            + (
                f"{count} order(s) now miss their promise: the sales reps have a re-promise "
                "proposal for each to confirm with the customer."
                if count
                else "Every promise is kept."
            ),
        )
    return _back(request)


@role_required(Profile.Role.SCHEDULER)
@require_POST
def repair_reject(request: HttpRequest, repair_id: int) -> HttpResponse:
    form = RepairRejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Not rejected: say why the repair is rejected.")
        return _back(request)
    try:
        quoting_services.repair_reject(
            repair_id=repair_id, rejected_by=page_user(request), reason=form.cleaned_data["reason"]
        )
    except (ValidationError, quoting_services.QuotingConflict) as exc:
        messages.error(request, f"Not rejected: {exc}")
    else:
        messages.info(request, f"Repair #{repair_id} rejected.")
    return _back(request)
