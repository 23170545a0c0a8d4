"""The OpenAPI schema class of the whole API (settings' DEFAULT_SCHEMA_CLASS).

drf-spectacular documents only the success answer unless told otherwise; a client generated
from that contract would not know a 401, 403, 404 or 400 could come. This adds each error an
operation can answer, unless the view declares that code itself (with its own body, such as
the 409 conflicts of the quoting workflow).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import is_serializer
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class ErrorDetailSerializer(serializers.Serializer):
    """The body of a 401, 403 or 404 (and of a 409 without a row to show)."""

    detail = serializers.CharField()


_BAD_INPUT = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Bad input: each field (or query parameter) named with its messages, "
    '{"field": ["message"]}; nothing was written.',
)
_UNAUTHENTICATED = OpenApiResponse(
    ErrorDetailSerializer,
    description="Not signed in, or the token is invalid (the WWW-Authenticate header names "
    "the scheme).",
)
_FORBIDDEN = OpenApiResponse(
    ErrorDetailSerializer, description="Signed in, but this role may not do this."
)
_NOT_FOUND = OpenApiResponse(
    ErrorDetailSerializer,
    description="No such row, or not one this user may see (a customer's orders are visible "
    "to that customer only).",
)


class ApiSchema(AutoSchema):
    # Not get_response_serializers(): @extend_schema(responses=...) replaces that method on a
    # subclass, so the errors would vanish from every view that declares its responses.
    def _get_response_bodies(self, direction: Any = "response") -> Any:
        responses = super()._get_response_bodies(direction)
        for code, response in self._error_responses().items():
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(
                    response, str(code), direction=direction
                )
        return responses

    def _error_responses(self) -> dict[int, OpenApiResponse]:
        errors: dict[int, OpenApiResponse] = {}
        takes_body = self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer()
        # Query parameters given as a serializer are validated (a list's filters): 400 too.
        validated_query = any(is_serializer(p) for p in self.get_override_parameters())
        if takes_body or validated_query:
            errors[400] = _BAD_INPUT
        if not all(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            errors[401] = _UNAUTHENTICATED
            errors[403] = _FORBIDDEN
        if "{" in self.path:
            errors[404] = _NOT_FOUND
        return errors

    def _map_basic_serializer(self, serializer: Any, direction: Any) -> Any:
        # A serializer that hides fields from customer users (`internal_fields`, e.g. an
        # order's buffer) may answer without them: not required in the contract.
        schema = super()._map_basic_serializer(serializer, direction)
        hidden = set(getattr(serializer, "internal_fields", ()))
        if hidden and "required" in schema:
            schema["required"] = [name for name in schema["required"] if name not in hidden]
            if not schema["required"]:
                del schema["required"]
        return schema
