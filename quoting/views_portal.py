"""The customer portal: a customer's own orders, each with its projection, progress and
history, and its request for an earlier date (which goes to sales as a date-change request).

Thin views: `scheduling.selectors_visible` reads only the signed-in customer's orders (the
filter is `orders.selectors`), so a customer can only ever reach its own; writes go through
`quoting.services`."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from orders.forms import EarlierDateForm
from orders.models import Order, Profile
from orders.page_access import page_user, role_required
from quoting import services as quoting_services
from quoting.selectors import order_history
from scheduling.selectors_visible import order_details_visible_to, outlook_of


def _with_status(order: Order) -> Order:
    """Attach the buffer status the portal shows (annotations come from the selector)."""
    order.buffer = outlook_of(order)  # type: ignore[attr-defined]
    return order


@role_required(Profile.Role.CUSTOMER)
def portal(request: HttpRequest) -> HttpResponse:
    orders = [
        _with_status(o) for o in order_details_visible_to(request.user).order_by("promised_due")
    ]
    # Orders still to come first, delivered and cancelled ones after them.
    closed = (Order.Status.DONE, Order.Status.CANCELLED)
    orders.sort(key=lambda o: o.status in closed)
    for order in orders:
        ops = list(order.operations.all())
        order.steps = ops  # type: ignore[attr-defined]
        order.done_steps = sum(1 for op in ops if op.state == op.State.DONE)  # type: ignore[attr-defined]
    return render(request, "orders/portal.html", {"orders": orders})


def _own_order(request: HttpRequest, code: str) -> Order:
    # The selector only holds this customer's orders: another customer's code is a 404,
    # indistinguishable from an order that does not exist.
    try:
        return _with_status(order_details_visible_to(request.user).get(code=code))
    except Order.DoesNotExist:
        raise Http404("No such order.") from None


def _order_page(
    request: HttpRequest, order: Order, form: EarlierDateForm, *, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "orders/portal_order.html",
        {
            "order": order,
            "steps": list(order.operations.all()),
            "history": order_history(order, internal=False),
            "requests": order.date_requests.order_by("-created_at")[:5],
            "earlier_form": form,
        },
        status=status,
    )


@role_required(Profile.Role.CUSTOMER)
def portal_order(request: HttpRequest, code: str) -> HttpResponse:
    order = _own_order(request, code)
    return _order_page(request, order, EarlierDateForm(order=order))


@role_required(Profile.Role.CUSTOMER)
@require_POST
def portal_order_earlier(request: HttpRequest, code: str) -> HttpResponse:
    """A request for an earlier date goes to sales; the promise is untouched."""
    order = _own_order(request, code)
    form = EarlierDateForm(request.POST, order=order)
    if form.is_valid():
        try:
            quoting_services.date_change_request_create(
                order_id=order.pk,
                requested_due=form.cleaned_data["requested_due"],
                note=form.cleaned_data["note"],
                requested_by=page_user(request),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                "Request sent. Our sales team will check it against the schedule and answer; "
                "your current promise stays until then.",
            )
            return redirect("portal-order", code=order.code)
    return _order_page(request, order, form, status=400)
