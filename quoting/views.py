"""Sales pages: a new quote, its live progress and answer, accept / cancel, quote history.

The solve runs in a Celery worker; the quote page polls a small HTML partial of the quote row
(`quote_status`), which the worker keeps up to date with progress and the best date so far.
Thin views: forms validate, `quoting.services` writes, `quoting.selectors` reads (a sales rep
only ever sees its own quotes)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from orders.list_pages import csv_response, page_of, wants_csv
from orders.models import Profile
from orders.page_access import page_user, role_required
from orders.selectors import role_of
from orders.templatetags.ui import ceil_hour, when
from quoting import services
from quoting.forms import QuoteAcceptForm, QuoteFilterForm, QuoteRequestForm
from quoting.models import Quote, ReplanProposal
from quoting.selectors import (
    date_requests_open,
    notifications_for,
    quote_is_stale,
    quote_state,
    quotes_filtered,
    quotes_visible_to,
)
from scheduling.boards import current_version
from scheduling.models import CapacityOption

# Service field names -> form field names, so a service's refusal lands on the right input.
# A date request's refusal is about the whole form (its field is hidden): a non-field error.
_SERVICE_FIELDS = {
    "capacity_option_codes": "capacity_options",
    "customer_id": "customer",
    "date_request": "",
}


def _attach(form: forms.Form, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errs in error.message_dict.items():
        field = _SERVICE_FIELDS.get(name, name)
        form.add_error(field if field in form.fields else None, errs)


def _quote_or_404(request: HttpRequest, quote_id: int) -> Quote:
    quote = quotes_visible_to(request.user).filter(pk=quote_id).first()
    if quote is None:
        raise Http404("No such quote.")
    return quote


@role_required(Profile.Role.SALES)
def quote_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = QuoteRequestForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                quote = services.quote_request_create(
                    created_by=page_user(request),
                    customer_id=data["customer"].pk,
                    product_id=data["product"].pk,
                    quantity=data["quantity"],
                    requested_due=data["requested_due"],
                    capacity_option_codes=[o.code for o in data["capacity_options"]],
                    promise_earliest=data["promise_earliest"],
                    date_request_id=data["date_request"],
                    customer_po=data["customer_po"],
                )
            except ValidationError as exc:
                _attach(form, exc)
            else:
                return redirect("quote-detail", quote_id=quote.pk)
        return render(request, "quoting/quote_new.html", {"form": form}, status=400)
    # A customer's date request can prefill the form (customer, product, quantity, date); the
    # quote then re-promises that order instead of creating a second one.
    keys = ("customer", "product", "quantity", "requested_due", "customer_po", "date_request")
    initial: dict[str, object] = {k: v for k, v in request.GET.items() if k in keys and v}
    if request.GET.get("promise_earliest") == "1":
        initial["promise_earliest"] = True
    return render(request, "quoting/quote_new.html", {"form": QuoteRequestForm(initial=initial)})


def _answer_context(quote: Quote, user: Any) -> dict[str, Any]:
    """The answer as the template shows it: options with their cost and what they buy."""
    costs = {
        o.code: o
        for o in CapacityOption.objects.filter(
            code__in=[x["id"] for x in quote.options or []]
        ).select_related("work_center")
    }
    options = []
    shown_promise = ceil_hour(quote.promise) if quote.promise else None
    for raw in quote.options or []:
        option = costs.get(raw["id"])
        promise = parse_datetime(raw["promise"]) if raw.get("promise") else None
        # What the option buys as the rep sees it: promises read to the hour, so minutes
        # that do not make the promise an hour earlier buy nothing worth a button.
        gain = (
            int((shown_promise - ceil_hour(promise)).total_seconds() // 60)
            if promise and shown_promise and raw.get("gain_minutes")
            else 0
        )
        options.append(
            {
                "code": raw["id"],
                "name": option.name if option else raw["id"],
                "work_center": option.work_center.code if option else "",
                "cost": option.cost if option else None,
                "available": bool(option and option.status == CapacityOption.Status.AVAILABLE),
                "promise": promise,
                "completion": parse_datetime(raw["completion"]) if raw.get("completion") else None,
                "gain_minutes": max(gain, 0),
            }
        )
    options.sort(key=lambda o: (-o["gain_minutes"], o["cost"] or 0))
    binding = quote.binding or {}
    proposal = getattr(quote, "proposal", None)
    current = current_version()
    # Accepted and committed: the figures that hold now are the committed promise and, after
    # an approval, the approved plan's moves, not the one-second quote's.
    final_moved = quote.moved_count
    if proposal is not None and proposal.status == proposal.Status.APPROVED:
        final_moved = proposal.moved_count
    return {
        "quote": quote,
        "currency": settings.SHOP_CURRENCY,
        "current_version": current,
        "stale": quote_is_stale(quote, current),
        "final_moved": final_moved,
        "options": options,
        "binding_work_centers": binding.get("work_centers", []),
        "binding_orders": binding.get("orders", []),
        "proposal": proposal,
        # (An answered quote that is still improving keeps the page polling too.)
        "active": quote.status in (Quote.Status.QUEUED, Quote.Status.SOLVING)
        or (quote.improving and quote.accepted_at is None),
        # The manager reads quotes; only the sales rep acts on them.
        "can_act": role_of(user) == Profile.Role.SALES,
        "progress_pct": round((quote.progress or 0) * 100),
    }


@role_required(Profile.Role.SALES, Profile.Role.MANAGER)
def quote_detail(request: HttpRequest, quote_id: int) -> HttpResponse:
    quote = _quote_or_404(request, quote_id)
    return render(request, "quoting/quote_detail.html", _answer_context(quote, request.user))


@role_required(Profile.Role.SALES, Profile.Role.MANAGER)
def quote_status(request: HttpRequest, quote_id: int) -> HttpResponse:
    """The status panel alone, polled by the quote page while the solve runs."""
    quote = _quote_or_404(request, quote_id)
    return render(
        request, "quoting/partials/quote_status.html", _answer_context(quote, request.user)
    )


@role_required(Profile.Role.SALES)
@require_POST
def quote_accept(request: HttpRequest, quote_id: int) -> HttpResponse:
    quote = _quote_or_404(request, quote_id)
    form = QuoteAcceptForm(request.POST)
    if not form.is_valid():  # a free text field of 64 chars: only a tampered post fails
        messages.error(request, "That capacity option is not valid.")
        return redirect("quote-detail", quote_id=quote.pk)
    try:
        outcome = services.quote_accept(
            quote_id=quote.pk,
            accepted_by=page_user(request),
            capacity_option_code=form.cleaned_data["capacity_option"] or None,
        )
    except services.QuoteStale:
        messages.warning(
            request,
            "The job board changed since this answer was solved, so it was not committed. "
            "It is being solved again on the current board.",
        )
    except (services.QuotingConflict, ValidationError) as exc:
        text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, f"Not accepted: {text}")
    else:
        if outcome.committed:
            assert outcome.order is not None and outcome.promise is not None
            messages.success(
                request,
                f"Order {outcome.order.code} committed with promise "
                f"{when(outcome.promise.due)}. No other order moved.",
            )
        else:
            assert outcome.proposal is not None
            messages.info(
                request,
                f"Sent to the scheduler as replan proposal #{outcome.proposal.pk}. The promise "
                "is made only when the scheduler approves it.",
            )
    return redirect("quote-detail", quote_id=quote.pk)


@role_required(Profile.Role.SALES)
@require_POST
def quote_later_promise(request: HttpRequest, quote_id: int, decision: str) -> HttpResponse:
    """The rep's answer to a re-solved proposal whose promise is later than the accepted one:
    `confirm` sends it to the scheduler with that promise, `withdraw` rejects it."""
    quote = _quote_or_404(request, quote_id)
    proposal = ReplanProposal.objects.filter(quote=quote).first()
    if proposal is None or decision not in ("confirm", "withdraw"):
        raise Http404("this quote has no replan proposal")
    try:
        if decision == "confirm":
            services.replan_proposal_confirm_later(
                proposal_id=proposal.pk, confirmed_by=page_user(request)
            )
            messages.success(request, "The later promise goes to the scheduler for approval.")
        else:
            services.replan_proposal_reject(
                proposal_id=proposal.pk,
                rejected_by=page_user(request),
                reason="withdrawn by the sales rep: the later promise was not accepted",
            )
            messages.info(request, "Withdrawn: no order and no promise were made.")
    except services.QuotingConflict as exc:
        messages.error(request, f"Nothing changed: {exc}")
    return redirect("quote-detail", quote_id=quote.pk)


@role_required(Profile.Role.SALES)
@require_POST
def quote_requote(request: HttpRequest, quote_id: int) -> HttpResponse:
    """Solve an answer again on the current board (offered when it was solved on an older
    version); the page then shows the new solve's progress."""
    quote = _quote_or_404(request, quote_id)
    try:
        services.quote_requote(quote_id=quote.pk, requested_by=page_user(request))
    except services.QuotingConflict as exc:
        messages.error(request, f"Not re-quoted: {exc}")
    else:
        messages.info(request, f"Quote {quote.request_id} is being solved on the current board.")
    return redirect("quote-detail", quote_id=quote.pk)


@role_required(Profile.Role.SALES)
@require_POST
def quote_cancel(request: HttpRequest, quote_id: int) -> HttpResponse:
    quote = _quote_or_404(request, quote_id)
    try:
        services.quote_cancel(quote_id=quote.pk)
    except services.QuotingConflict as exc:
        messages.error(request, f"Not cancelled: {exc}")
    else:
        messages.info(request, f"Quote {quote.request_id} cancelled.")
    return redirect("quote-detail", quote_id=quote.pk)


QUOTE_CSV_HEADER = [
    "quote",
    "asked_at",
    "customer",
    "product",
    "quantity",
    "requested_due",
    "state",
    "promise",
    "committed_promise",
    "order",
    "solved_on_version",
]


@role_required(Profile.Role.SALES, Profile.Role.MANAGER)
def quote_list(request: HttpRequest) -> HttpResponse:
    """Quotes the user may see, filtered (GET), a page at a time, or all of them as CSV."""
    form = QuoteFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    quotes = quotes_filtered(
        quotes_visible_to(request.user),
        text=filters.get("q") or "",
        customer_id=filters["customer"].pk if filters.get("customer") else None,
        state=filters.get("state") or "",
        asked_from=filters.get("asked_from"),
        asked_to=filters.get("asked_to"),
    ).select_related("repromise_order")
    current = current_version()
    current_id = current.pk if current is not None else None
    if wants_csv(request):
        return csv_response(
            "quotes.csv",
            QUOTE_CSV_HEADER,
            (
                [
                    q.request_id,
                    q.created_at,
                    q.customer.name,
                    q.product.code,
                    q.quantity,
                    q.requested_due,
                    quote_state(q, stale=quote_is_stale(q, current))[1],
                    q.promise,
                    q.committed_promise.due if q.committed_promise else None,
                    q.committed_promise.order.code if q.committed_promise else "",
                    q.schedule_version.number if q.schedule_version else "",
                ]
                for q in quotes.select_related("committed_promise__order")
            ),
        )
    return render(
        request,
        "quoting/quote_list.html",
        {
            "page": page_of(request, quotes),
            "filter_form": form,
            "current_version_id": current_id,
            "date_requests": date_requests_open(),
            "can_act": role_of(request.user) == Profile.Role.SALES,
        },
    )


@role_required(Profile.Role.SALES)
@require_POST
def date_request_close(request: HttpRequest, request_id: int) -> HttpResponse:
    try:
        services.date_change_request_close(request_id=request_id, closed_by=page_user(request))
    except services.QuotingConflict as exc:
        messages.error(request, str(exc))
    else:
        messages.info(request, "Customer request marked answered.")
    return redirect("quote-list")


@role_required(Profile.Role.SALES)
def notification_list(request: HttpRequest) -> HttpResponse:
    """The rep's notifications, newest first; unread ones are marked, with a button to mark
    them read (a POST, so a reload changes nothing)."""
    return render(
        request,
        "quoting/notification_list.html",
        {"notifications": notifications_for(request.user)[:100]},
    )


@role_required(Profile.Role.SALES)
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    services.notifications_mark_read(user=page_user(request))
    return redirect("notification-list")
