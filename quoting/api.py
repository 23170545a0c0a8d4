"""REST API of the quoting workflow (mounted under /api/ by quoting/api_urls.py).

Thin views: validate the input shape, call one service or selector, serialize. Rows a user may
not see answer 404 (not 403) so their existence is not confirmed; actions a role may not take
answer 403. No route sets a promise: orders and promises come only from accept/approve, and a
promised date changes only through the verified re-promise.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.models import Profile
from orders.permissions import HasAnyRole, HasRole, IsScheduler
from orders.selectors import BOARD_ROLES
from quoting import selectors, services
from quoting.models import Quote, ReplanProposal
from quoting.serializers import (
    AcceptResultSerializer,
    ApproveResultSerializer,
    CommittedOrderSerializer,
    ConflictSerializer,
    OrderHistorySerializer,
    PromiseOutSerializer,
    ProposalListFilterSerializer,
    ProposalSerializer,
    QuoteAcceptSerializer,
    QuoteCreatedSerializer,
    QuoteCreateSerializer,
    QuoteListFilterSerializer,
    QuoteSerializer,
    RejectSerializer,
    RepromiseSerializer,
)


class CanQuote(HasRole):
    """Sales reps quote and accept; schedulers may too. Customers and managers may not."""

    roles = frozenset({Profile.Role.SALES, Profile.Role.SCHEDULER})


class CanReadQuotes(HasRole):
    roles = frozenset({Profile.Role.SALES}) | BOARD_ROLES


def _field_errors(exc: DjangoValidationError) -> serializers.ValidationError:
    if hasattr(exc, "error_dict"):
        return serializers.ValidationError(exc.message_dict)
    return serializers.ValidationError({"detail": exc.messages})


def _conflict(exc: services.QuotingConflict, request: Request) -> Response:
    body: dict[str, Any] = {"detail": str(exc)}
    context = {"request": request}
    if isinstance(exc, services.QuoteStale):
        body["quote"] = QuoteSerializer(_fresh_quote(exc.quote.pk), context=context).data
    if isinstance(exc, services.ProposalStale):
        proposal = ReplanProposal.objects.get(pk=exc.proposal.pk)
        body["proposal"] = ProposalSerializer(proposal, context=context).data
    return Response(body, status=status.HTTP_409_CONFLICT)


def _status_filter(request: Request, form_class: type[serializers.Serializer]) -> str:
    """The validated `?status=` of a list ("" for none); a bad value answers 400 naming it."""
    form = form_class(data=request.query_params)
    form.is_valid(raise_exception=True)
    return str(form.validated_data.get("status") or "")


def _fresh_quote(pk: int) -> Quote:
    return Quote.objects.select_related("proposal").get(pk=pk)


# --- quotes ---------------------------------------------------------------------------------


class QuoteListCreateView(generics.ListAPIView):
    """GET: quotes (own for a sales rep, all for scheduler and manager), newest first.
    POST: request a quote; answers 202 at once, the solve runs on a worker."""

    serializer_class = QuoteSerializer

    def get_permissions(self) -> list[Any]:
        return [CanQuote()] if self.request.method == "POST" else [CanReadQuotes()]

    def get_queryset(self) -> QuerySet[Quote]:
        quotes = selectors.quotes_visible_to(self.request.user)
        wanted = _status_filter(self.request, QuoteListFilterSerializer)
        return quotes.filter(status=wanted) if wanted else quotes

    @extend_schema(parameters=[QuoteListFilterSerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=QuoteCreateSerializer,
        responses={202: QuoteCreatedSerializer},
    )
    def post(self, request: Request) -> Response:
        form = QuoteCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        try:
            quote = services.quote_request_create(
                created_by=request.user,  # type: ignore[arg-type]
                customer_id=data["customer"].pk,
                product_id=data["product"].pk,
                quantity=data["quantity"],
                requested_due=data.get("requested_due"),
                capacity_option_codes=[o.code for o in data["capacity_options"]],
                promise_earliest=data.get("promise_earliest", False),
                customer_po=data.get("customer_po", ""),
            )
        except DjangoValidationError as exc:
            raise _field_errors(exc) from exc
        quote.refresh_from_db()  # the enqueue outcome is written after commit
        return Response(QuoteCreatedSerializer(quote).data, status=status.HTTP_202_ACCEPTED)


class QuoteDetailView(generics.RetrieveAPIView):
    """A quote: status, progress, best date so far, and the answer once done."""

    serializer_class = QuoteSerializer
    permission_classes = [CanReadQuotes]

    def get_queryset(self) -> QuerySet[Quote]:
        return selectors.quotes_visible_to(self.request.user)


class QuoteCancelView(APIView):
    """Cancel a queued or solving quote (the solver stops within about a second)."""

    permission_classes = [CanQuote]

    @extend_schema(request=None, responses={200: QuoteSerializer, 409: ConflictSerializer})
    def post(self, request: Request, pk: int) -> Response:
        quote = get_object_or_404(selectors.quotes_visible_to(request.user), pk=pk)
        try:
            quote = services.quote_cancel(quote_id=quote.pk)
        except services.QuotingConflict as exc:
            return _conflict(exc, request)
        return Response(QuoteSerializer(_fresh_quote(quote.pk)).data)


class QuoteAcceptView(APIView):
    """Accept an answered quote: commits the order and its promise at once when nobody else's
    plan changes, else creates a replan proposal for the scheduler. 409 when the board changed
    since the solve (the quote is re-solving; accept again when it is done)."""

    permission_classes = [CanQuote]

    @extend_schema(
        request=QuoteAcceptSerializer,
        responses={
            201: AcceptResultSerializer,
            202: AcceptResultSerializer,
            409: ConflictSerializer,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        quote = get_object_or_404(selectors.quotes_visible_to(request.user), pk=pk)
        form = QuoteAcceptSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        option = form.validated_data.get("capacity_option")
        try:
            outcome = services.quote_accept(
                quote_id=quote.pk,
                accepted_by=request.user,  # type: ignore[arg-type]
                capacity_option_code=option.code if option else None,
            )
        except DjangoValidationError as exc:
            raise _field_errors(exc) from exc
        except services.QuotingConflict as exc:
            return _conflict(exc, request)
        proposal = outcome.proposal
        if proposal is not None:
            proposal = ReplanProposal.objects.get(pk=proposal.pk)  # a re-solve may have run
        body = {
            "result": "committed" if outcome.committed else "proposal",
            "quote": QuoteSerializer(_fresh_quote(quote.pk)).data,
            "order": CommittedOrderSerializer(outcome.order).data if outcome.order else None,
            "promise": PromiseOutSerializer(outcome.promise).data if outcome.promise else None,
            "proposal": ProposalSerializer(proposal).data if proposal else None,
        }
        code = status.HTTP_201_CREATED if outcome.committed else status.HTTP_202_ACCEPTED
        return Response(body, status=code)


# --- proposals ------------------------------------------------------------------------------


class ProposalListView(generics.ListAPIView):
    """Replan proposals (scheduler and manager: all; sales rep: those of its quotes)."""

    serializer_class = ProposalSerializer
    permission_classes = [CanReadQuotes]

    def get_queryset(self) -> QuerySet[ReplanProposal]:
        proposals = selectors.proposals_visible_to(self.request.user)
        wanted = _status_filter(self.request, ProposalListFilterSerializer)
        return proposals.filter(status=wanted) if wanted else proposals

    @extend_schema(parameters=[ProposalListFilterSerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class ProposalDetailView(generics.RetrieveAPIView):
    serializer_class = ProposalSerializer
    permission_classes = [CanReadQuotes]

    def get_queryset(self) -> QuerySet[ReplanProposal]:
        return selectors.proposals_visible_to(self.request.user)


class ProposalApproveView(APIView):
    """Commit the proposal's schedule, order, promise and capacity option, only if the board is
    still the one it was solved against; 409 with the proposal (re-solving) otherwise."""

    permission_classes = [IsScheduler]

    @extend_schema(request=None, responses={200: ApproveResultSerializer, 409: ConflictSerializer})
    def post(self, request: Request, pk: int) -> Response:
        proposal = get_object_or_404(selectors.proposals_visible_to(request.user), pk=pk)
        try:
            outcome = services.replan_proposal_approve(
                proposal_id=proposal.pk,
                approved_by=request.user,  # type: ignore[arg-type]
            )
        except services.QuotingConflict as exc:
            return _conflict(exc, request)
        return Response(
            {
                "proposal": ProposalSerializer(outcome.proposal).data,
                "order": CommittedOrderSerializer(outcome.order).data,
                "promise": PromiseOutSerializer(outcome.promise).data,
            }
        )


class ProposalRejectView(APIView):
    """Reject a proposal; the reason is required and recorded with who and when."""

    permission_classes = [IsScheduler]

    @extend_schema(
        request=RejectSerializer, responses={200: ProposalSerializer, 409: ConflictSerializer}
    )
    def post(self, request: Request, pk: int) -> Response:
        proposal = get_object_or_404(selectors.proposals_visible_to(request.user), pk=pk)
        form = RejectSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            proposal = services.replan_proposal_reject(
                proposal_id=proposal.pk,
                rejected_by=request.user,  # type: ignore[arg-type]
                reason=form.validated_data["reason"],
            )
        except DjangoValidationError as exc:
            raise _field_errors(exc) from exc
        except services.QuotingConflict as exc:
            return _conflict(exc, request)
        return Response(ProposalSerializer(proposal).data)


# --- orders ---------------------------------------------------------------------------------


class OrderRepromiseView(APIView):
    """An audited change of an order's promise: verified against the schedule (repaired by the
    engine if needed) before it is written; the old promise stays in the history."""

    permission_classes = [IsScheduler]

    @extend_schema(
        request=RepromiseSerializer,
        responses={
            201: PromiseOutSerializer,
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description='Field errors ({"field": ["message"]}), or "due": no schedule keeps '
                "every promise with the order at that date; nothing was written",
            ),
            409: ConflictSerializer,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        order = selectors.order_for_history(request.user, pk)
        if order is None:
            return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
        form = RepromiseSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            promise = services.order_repromise(
                order_id=order.pk,
                due=form.validated_data["due"],
                reason=form.validated_data["reason"],
                repromised_by=request.user,  # type: ignore[arg-type]
            )
        except DjangoValidationError as exc:
            raise _field_errors(exc) from exc
        except services.QuotingConflict as exc:
            return _conflict(exc, request)
        return Response(PromiseOutSerializer(promise).data, status=status.HTTP_201_CREATED)


class OrderHistoryView(APIView):
    """An order's promises, schedule changes and decisions, oldest first. A customer sees only
    its own orders (404 otherwise), without internal decisions."""

    permission_classes = [HasAnyRole]

    @extend_schema(responses={200: OrderHistorySerializer})
    def get(self, request: Request, pk: int) -> Response:
        order = selectors.order_for_history(request.user, pk)
        if order is None:
            return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
        entries = selectors.order_history(order, internal=selectors.is_staff_role(request.user))
        payload = {"order": order.code, "promised_due": order.promised_due, "entries": entries}
        return Response(OrderHistorySerializer(payload).data)
