"""A rep's quote request and its cancel (the solve itself is in quote_solving.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from orders.models import Customer, Order, Product, RoutingStep
from quoting.models import (
    DateChangeRequest,
    Quote,
)
from quoting.services.conflicts import (
    QuotingConflict,
)
from quoting.services.enqueue import enqueue_quote_solve
from scheduling.models import CapacityOption

# The customer's purchase-order reference (Quote.customer_po, Order.customer_po).
PO_MAX_LENGTH = 64


def promise_date_problem(value: datetime) -> str | None:
    """Why `value` cannot be asked for as a due date, or None: it needs a time zone, must lie
    ahead, and no further than PROMISE_HORIZON_DAYS (a date years out is a typo, and instants
    near year 9999 overflow the engine's arithmetic)."""
    if timezone.is_naive(value):
        return "must include a time zone offset, e.g. 2026-12-08T16:00:00+01:00"
    now = timezone.now()
    if value <= now:
        return "must be in the future"
    days = settings.PROMISE_HORIZON_DAYS
    horizon = now + timedelta(days=days)
    if value > horizon:
        return f"must be at most {days} days ahead (on or before {horizon:%Y-%m-%d})"
    return None


def quote_request_create(
    *,
    created_by: User,
    customer_id: int,
    product_id: int,
    quantity: int,
    requested_due: datetime | None = None,
    capacity_option_codes: list[str] | tuple[str, ...] = (),
    promise_earliest: bool = False,
    date_request_id: int | None = None,
    customer_po: str = "",
) -> Quote:
    """Record a quote request and enqueue its solve.

    With a requested date the answer keeps it when it can be met, moving as few operations of
    other orders as possible; ``promise_earliest`` asks for the earliest date instead.

    Writes one Quote (status `queued`) with the capacity options to evaluate (none given: all
    available ones are evaluated). Enqueues `quoting.solve_quote` after commit; if the broker is
    down the quote stays `queued` with `enqueue_error` set and the sweeper sends it later.

    `customer_po`, the customer's purchase-order reference (optional, at most PO_MAX_LENGTH
    characters), goes onto the order the quote creates.

    With `date_request_id` (a customer's open request for another date) the quote is for that
    request's existing order: customer, product and quantity must be the order's; the quote
    re-promises the order when accepted, and is linked to the request, which its commit
    closes."""
    errors: dict[str, str] = {}
    date_request = _open_date_request(
        date_request_id, customer_id=customer_id, product_id=product_id, quantity=quantity
    )
    if not Customer.objects.filter(pk=customer_id).exists():
        errors["customer"] = "no such customer"
    if not Product.objects.filter(pk=product_id).exists():
        errors["product"] = "no such product"
    elif not RoutingStep.objects.filter(product_id=product_id).exists():
        errors["product"] = "this product has no routing to schedule"
    if quantity < 1:
        errors["quantity"] = "must be at least 1"
    customer_po = (customer_po or "").strip()
    if len(customer_po) > PO_MAX_LENGTH:
        errors["customer_po"] = f"at most {PO_MAX_LENGTH} characters"
    elif any(not ch.isprintable() for ch in customer_po):
        errors["customer_po"] = "letters, digits and punctuation only (no control characters)"
    if requested_due is not None and (problem := promise_date_problem(requested_due)):
        errors["requested_due"] = problem
    options = list(CapacityOption.objects.filter(code__in=capacity_option_codes))
    unknown = sorted(set(capacity_option_codes) - {o.code for o in options})
    unavailable = sorted(o.code for o in options if o.status != CapacityOption.Status.AVAILABLE)
    if unknown or unavailable:
        errors["capacity_options"] = "; ".join(
            [f"unknown option {c}" for c in unknown]
            + [f"option {c} is not available" for c in unavailable]
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        quote = Quote.objects.create(
            customer_id=customer_id,
            product_id=product_id,
            quantity=quantity,
            requested_due=requested_due,
            promise_earliest=promise_earliest,
            customer_po=customer_po,
            created_by=created_by,
            repromise_order_id=date_request.order_id if date_request else None,
        )
        quote.requested_options.set(options)
        if date_request is not None:
            DateChangeRequest.objects.filter(pk=date_request.pk).update(quote=quote)
        enqueue_quote_solve(quote.pk)
    return quote


def _open_date_request(
    request_id: int | None, *, customer_id: int, product_id: int, quantity: int
) -> DateChangeRequest | None:
    if request_id is None:
        return None
    request = (
        DateChangeRequest.objects.select_related("order")
        .filter(pk=request_id, status=DateChangeRequest.Status.OPEN)
        .first()
    )
    if request is None:
        raise ValidationError({"date_request": "this customer request is already answered"})
    order = request.order
    if (order.customer_id, order.product_id, order.quantity) != (
        customer_id,
        product_id,
        quantity,
    ):
        raise ValidationError(
            {
                "date_request": f"a quote for {order.code}'s new date keeps its customer, "
                f"product and quantity ({order.quantity})"
            }
        )
    if order.status != Order.Status.OPEN or order.operations.exclude(state="planned").exists():
        raise ValidationError(
            {
                "date_request": f"{order.code} is already in production; only the scheduler "
                "can re-promise it"
            }
        )
    return request


def quote_cancel(*, quote_id: int) -> Quote:
    """Cancel a quote that is not answered yet.

    Writes: a `queued` quote becomes `cancelled` at once; a `solving` quote gets
    `cancel_requested`, which its worker reads within a fraction of a second, stops the engine
    and marks it `cancelled`. Raises QuotingConflict for an answered, failed or cancelled quote."""
    with transaction.atomic():
        if Quote.objects.filter(pk=quote_id, status=Quote.Status.QUEUED).update(
            status=Quote.Status.CANCELLED, cancel_requested=True
        ):
            return Quote.objects.get(pk=quote_id)
        if Quote.objects.filter(pk=quote_id, status=Quote.Status.SOLVING).update(
            cancel_requested=True
        ):
            return Quote.objects.get(pk=quote_id)
        quote = Quote.objects.get(pk=quote_id)
        raise QuotingConflict(f"quote {quote.request_id} is {quote.status}; nothing to cancel")
