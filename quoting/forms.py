"""Page forms of the quoting app. Input validation only; `quoting.services` writes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone

from orders.models import Customer, Product
from scheduling.models import CapacityOption


class CapacityOptionsField(forms.ModelMultipleChoiceField):
    """Options labelled with what a sales rep weighs: where, and what it costs."""

    def label_from_instance(self, obj: CapacityOption) -> str:  # type: ignore[override]
        return f"{obj.name} ({obj.work_center.code}, cost {settings.SHOP_CURRENCY} {obj.cost:,.0f})"


class QuoteRequestForm(forms.Form):
    customer = forms.ModelChoiceField(
        queryset=Customer.objects.order_by("name"), empty_label="Choose a customer…"
    )
    product = forms.ModelChoiceField(
        queryset=Product.objects.filter(routing__isnull=False).distinct().order_by("code"),
        empty_label="Choose a product…",
    )
    quantity = forms.IntegerField(min_value=1, max_value=100_000, initial=1)
    requested_due = forms.DateTimeField(
        label="Requested date (your time zone)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        help_text="Optional. We answer whether it can be met, and the earliest date we can keep.",
    )
    customer_po = forms.CharField(
        label="Customer's PO reference",
        required=False,
        max_length=64,
        help_text="Optional. Their purchase-order number; it goes on the order and their portal.",
    )
    promise_earliest = forms.BooleanField(
        label="Promise the earliest date we can keep",
        required=False,
        help_text="Unticked: when the requested date can be met, it is the promise, and as few "
        "of other orders' operations move as possible (often none).",
    )
    capacity_options = CapacityOptionsField(
        label="Capacity options to evaluate",
        queryset=CapacityOption.objects.filter(status=CapacityOption.Status.AVAILABLE)
        .select_related("work_center")
        .order_by("code"),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every available option is evaluated.",
    )
    # A customer's request for an earlier date on an existing order ("Quote it"): the quote
    # re-promises that order instead of creating a second one.
    date_request = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean_requested_due(self) -> Any:
        value = self.cleaned_data.get("requested_due")
        if value is not None and value <= timezone.now():
            raise forms.ValidationError("The requested date must be in the future.")
        return value


class QuoteAcceptForm(forms.Form):
    capacity_option = forms.CharField(required=False, max_length=64)


class QuoteFilterForm(forms.Form):
    """The quote list's filters (GET): words, customer, what became of it, when it was asked."""

    STATES = [
        ("", "Any state"),
        ("open", "Queued or solving"),
        ("answered", "Answered, not accepted"),
        ("waiting", "Waiting for the scheduler"),
        ("committed", "Committed"),
        ("no_promise", "No promise possible"),
        ("rejected", "Rejected by the scheduler"),
        ("failed", "Failed"),
        ("cancelled", "Cancelled"),
    ]

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "Q-12, customer, product, order"}),
    )
    customer = forms.ModelChoiceField(
        queryset=Customer.objects.order_by("name"), required=False, empty_label="Any customer"
    )
    state = forms.ChoiceField(choices=STATES, required=False)
    asked_from = forms.DateField(
        label="Asked from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    asked_to = forms.DateField(
        label="Asked until", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
