"""Page forms of the orders app. They validate input only; writes go through services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone

from orders.models import Order
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
