"""The API fuzzed against its own OpenAPI schema, once per role (issue 17).

schemathesis generates requests for every operation of `/api/schema/` (valid and invalid
bodies, query strings and path ids) and sends them to the application in process (WSGI), signed
in as a sales rep, a scheduler, a manager and a customer user on a small shop with an order per
customer. A response fails the test when it is a 5xx, or when its status code, content type or
body is not what the schema documents for that operation. Bounded: a few derandomized examples
per operation and role (about a minute in all), so it runs in the normal suite.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from orders.sign_in import api_token_issue
from tests.quoting.conftest import Shop, seed_one_order_each

ROLES = ("sales", "scheduler", "manager", "acme")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _schema() -> Any:
    raw = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(public=True)))
    schema = schemathesis.openapi.from_dict(raw)
    schema.app = get_wsgi_application()
    # Signing in and out is not what is fuzzed here (a logout would revoke the test's token;
    # the sign-in throttle and lockout have their own tests), nor the schema document itself
    # (drf-spectacular's view, whose `format` answers 404 for a renderer it does not have).
    return schema.exclude(path_regex="^/api/(auth|schema)/")


schema = _schema()


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """The WSGI handler closes the database connection after each request; inside a test's
    transaction that would close the test's own (Django's test client unhooks it the same way)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=ROLES)
def token(request: pytest.FixtureRequest, shop: Shop) -> str:
    seed_one_order_each(shop)
    return str(api_token_issue(user=shop.users[request.param]).key)


@schema.parametrize()
@settings(
    max_examples=4,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.django_db
def test_api_conforms_to_its_schema_for_every_role(case: Any, token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
