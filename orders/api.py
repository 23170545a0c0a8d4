"""REST API for customers, products and the signed-in user, read-only by design, and the API
token's issue and revocation (`orders.sign_in`). Orders are served by `scheduling.api`, with
their projection on the schedule.

Each view takes its rows from `orders.selectors`, so a customer user asking for another
customer's row gets 404 (the row is not in its queryset) rather than 403, which would confirm
the row exists.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import Throttled
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from orders import selectors
from orders.models import Customer, Product
from orders.permissions import HasAnyRole
from orders.serializers import (
    ApiTokenSerializer,
    CustomerSerializer,
    MeSerializer,
    ProductSerializer,
)
from orders.sign_in import (
    api_token_expires,
    api_token_issue,
    api_token_revoke,
    sign_in_lockout_message,
    sign_in_lockout_seconds,
)


class CustomerViewSet(viewsets.ReadOnlyModelViewSet):
    """Customers: all of them for shop staff, only its own for a customer user."""

    serializer_class = CustomerSerializer
    permission_classes = [HasAnyRole]

    def get_queryset(self) -> QuerySet[Customer]:
        return selectors.customers_visible_to(self.request.user)


class ProductViewSet(viewsets.ReadOnlyModelViewSet):
    """Products with their routings (ordered steps, work centers, setup and run minutes)."""

    serializer_class = ProductSerializer
    permission_classes = [HasAnyRole]

    def get_queryset(self) -> QuerySet[Product]:
        return selectors.products_visible_to(self.request.user)


class TokenObtainView(ObtainAuthToken):
    """Username and password for an API token. Throttled per client address (SIGN_IN_RATE);
    a locked-out username (orders.sign_in) is refused with 429 and Retry-After."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "sign-in"

    @extend_schema(
        request=AuthTokenSerializer,
        responses={
            200: ApiTokenSerializer,
            400: OpenApiResponse(description="Wrong username or password"),
            429: OpenApiResponse(description="Too many attempts; Retry-After says when to retry"),
        },
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        username = request.data.get("username") if isinstance(request.data, dict) else None
        if isinstance(username, str) and (seconds := sign_in_lockout_seconds(username)):
            raise Throttled(wait=seconds, detail=sign_in_lockout_message(seconds))
        form = self.get_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        token = api_token_issue(user=form.validated_data["user"])
        body = {"key": token.key, "expires": api_token_expires(token)}
        return Response(ApiTokenSerializer(body).data)


class TokenRevokeView(APIView):
    """Sign out of the API: the caller's token is deleted and stops working at once."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        api_token_revoke(user=request.user)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    """The signed-in user: username, role and (for a customer user) its customer."""

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        payload = {
            "username": request.user.get_username(),
            "role": selectors.role_of(request.user),
            "customer": selectors.customer_of(request.user),
        }
        return Response(MeSerializer(payload).data)


# The API's entry points, for the browsable API's root page (/api/). Quoting routes are listed
# too so that a person browsing finds the whole workflow from one place.
API_ROOT_ROUTES = {
    "me": "api-me",
    "customers": "customer-list",
    "products": "product-list",
    "orders": "order-list",
    "work-centers": "work-center-list",
    "schedule-versions": "schedule-version-list",
    "board": "api-board",
    "quotes": "api-quotes",
    "proposals": "api-proposals",
    "schema": "api-schema",
    "docs": "api-docs",
}


class APIRootView(APIView):
    """Links to every collection of the API; the OpenAPI schema documents each of them."""

    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        return Response(
            {key: reverse(name, request=request) for key, name in API_ROOT_ROUTES.items()}
        )
