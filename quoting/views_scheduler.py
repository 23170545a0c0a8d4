"""Scheduler pages: the job board (Gantt with replan proposals) and the shop floor. They live
in quoting because they show and decide its proposals and repairs (apps depend one way:
docs/layers.md).

Views are thin: they parse the request, call one selector or service, and render. Every write
goes through a service (quoting.services for proposals, scheduling.services.shop_floor for
shop-floor events)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from orders.models import Profile
from orders.page_access import page_user, role_required
from orders.selectors import role_of
from quoting import services as quoting_services
from quoting.models import AuditEvent, ReplanProposal
from quoting.selectors import proposals_visible_to
from quoting.selectors_repair import repair_for
from scheduling.forms import (
    DowntimeChangeForm,
    DowntimeForm,
    OperationFinishForm,
    OperationStartForm,
    ProposalRejectForm,
    RepromiseForm,
)
from scheduling.gantt import overlay_proposal
from scheduling.models import WorkCenter, WorkCenterDowntime
from scheduling.selectors import (
    OrderAtRisk,
    board_health,
    job_board_for,
    shop_floor_queue,
)
from scheduling.services import shop_floor as floor_services
from scheduling.services.revalidation import ShopFloorResult

WINDOWS = [("day", "Day"), ("week", "Week"), ("2weeks", "2 weeks"), ("4weeks", "4 weeks")]


def _start_from(request: HttpRequest) -> datetime | None:
    raw = request.GET.get("start", "")
    try:
        day = datetime.strptime(raw, "%Y-%m-%d")
    except ValueError:
        return None  # absent or malformed: the window starts today
    return day.replace(tzinfo=UTC)


# Decided proposals listed under the open ones: the recent history a scheduler asks about.
DECIDED_SHOWN = 10

# Proposals a scheduler can still act on (approve a pending one; reject any open one).
OPEN_PROPOSAL_STATES = [
    ReplanProposal.Status.PENDING,
    ReplanProposal.Status.RESOLVING,
    ReplanProposal.Status.STALE,
    ReplanProposal.Status.FAILED,
]


def _board_page(
    request: HttpRequest,
    *,
    reject_forms: dict[int, ProposalRejectForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    board = job_board_for(window=request.GET.get("window", "week"), start=_start_from(request))
    health = board_health()
    proposals = list(
        proposals_visible_to(request.user)
        .filter(status__in=OPEN_PROPOSAL_STATES)
        .select_related("quote__customer", "quote__product", "capacity_option")
        # Re-solves because the board changed (not the first solve with a capacity option).
        .annotate(stale_count=Count("audit", filter=Q(audit__kind=AuditEvent.Kind.PROPOSAL_STALE)))
        .order_by("created_at", "id")
    )
    selected = None
    raw = request.GET.get("proposal", "")
    if raw.isdigit():
        selected = next((p for p in proposals if p.pk == int(raw)), None)
    if selected is not None and selected.answer:
        overlay_proposal(
            board,
            answer_schedule=selected.engine_answer().schedule,
            moved=(selected.diff or {}).get("moved", []),
            request_id=selected.quote.request_id,
            new_order_label=selected.quote.order_code,
            customer=selected.quote.customer.name,
            promise=selected.promise,
        )
    for proposal in proposals:
        proposal.reject_form = (reject_forms or {}).get(  # type: ignore[attr-defined]
            proposal.pk, ProposalRejectForm(prefix=f"reject-{proposal.pk}")
        )
    return render(
        request,
        "scheduling/job_board.html",
        {
            "board": board,
            "windows": WINDOWS,
            "proposals": proposals,
            "proposal": selected,
            "proposal_id": selected.pk if selected else None,
            "can_decide": role_of(request.user) == Profile.Role.SCHEDULER,
            "health": health,
            "show_repair": role_of(request.user) == Profile.Role.SCHEDULER,
            "repair": repair_for(health.disruption),
            "repair_page": "board",
            "search": request.GET.get("q", "")[:100],
            "decided": proposals_visible_to(request.user)
            .filter(status__in=[ReplanProposal.Status.APPROVED, ReplanProposal.Status.REJECTED])
            .select_related(
                "quote__customer",
                "quote__product",
                "decided_by",
                "committed_version",
                "capacity_option",
            )
            .order_by("-decided_at", "-id")[:DECIDED_SHOWN],
        },
        status=status,
    )


@role_required(Profile.Role.SCHEDULER, Profile.Role.MANAGER)
def job_board(request: HttpRequest) -> HttpResponse:
    return _board_page(request)


@role_required(Profile.Role.SCHEDULER)
@require_POST
def proposal_approve(request: HttpRequest, proposal_id: int) -> HttpResponse:
    if not proposals_visible_to(request.user).filter(pk=proposal_id).exists():
        raise Http404("No such proposal.")
    try:
        outcome = quoting_services.replan_proposal_approve(
            proposal_id=proposal_id, approved_by=page_user(request)
        )
    except quoting_services.ProposalStale:
        messages.warning(
            request,
            f"Proposal #{proposal_id} was solved on a board that has changed since, so it was "
            "not committed yet. It is being re-solved on the current board and your approval "
            "stands: it is committed unless its promise comes out later than the one the rep "
            "agreed to (then it goes back to the rep).",
        )
    except quoting_services.QuotingConflict as exc:
        messages.error(request, f"Not approved: {exc}")
    else:
        assert outcome.order is not None and outcome.promise is not None
        messages.success(
            request,
            f"Approved: order {outcome.order.code} is on the board with promise "
            f"{outcome.promise.due:%a %d %b %H:%M} UTC.",
        )
    return redirect("job-board")


@role_required(Profile.Role.SCHEDULER)
@require_POST
def proposal_reject(request: HttpRequest, proposal_id: int) -> HttpResponse:
    if not proposals_visible_to(request.user).filter(pk=proposal_id).exists():
        raise Http404("No such proposal.")
    form = ProposalRejectForm(request.POST, prefix=f"reject-{proposal_id}")
    if form.is_valid():
        try:
            quoting_services.replan_proposal_reject(
                proposal_id=proposal_id,
                rejected_by=page_user(request),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            form.add_error("reason", exc)
        except quoting_services.QuotingConflict as exc:
            messages.error(request, f"Not rejected: {exc}")
            return redirect("job-board")
        else:
            messages.info(request, f"Proposal #{proposal_id} rejected. The sales rep sees why.")
            return redirect("job-board")
    return _board_page(request, reject_forms={proposal_id: form}, status=400)


# ---------------------------------------------------------------------------------------------
# Shop floor


# Rows per shop-floor page: the whole 48-hour queue of the demo shop was one 12,000 px page
# (156 rows with a form each) that took 1-2.6 s to render.
FLOOR_PAGE_SIZE = 25


def _back_to_floor(request: HttpRequest) -> HttpResponse:
    """Post/redirect/get back to the shop-floor view the form was posted from (its filter and
    page), never to another site."""
    return redirect(_floor_view_path(request))


def _floor_view_path(request: HttpRequest) -> str:
    """The shop-floor view (filter, page) a form came from: the page itself on a GET, the
    form's `back` field on a POST when it is a shop-floor view of this site."""
    if request.method != "POST":
        return request.get_full_path()
    back = request.POST.get("back", "")
    if (back == "/shop-floor/" or back.startswith("/shop-floor/?")) and (
        url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()})
    ):
        return back
    return "/shop-floor/"


def _floor_page(
    request: HttpRequest,
    *,
    bound: dict[int, forms.Form] | None = None,
    downtime_form: DowntimeForm | None = None,
    downtime_change_forms: dict[int, DowntimeChangeForm] | None = None,
    repromise_forms: dict[int, RepromiseForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    now = timezone.now().replace(second=0, microsecond=0)
    codes = list(WorkCenter.objects.order_by("code").values_list("code", flat=True))
    work_center = request.GET.get("wc", "")
    if work_center not in codes:
        work_center = ""  # absent or unknown: every work center
    queue = shop_floor_queue(now=now, work_center=work_center or None)
    page = Paginator(queue, FLOOR_PAGE_SIZE).get_page(request.GET.get("page"))
    health = board_health()
    rows = []
    for item in page.object_list:
        form = (bound or {}).get(item.operation.pk)
        rows.append({"item": item, "form": form})
    return render(
        request,
        "scheduling/shop_floor.html",
        {
            "rows": rows,
            "page": page,
            "queue_size": len(queue),
            "work_center": work_center,
            "work_center_codes": codes,
            "back": _floor_view_path(request),
            "now": now,
            "downtime_form": downtime_form or DowntimeForm(),
            "at_risk": [
                {"row": row, "form": _repromise_form(row, repromise_forms)}
                for row in health.at_risk
            ],
            "health": health,
            "show_repair": True,
            "repair": repair_for(health.disruption),
            "repair_page": "floor",
            "recent_downtime": [
                {
                    "downtime": down,
                    "form": (downtime_change_forms or {}).get(down.pk)
                    or DowntimeChangeForm(
                        prefix=f"downtime-{down.pk}",
                        initial={"start": down.start, "end": down.end, "reason": down.reason},
                    ),
                }
                for down in WorkCenterDowntime.objects.select_related("work_center").order_by(
                    "-created_at"
                )[:5]
            ],
        },
        status=status,
    )


def _repromise_form(row: OrderAtRisk, bound: dict[int, RepromiseForm] | None) -> RepromiseForm:
    """The bound form after a refused attempt, else one suggesting the date the current plan
    can keep: projected completion plus the order's buffer, rounded up to the hour."""
    if bound and row.order.pk in bound:
        return bound[row.order.pk]
    initial = {}
    if row.projected_completion is not None:
        keepable = row.projected_completion + timedelta(minutes=row.order.buffer_minutes)
        if keepable.minute or keepable.second or keepable.microsecond:
            keepable = keepable.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        initial["due"] = keepable
    return RepromiseForm(prefix=f"repromise-{row.order.pk}", initial=initial)


@role_required(Profile.Role.SCHEDULER)
def shop_floor(request: HttpRequest) -> HttpResponse:
    return _floor_page(request)


def _report(request: HttpRequest, result: ShopFloorResult) -> None:
    """Tell the scheduler what the event did to the promises: never a silent change."""
    level = messages.WARNING if result.at_risk or result.version is None else messages.SUCCESS
    messages.add_message(request, level, result.message)


# Service field names -> page form field names, so a service's refusal lands on the right input.
_SERVICE_FIELDS = {"work_center_id": "work_center", "operation_id": None, "order_id": None}


def _attach(form: forms.Form, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errs in error.message_dict.items():
        field = _SERVICE_FIELDS.get(name, name)
        form.add_error(field if field in form.fields else None, errs)


def _floor_event(
    request: HttpRequest,
    operation_id: int,
    form: forms.Form,
    record: Callable[[dict[str, Any]], ShopFloorResult],
) -> HttpResponse:
    """Record a shop-floor event from a valid ``form`` and report it; otherwise (or when the
    service refuses it) show the page again with the errors on that operation's form."""
    if form.is_valid():
        try:
            result = record(form.cleaned_data)
        except ValidationError as exc:
            _attach(form, exc)
        else:
            _report(request, result)
            return _back_to_floor(request)
    return _floor_page(request, bound={operation_id: form}, status=400)


@role_required(Profile.Role.SCHEDULER)
@require_POST
def operation_start(request: HttpRequest, operation_id: int) -> HttpResponse:
    return _floor_event(
        request,
        operation_id,
        OperationStartForm(request.POST, prefix=f"start-{operation_id}"),
        lambda data: floor_services.operation_start(
            operation_id=operation_id,
            work_center_id=data["work_center"].pk,
            at=data["at"],
            user=page_user(request),
        ),
    )


@role_required(Profile.Role.SCHEDULER)
@require_POST
def operation_finish(request: HttpRequest, operation_id: int) -> HttpResponse:
    return _floor_event(
        request,
        operation_id,
        OperationFinishForm(request.POST, prefix=f"finish-{operation_id}"),
        lambda data: floor_services.operation_finish(
            operation_id=operation_id, at=data["at"], user=page_user(request)
        ),
    )


@role_required(Profile.Role.SCHEDULER)
@require_POST
def order_repromise(request: HttpRequest, order_id: int) -> HttpResponse:
    """An explicit, audited re-promise: the only way a promise changes after the fact."""
    form = RepromiseForm(request.POST, prefix=f"repromise-{order_id}")
    if form.is_valid():
        try:
            promise = quoting_services.order_repromise(
                order_id=order_id,
                due=form.cleaned_data["due"],
                reason=form.cleaned_data["reason"],
                repromised_by=page_user(request),
            )
        except ValidationError as exc:  # RepromiseInfeasible included: no plan keeps that date
            _attach(form, exc)
        except quoting_services.QuotingConflict as exc:
            messages.error(request, f"Not re-promised: {exc}")
            return _back_to_floor(request)
        else:
            messages.success(
                request,
                f"{promise.order.code} re-promised for {promise.due:%a %d %b %H:%M} UTC; "
                "the old promise stays in its history.",
            )
            return _back_to_floor(request)
    return _floor_page(request, repromise_forms={order_id: form}, status=400)


@role_required(Profile.Role.SCHEDULER)
@require_POST
def downtime_record(request: HttpRequest) -> HttpResponse:
    form = DowntimeForm(request.POST)
    if form.is_valid():
        try:
            result = floor_services.work_center_downtime_record(
                work_center_id=form.cleaned_data["work_center"].pk,
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
                reason=form.cleaned_data["reason"],
                user=page_user(request),
            )
        except ValidationError as exc:
            _attach(form, exc)
        else:
            _report(request, result)
            return _back_to_floor(request)
    return _floor_page(request, downtime_form=form, status=400)


@role_required(Profile.Role.SCHEDULER)
@require_POST
def downtime_change(request: HttpRequest, downtime_id: int) -> HttpResponse:
    """End a downtime early ("back up at") or edit it: audited, and re-validated like a new one."""
    if not WorkCenterDowntime.objects.filter(pk=downtime_id).exists():
        raise Http404("No such downtime.")
    form = DowntimeChangeForm(request.POST, prefix=f"downtime-{downtime_id}")
    if form.is_valid():
        try:
            change = quoting_services.downtime_change(
                downtime_id=downtime_id,
                changed_by=page_user(request),
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
                reason=form.cleaned_data["reason"] or None,
            )
        except ValidationError as exc:
            _attach(form, exc)
        else:
            _report(request, change.result)
            return _back_to_floor(request)
    return _floor_page(request, downtime_change_forms={downtime_id: form}, status=400)
