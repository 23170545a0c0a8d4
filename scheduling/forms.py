"""Page forms of the scheduling app (shop floor, proposal decisions). Input validation only;
every write goes through a service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from scheduling.models import WorkCenter

_LOCAL_INPUT = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


def _instant_field(label: str, **kwargs: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=_LOCAL_INPUT,
        **kwargs,
    )


class OperationStartForm(forms.Form):
    work_center = forms.ModelChoiceField(queryset=WorkCenter.objects.all(), to_field_name="code")
    at = _instant_field("Started at (your time zone)")

    def clean_at(self) -> Any:
        at = self.cleaned_data["at"]
        if at > timezone.now():
            raise forms.ValidationError("An operation cannot start in the future.")
        return at


class OperationFinishForm(forms.Form):
    at = _instant_field("Finished at (your time zone)")

    def clean_at(self) -> Any:
        at = self.cleaned_data["at"]
        if at > timezone.now():
            raise forms.ValidationError("An operation cannot finish in the future.")
        return at


class DowntimeForm(forms.Form):
    work_center = forms.ModelChoiceField(
        queryset=WorkCenter.objects.order_by("code"), to_field_name="code", empty_label="Choose…"
    )
    start = _instant_field("Down from (your time zone)")
    end = _instant_field("Back up at (your time zone)")
    reason = forms.CharField(max_length=200)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start:
            self.add_error("end", "The work center must come back up after it went down.")
        return data


class DowntimeChangeForm(forms.Form):
    """Edit a recorded downtime or end it early; a field left empty keeps its value."""

    start = _instant_field("Down from (UTC)", required=False)
    end = _instant_field("Back up at (UTC)", required=False)
    reason = forms.CharField(max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(data.get(name) for name in ("start", "end", "reason")):
            raise forms.ValidationError("Change at least one of the times or the reason.")
        return data


class ProposalRejectForm(forms.Form):
    reason = forms.CharField(
        max_length=300, widget=forms.TextInput(attrs={"placeholder": "Why not?"})
    )


class RepromiseForm(forms.Form):
    """An explicit, audited change of an order's promise (the scheduler says why)."""

    due = _instant_field("New promised date (your time zone)")
    reason = forms.CharField(
        max_length=300, widget=forms.TextInput(attrs={"placeholder": "Why (the customer sees it)"})
    )

    def clean_due(self) -> Any:
        due = self.cleaned_data["due"]
        if due <= timezone.now():
            raise forms.ValidationError("A promise must be in the future.")
        return due
