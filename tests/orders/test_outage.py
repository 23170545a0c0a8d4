"""A request that loses its database connection answers 503 with Retry-After, not 500 (issue 17).

The connection is made to fail where it does in production: in a view's query (the API's and
a page's order list) and before any view runs (the signed-in user's time zone, read by a
middleware). A bug that is not a lost connection still answers 500.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client
from rest_framework.test import APIClient

from orders import middleware, selectors
from scheduling import views_orders as views

DROPPED = "server closed the connection unexpectedly"


def _failing(exc: Exception) -> Any:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise exc

    return fail


@pytest.fixture
def scheduler(user_factory: Any) -> Any:
    return user_factory("scheduler")


@pytest.mark.django_db
def test_the_api_answers_503_with_retry_after(
    scheduler: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selectors, "orders_visible_to", _failing(OperationalError(DROPPED)))
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user=scheduler)
    response = client.get("/api/orders/")
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert "briefly unreachable" in response.json()["detail"]
    assert DROPPED not in response.content.decode()


@pytest.mark.django_db
def test_a_page_answers_503_with_retry_after(
    scheduler: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        views,
        "orders_with_projection_visible_to",
        _failing(InterfaceError("connection already closed")),
    )
    client = Client(raise_request_exception=False)
    client.force_login(scheduler)
    response = client.get("/orders/")
    assert response.status_code == 503 and int(response["Retry-After"]) > 0
    page = response.content.decode()
    assert "<h1>Briefly unavailable</h1>" in page and "connection already closed" not in page


@pytest.mark.django_db
def test_a_lost_connection_before_the_view_answers_503(
    scheduler: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(middleware, "profile_of", _failing(OperationalError(DROPPED)))
    client = Client(raise_request_exception=False)
    client.force_login(scheduler)
    page = client.get("/orders/")
    assert page.status_code == 503 and int(page["Retry-After"]) > 0
    api = client.get("/api/orders/")
    assert api.status_code == 503 and "briefly unreachable" in api.json()["detail"]


@pytest.mark.django_db
def test_a_bug_is_still_a_500(scheduler: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selectors, "orders_visible_to", _failing(ValueError("a bug")))
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user=scheduler)
    response = client.get("/api/orders/")
    assert response.status_code == 500 and "Retry-After" not in response


@pytest.mark.django_db
def test_a_bare_database_error_is_a_lost_connection_only_when_the_connection_is_gone(
    scheduler: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import DatabaseError

    from orders import outage

    # psycopg2 reports some terminated backends this way, not as an OperationalError.
    libpq = DatabaseError("error with status PGRES_TUPLES_OK and no message from the libpq")
    monkeypatch.setattr(selectors, "orders_visible_to", _failing(libpq))
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user=scheduler)
    monkeypatch.setattr(outage, "connection_answers", lambda: False)
    assert client.get("/api/orders/").status_code == 503
    monkeypatch.setattr(outage, "connection_answers", lambda: True)  # a real bug, then
    assert client.get("/api/orders/").status_code == 500
