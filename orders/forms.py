"""Page forms of the orders app. They validate input only; writes go through services."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone

from orders.models import Customer, Order
from orders.sign_in import sign_in_lockout_message, sign_in_lockout_seconds


class SignInForm(AuthenticationForm):
    """Django's sign-in form, saying so when the username is locked out (the backend refuses
    it either way; without this the page would only say the password is wrong)."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        if username and (seconds := sign_in_lockout_seconds(username)):
            raise forms.ValidationError(sign_in_lockout_message(seconds), code="locked_out")
        return super().clean()


class EarlierDateForm(forms.Form):
    """A customer asks for an earlier date: it becomes a request for sales, never a promise."""

    requested_due = forms.DateTimeField(
        label="Date you would like",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )
    note = forms.CharField(
        label="Why (optional)",
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, order: Order, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order = order

    def clean_requested_due(self) -> Any:
        value = self.cleaned_data["requested_due"]
        if value <= timezone.now():
            raise forms.ValidationError("Pick a date in the future.")
        if value >= self.order.promised_due:
            raise forms.ValidationError("That is not earlier than the date already promised.")
        return value


class OrderFilterForm(forms.Form):
    """The order list's filters (GET): words, customer, status, promised between two days."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "order, customer, product, PO"}),
    )
    customer = forms.ModelChoiceField(
        queryset=Customer.objects.order_by("name"), required=False, empty_label="Any customer"
    )
    status = forms.ChoiceField(choices=[("", "Any status"), *Order.Status.choices], required=False)
    promised_from = forms.DateField(
        label="Promised from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    promised_to = forms.DateField(
        label="Promised until", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class TimeZoneForm(forms.Form):
    """The zone a user reads times in; blank: the shop's."""

    time_zone = forms.ChoiceField(label="Show times in", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zones = sorted(zoneinfo.available_timezones())
        field = self.fields["time_zone"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            ("", f"The shop's time zone ({settings.TIME_ZONE})"),
            *((zone, zone.replace("_", " ")) for zone in zones),
        ]
