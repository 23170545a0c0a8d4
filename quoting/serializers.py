"""Input and output shapes of the quoting API.

Input serializers validate types only and name exactly the fields a route accepts (no due date
anywhere except the audited re-promise); the business rules live in `quoting.services`.
Output serializers are read-only.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework import serializers

from orders.models import Customer, Order, Product, Promise
from quoting.models import Quote, ReplanProposal
from scheduling.models import CapacityOption, ScheduleVersion

# --- input ----------------------------------------------------------------------------------


class AwareDateTimeField(serializers.DateTimeField):
    """A date and time with an explicit offset. DRF's own field reads a naive value, or a bare
    date, as UTC before any service can refuse it: a rep in Berlin asking for 16:00 would be
    quoted for 17:00 local without knowing. Whether the date is acceptable (ahead, within the
    horizon) is the service's rule."""

    default_error_messages = {
        "naive": "Give a date and time with a time zone offset, e.g. "
        "2026-12-08T16:00:00+01:00 or 2026-12-08T15:00:00Z.",
    }

    def enforce_timezone(self, value: datetime) -> datetime:
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)


class QuoteCreateSerializer(serializers.Serializer):
    customer: serializers.PrimaryKeyRelatedField[Customer] = serializers.PrimaryKeyRelatedField(
        queryset=Customer.objects.all()
    )
    product: serializers.PrimaryKeyRelatedField[Product] = serializers.PrimaryKeyRelatedField(
        queryset=Product.objects.all()
    )
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)
    requested_due = AwareDateTimeField(required=False, allow_null=True)
    customer_po = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text="The customer's purchase-order reference; it goes onto the order.",
    )
    capacity_options = serializers.ListField(
        child=serializers.SlugRelatedField(
            slug_field="code",
            queryset=CapacityOption.objects.filter(status=CapacityOption.Status.AVAILABLE),
        ),
        required=False,
        default=list,
        help_text="Codes of capacity options to evaluate; empty evaluates every available one.",
    )
    promise_earliest = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Promise the earliest date found. By default a requested date that can be "
        "met is the promise, kept moving as few operations of other orders as possible.",
    )


class QuoteListFilterSerializer(serializers.Serializer):
    """`?status=`: an unknown value (or a NUL byte, which PostgreSQL refuses) is a 400."""

    status = serializers.ChoiceField(choices=Quote.Status.choices, required=False, allow_blank=True)


class ProposalListFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=ReplanProposal.Status.choices, required=False, allow_blank=True
    )


class QuoteAcceptSerializer(serializers.Serializer):
    capacity_option: serializers.SlugRelatedField[CapacityOption] = serializers.SlugRelatedField(
        slug_field="code",
        queryset=CapacityOption.objects.filter(status=CapacityOption.Status.AVAILABLE),
        required=False,
        allow_null=True,
        help_text="Code of a capacity option the quote evaluated; its use needs approval.",
    )


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, allow_blank=False, trim_whitespace=True)


class RepromiseSerializer(serializers.Serializer):
    due = AwareDateTimeField()
    reason = serializers.CharField(max_length=500, allow_blank=False, trim_whitespace=True)


# --- output ---------------------------------------------------------------------------------


class QuoteSerializer(serializers.ModelSerializer):
    request_id = serializers.CharField(read_only=True)
    customer: serializers.SlugRelatedField[Customer] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    product: serializers.SlugRelatedField[Product] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    created_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    requested_options: serializers.SlugRelatedField[CapacityOption] = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )
    schedule_version: serializers.SlugRelatedField[ScheduleVersion] = serializers.SlugRelatedField(
        slug_field="number", read_only=True, allow_null=True
    )
    accepted_option: serializers.SlugRelatedField[CapacityOption] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    order: serializers.SlugRelatedField[Order] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    proposal = serializers.SerializerMethodField()
    earliest_promise = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When the promise keeps the requested date: how early it could be instead.",
    )
    # Parts of the stored answer (properties of Quote, not columns).
    lower_bound = serializers.DateTimeField(read_only=True, allow_null=True)
    proven_optimal = serializers.BooleanField(read_only=True, allow_null=True)
    options = serializers.JSONField(read_only=True)
    binding = serializers.JSONField(read_only=True)
    message = serializers.CharField(read_only=True)

    class Meta:
        model = Quote
        fields = [
            "id",
            "request_id",
            "status",
            "customer",
            "product",
            "quantity",
            "requested_due",
            "customer_po",
            "promise_earliest",
            "requested_options",
            "created_by",
            "created_at",
            "progress",
            "best_completion",
            "heartbeat_at",
            "cancel_requested",
            "attempts",
            "error",
            "enqueued",
            "enqueue_error",
            "schedule_version",
            "board_now",
            "answer_status",
            "completion",
            "promise",
            "lower_bound",
            "proven_optimal",
            "requested_due_feasible",
            "earliest_promise",
            "moved_count",
            "options",
            "binding",
            "diff",
            "message",
            "solve_seconds",
            "solved_at",
            "improving",
            "improvements",
            "accepted_at",
            "accepted_option",
            "order",
            "proposal",
        ]
        read_only_fields = fields

    def get_proposal(self, quote: Quote) -> int | None:
        try:
            return quote.proposal.pk
        except ReplanProposal.DoesNotExist:
            return None


class QuoteCreatedSerializer(serializers.ModelSerializer):
    """The 202 answer to a quote request: poll `GET quotes/{id}/` for the rest."""

    class Meta:
        model = Quote
        fields = ["id", "status", "enqueued", "enqueue_error"]
        read_only_fields = fields


class ProposalSerializer(serializers.ModelSerializer):
    quote: serializers.PrimaryKeyRelatedField[Quote] = serializers.PrimaryKeyRelatedField(
        read_only=True
    )
    request_id = serializers.CharField(source="quote.request_id", read_only=True)
    customer: serializers.SlugRelatedField[Customer] = serializers.SlugRelatedField(
        source="quote.customer", slug_field="code", read_only=True
    )
    product: serializers.SlugRelatedField[Product] = serializers.SlugRelatedField(
        source="quote.product", slug_field="code", read_only=True
    )
    quantity = serializers.IntegerField(source="quote.quantity", read_only=True)
    quoted_promise = serializers.DateTimeField(
        source="quote.promise", read_only=True, allow_null=True
    )
    capacity_option: serializers.SlugRelatedField[CapacityOption] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    schedule_version: serializers.SlugRelatedField[ScheduleVersion] = serializers.SlugRelatedField(
        slug_field="number", read_only=True, allow_null=True
    )
    created_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    decided_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    committed_version: serializers.SlugRelatedField[ScheduleVersion] = serializers.SlugRelatedField(
        slug_field="number", read_only=True, allow_null=True
    )

    class Meta:
        model = ReplanProposal
        fields = [
            "id",
            "quote",
            "request_id",
            "customer",
            "product",
            "quantity",
            "status",
            "capacity_option",
            "schedule_version",
            "board_now",
            "quoted_promise",
            "completion",
            "promise",
            "moved_count",
            "diff",
            "resolve_count",
            "enqueue_error",
            "error",
            "created_by",
            "created_at",
            "decided_by",
            "decided_at",
            "reject_reason",
            "committed_version",
        ]
        read_only_fields = fields


class CommittedOrderSerializer(serializers.ModelSerializer):
    customer: serializers.SlugRelatedField[Customer] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    product: serializers.SlugRelatedField[Product] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = Order
        fields = ["id", "code", "customer", "product", "quantity", "promised_due", "buffer_minutes"]
        read_only_fields = fields


class PromiseOutSerializer(serializers.ModelSerializer):
    schedule_version: serializers.SlugRelatedField[ScheduleVersion] = serializers.SlugRelatedField(
        slug_field="number", read_only=True
    )
    created_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Promise
        fields = [
            "id",
            "order",
            "due",
            "buffer_minutes",
            "kind",
            "reason",
            "created_by",
            "created_at",
            "schedule_version",
        ]
        read_only_fields = fields


class AcceptResultSerializer(serializers.Serializer):
    """`committed`: the order and its promise are on the schedule now; `proposal`: waiting for
    the scheduler (or being solved with the chosen capacity option)."""

    result = serializers.ChoiceField(choices=["committed", "proposal"])
    quote = QuoteSerializer()
    order = CommittedOrderSerializer(allow_null=True)
    promise = PromiseOutSerializer(allow_null=True)
    proposal = ProposalSerializer(allow_null=True)


class ApproveResultSerializer(serializers.Serializer):
    proposal = ProposalSerializer()
    order = CommittedOrderSerializer()
    promise = PromiseOutSerializer()


class ConflictSerializer(serializers.Serializer):
    """409: what conflicted, and the row as it is now (a stale one is already re-solving)."""

    detail = serializers.CharField()
    quote = QuoteSerializer(required=False)
    proposal = ProposalSerializer(required=False)


class HistoryEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    summary = serializers.CharField()
    actor = serializers.CharField(allow_null=True)
    reason = serializers.CharField(allow_blank=True)
    schedule_version = serializers.IntegerField(allow_null=True)
    quote = serializers.CharField(allow_null=True)
    proposal = serializers.IntegerField(allow_null=True)
    detail = serializers.DictField()


class OrderHistorySerializer(serializers.Serializer):
    order = serializers.CharField()
    promised_due = serializers.DateTimeField()
    entries = HistoryEntrySerializer(many=True)
