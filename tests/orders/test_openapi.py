"""The OpenAPI schema renders and documents the API; no operation in it can set a due date."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

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
