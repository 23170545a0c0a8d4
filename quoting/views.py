"""Sales pages: a new quote, its live progress and answer, accept / cancel, quote history.

The solve runs in a Celery worker; the quote page polls a small HTML partial of the quote row
(`quote_status`), which the worker keeps up to date with progress and the best date so far.
Thin views: forms validate, `quoting.services` writes, `quoting.selectors` reads (a sales rep
only ever sees its own quotes)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from orders.models import Profile
from orders.page_access import page_user, role_required
from quoting import services
from quoting.forms import QuoteAcceptForm, QuoteRequestForm
from quoting.models import Quote, ReplanProposal
from quoting.selectors import date_requests_open, quotes_visible_to
from scheduling.models import CapacityOption

# Service field names -> form field names, so a service's refusal lands on the right input.
_SERVICE_FIELDS = {"capacity_option_codes": "capacity_options", "customer_id": "customer"}


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
                )
            except ValidationError as exc:
                _attach(form, exc)
            else:
                return redirect("quote-detail", quote_id=quote.pk)
        return render(request, "quoting/quote_new.html", {"form": form}, status=400)
    # A customer's date request can prefill the form (customer, product, quantity, date).
    initial: dict[str, object] = {
        k: v for k, v in request.GET.items() if k in ("customer", "product", "quantity")
    }
    if request.GET.get("requested_due"):
        initial["requested_due"] = request.GET["requested_due"]
    if request.GET.get("promise_earliest") == "1":
        initial["promise_earliest"] = True
    return render(request, "quoting/quote_new.html", {"form": QuoteRequestForm(initial=initial)})


def _answer_context(quote: Quote) -> dict[str, Any]:
    """The answer as the template shows it: options with their cost and what they buy."""
    costs = {
        o.code: o
        for o in CapacityOption.objects.filter(
            code__in=[x["id"] for x in quote.options or []]
        ).select_related("work_center")
    }
    options = []
    for raw in quote.options or []:
        option = costs.get(raw["id"])
        options.append(
            {
                "code": raw["id"],
                "name": option.name if option else raw["id"],
                "work_center": option.work_center.code if option else "",
                "cost": option.cost if option else None,
                "available": bool(option and option.status == CapacityOption.Status.AVAILABLE),
                "promise": parse_datetime(raw["promise"]) if raw.get("promise") else None,
                "completion": parse_datetime(raw["completion"]) if raw.get("completion") else None,
                "gain_minutes": raw.get("gain_minutes") or 0,
            }
        )
    options.sort(key=lambda o: (-o["gain_minutes"], o["cost"] or 0))
    binding = quote.binding or {}
    proposal = getattr(quote, "proposal", None)
    return {
        "quote": quote,
        "options": options,
        "binding_work_centers": binding.get("work_centers", []),
        "binding_orders": binding.get("orders", []),
        "proposal": proposal,
        # (An answered quote that is still improving keeps the page polling too.)
        "active": quote.status in (Quote.Status.QUEUED, Quote.Status.SOLVING)
        or (quote.improving and quote.accepted_at is None),
        "progress_pct": round((quote.progress or 0) * 100),
    }


@role_required(Profile.Role.SALES)
def quote_detail(request: HttpRequest, quote_id: int) -> HttpResponse:
    quote = _quote_or_404(request, quote_id)
    return render(request, "quoting/quote_detail.html", _answer_context(quote))


@role_required(Profile.Role.SALES)
def quote_status(request: HttpRequest, quote_id: int) -> HttpResponse:
    """The status panel alone, polled by the quote page while the solve runs."""
    quote = _quote_or_404(request, quote_id)
    return render(request, "quoting/partials/quote_status.html", _answer_context(quote))


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
                f"{outcome.promise.due:%a %d %b %H:%M} UTC. No other order moved.",
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
def quote_cancel(request: HttpRequest, quote_id: int) -> HttpResponse:
    quote = _quote_or_404(request, quote_id)
    try:
        services.quote_cancel(quote_id=quote.pk)
    except services.QuotingConflict as exc:
        messages.error(request, f"Not cancelled: {exc}")
    else:
        messages.info(request, f"Quote {quote.request_id} cancelled.")
    return redirect("quote-detail", quote_id=quote.pk)


@role_required(Profile.Role.SALES)
def quote_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "quoting/quote_list.html",
        {
            "quotes": quotes_visible_to(request.user)[:200],
            "date_requests": date_requests_open(),
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
