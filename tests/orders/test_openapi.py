"""The OpenAPI schema renders and documents the API; no operation in it can set a due date."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from rest_framework import serializers
from rest_framework.relations import ManyRelatedField
from rest_framework.test import APIClient

import orders.serializers
import quoting.serializers
import scheduling.serializers

pytestmark = pytest.mark.django_db

WRITE_METHODS = ("post", "put", "patch")
# Fields that carry a promise; only the scheduling services may write them.
PROMISE_FIELDS = {"promised_due", "due", "buffer_minutes"}
# The one audited way to change a promise: quoting.services.order_repromise, which commits only
# a schedule version the verifier has passed and appends a Promise row.
AUDITED_REPROMISE = "/api/orders/{id}/repromise/"


@pytest.fixture
def schema(client_as: Callable[..., APIClient]) -> dict[str, Any]:
    response = client_as("manager").get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def properties(
    node: Any, components: dict[str, Any], seen: frozenset[str] = frozenset()
) -> Iterator[str]:
    """Every property name reachable from a schema node (following $ref, allOf, items...)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            name = ref.rsplit("/", 1)[-1]
            if name not in seen:
                yield from properties(components.get(name, {}), components, seen | {name})
            return
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                yield from value
            yield from properties(value, components, seen)
    elif isinstance(node, list):
        for item in node:
            yield from properties(item, components, seen)


def test_schema_documents_the_api(schema: dict[str, Any]) -> None:
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    assert {
        "/api/customers/",
        "/api/customers/{id}/",
        "/api/products/",
        "/api/products/{id}/",
        "/api/work-centers/",
        "/api/orders/",
        "/api/orders/{id}/",
        "/api/schedule-versions/",
        "/api/schedule-versions/{id}/",
        "/api/board/",
        "/api/me/",
        "/api/auth/token/",
    } <= paths
    order = schema["components"]["schemas"]["OrderDetail"]["properties"]
    assert {"promised_due", "projected_completion", "operations", "promises"} <= set(order)
    assert set(schema["paths"]["/api/orders/{id}/"]) == {"get"}  # read-only


def test_no_operation_accepts_a_promise_field(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    offenders = []
    for path, operations in schema["paths"].items():
        if path == AUDITED_REPROMISE:
            continue
        for method in WRITE_METHODS:
            body = operations.get(method, {}).get("requestBody")
            if body is None:
                continue
            fields = set(properties(body, components)) & PROMISE_FIELDS
            if fields:
                offenders.append((method.upper(), path, sorted(fields)))
    assert offenders == []


SERIALIZER_MODULES = (orders.serializers, quoting.serializers, scheduling.serializers)


def _nullable_source(model: type[Model], source: str) -> bool | None:
    """Whether following `source` (dotted) from `model` can give null; None when it is not a
    chain of model fields (a property or method)."""
    nullable = False
    for part in source.split("."):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        nullable = nullable or bool(getattr(field, "null", False))
        if field.related_model is not None:
            model = field.related_model
    return nullable


def test_every_field_that_can_be_null_is_declared_nullable(schema: dict[str, Any]) -> None:
    """A client generated from the schema must not choke on a null it was promised never to
    get (an unsolved quote has no schedule version, an unplaced operation no work center)."""
    components = schema["components"]["schemas"]
    checked, undeclared = 0, []
    for module in SERIALIZER_MODULES:
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if (
                not issubclass(cls, serializers.ModelSerializer)
                or cls.__module__ != module.__name__
            ):
                continue
            model = cls.Meta.model
            component = components.get(name.removesuffix("Serializer"))
            if component is None:
                continue
            for field_name, field in cls().fields.items():
                if isinstance(field, ManyRelatedField | serializers.ListSerializer):
                    continue  # many-to-many: an empty list, never null
                if field.source in (None, "*") or not _nullable_source(model, str(field.source)):
                    continue
                checked += 1
                if not component["properties"][field_name].get("nullable"):
                    undeclared.append(f"{name}.{field_name}")
    assert checked >= 20  # the walk found the serializers
    assert undeclared == [], undeclared


def test_the_named_nullable_fields(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    for component, field in [
        ("Quote", "schedule_version"),
        ("Quote", "accepted_option"),
        ("Proposal", "capacity_option"),
        ("Proposal", "committed_version"),
        ("Operation", "work_center"),
    ]:
        assert components[component]["properties"][field].get("nullable") is True, field


# Open to anyone: signing in, and the schema itself.
PUBLIC = {"/api/auth/token/", "/api/schema/"}


def test_error_responses_are_documented(schema: dict[str, Any]) -> None:
    """Every authenticated operation documents 401 and 403; one with an id 404; one taking a
    body or validated query parameters 400; the workflow's state changes 409."""
    missing = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            expected = set()
            if path not in PUBLIC:
                expected |= {"401", "403"}
            if "{id}" in path:
                expected.add("404")
            if method in WRITE_METHODS and "requestBody" in operation:
                expected.add("400")
            if any(
                p["in"] == "query" and p["name"] == "status"
                for p in operation.get("parameters", [])
            ):
                expected.add("400")
            if method == "post" and path.startswith(("/api/quotes/{id}/", "/api/proposals/{id}/")):
                expected.add("409")
            if expected - codes:
                missing.append((method.upper(), path, sorted(expected - codes)))
    assert missing == []
    # An error body is described, not left empty.
    forbidden = schema["paths"]["/api/orders/"]["get"]["responses"]["403"]
    assert forbidden["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorDetail")


def test_swagger_ui_is_served_by_the_app_and_references_no_other_host(
    client_as: Callable[..., APIClient],
) -> None:
    """/api/docs/ must work on a shop network without internet: no CDN, assets from us."""
    import re

    client = client_as("manager")
    page = client.get("/api/docs/").content.decode()
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", page)
    urls += re.findall(r"""["'](https?://[^"']+)["']""", page)
    assert any("swagger-ui" in url for url in urls), page
    external = [url for url in urls if url.startswith(("http://", "https://", "//"))]
    assert external == []
    from django.conf import settings
    from django.contrib.staticfiles import finders

    assets = [url for url in urls if url.endswith((".js", ".css"))]
    assert assets
    for url in assets:  # static files of the project (collected by `make run`)
        assert url.startswith(settings.STATIC_URL), url
        assert finders.find(url.removeprefix(settings.STATIC_URL)), url
