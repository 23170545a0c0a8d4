"""The orders API: customer isolation (invariant 5), roles, token auth, read-only orders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from orders.models import Order, Profile
from tests.factories import CustomerFactory, OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db

ClientAs = Callable[..., APIClient]


@pytest.fixture
def two_customers() -> dict[str, Any]:
    """Two customers with two orders each on the current schedule, sharing one product."""
    product = ProductFactory.create()
    mine, theirs = CustomerFactory.create(code="ACME"), CustomerFactory.create(code="GLOBEX")
    return {
        "mine": mine,
        "theirs": theirs,
        "my_orders": [
            OrderFactory.create(customer=mine, product=product, scheduled=True) for _ in "ab"
        ],
        "their_orders": [
            OrderFactory.create(customer=theirs, product=product, scheduled=True) for _ in "ab"
        ],
    }


def api_routes_with_an_id(modules: set[str] | None = None, prefix: str = "") -> set[str]:
    """Names of the API routes whose URL takes a `pk`, served by views in `modules` (any
    module when None) and starting with `prefix` (for example "api/orders/")."""
    names: set[str] = set()

    def walk(patterns: list[URLPattern | URLResolver], route: str) -> None:
        for pattern in patterns:
            here = route + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, here)
                continue
            view = getattr(pattern.callback, "cls", None) or getattr(
                pattern.callback, "view_class", None
            )
            if view is None or (modules is not None and view.__module__ not in modules):
                continue
            if "pk" in pattern.pattern.regex.groupindex and pattern.name:
                if here.replace("^", "").startswith(prefix) and "format" not in here:
                    names.add(pattern.name)

    walk(get_resolver().url_patterns, "")
    return names


# Every ID route of the orders and scheduling APIs, and what a customer gets from it for a row
# of another customer (404: not in its rows) or for a kind of row it may never see (403).
ID_ROUTES_FOR_CUSTOMER = {
    "order-detail": ("order", 404),
    "customer-detail": ("customer", 404),
    "work-center-detail": ("work_center", 403),
    "schedule-version-detail": ("schedule_version", 403),
    "product-detail": ("product", 200),  # the catalogue is shared, not a customer's data
}


def test_every_id_route_is_covered_by_the_isolation_test() -> None:
    # A new route taking an ID must be added to ID_ROUTES_FOR_CUSTOMER (and so tested below).
    assert api_routes_with_an_id({"orders.api", "scheduling.api"}) == set(ID_ROUTES_FOR_CUSTOMER)


def test_customer_gets_404_for_another_customers_order_and_customer(
    client_as: ClientAs, two_customers: dict[str, Any]
) -> None:
    client = client_as("customer", customer=two_customers["mine"])
    for order in two_customers["their_orders"]:
        response = client.get(f"/api/orders/{order.pk}/")
        assert response.status_code == 404, response.content
        assert order.code.encode() not in response.content
    assert client.get(f"/api/customers/{two_customers['theirs'].pk}/").status_code == 404
    # Its own rows are there.
    own = two_customers["my_orders"][0]
    response = client.get(f"/api/orders/{own.pk}/")
    assert response.status_code == 200
    assert response.json()["code"] == own.code
    assert client.get(f"/api/customers/{two_customers['mine'].pk}/").status_code == 200


def test_customer_ids_in_every_route(client_as: ClientAs, two_customers: dict[str, Any]) -> None:
    from orders.models import Customer
    from scheduling.models import ScheduleVersion

    theirs = two_customers["their_orders"][0]
    rows = {
        "order": theirs,
        "customer": Customer.objects.get(code="GLOBEX"),
        "work_center": theirs.operations.first().work_centers.first(),
        "schedule_version": ScheduleVersion.objects.get(is_current=True),
        "product": theirs.product,
    }
    client = client_as("customer", customer=two_customers["mine"])
    for name, (kind, expected) in ID_ROUTES_FOR_CUSTOMER.items():
        response = client.get(reverse(name, kwargs={"pk": rows[kind].pk}))
        assert response.status_code == expected, (name, response.status_code)


def test_no_route_taking_an_order_id_reveals_another_customers_order(
    client_as: ClientAs, two_customers: dict[str, Any]
) -> None:
    """Every API route of any app under /api/orders/<pk>/ (detail, history, re-promise...)."""
    routes = api_routes_with_an_id(prefix="api/orders/")
    assert {"order-detail"} < routes  # the walk finds the routes, other apps' included
    theirs = two_customers["their_orders"][0]
    promises_before = theirs.promises.count()
    client = client_as("customer", customer=two_customers["mine"])
    for name in sorted(routes):
        url = reverse(name, kwargs={"pk": theirs.pk})
        read = client.get(url)
        # 404: not among its rows; 403: a route its role may not use at all; 405: POST-only.
        assert read.status_code in (403, 404, 405), (name, read.status_code)
        if read.status_code != 405:
            assert theirs.code.encode() not in read.content, name
        written = client.post(url, {"due": "2030-01-01T00:00:00Z", "reason": "x"}, format="json")
        assert written.status_code in (403, 404, 405), (name, written.status_code)
    # Routes open to customers answer 404, never 403, so they do not confirm the order exists.
    for name in ("order-detail", *({"api-order-history"} & routes)):
        assert client.get(reverse(name, kwargs={"pk": theirs.pk})).status_code == 404, name
    assert theirs.promises.count() == promises_before


def test_customer_lists_only_its_own_rows(
    client_as: ClientAs, two_customers: dict[str, Any]
) -> None:
    client = client_as("customer", customer=two_customers["mine"])
    codes = {row["code"] for row in client.get("/api/orders/").json()["results"]}
    assert codes == {order.code for order in two_customers["my_orders"]}
    customers = client.get("/api/customers/").json()["results"]
    assert [row["code"] for row in customers] == ["ACME"]
    # A filter naming another customer narrows to nothing; it never widens.
    assert client.get("/api/orders/?customer=GLOBEX").json()["results"] == []


@pytest.mark.parametrize("role", ["sales", "scheduler", "manager"])
def test_staff_roles_see_every_customer(
    role: str, client_as: ClientAs, two_customers: dict[str, Any]
) -> None:
    client = client_as(role)
    orders = client.get("/api/orders/").json()["results"]
    assert len(orders) == 4
    assert {row["customer"] for row in orders} == {"ACME", "GLOBEX"}
    theirs = two_customers["their_orders"][0]
    assert client.get(f"/api/orders/{theirs.pk}/").status_code == 200
    filtered = client.get("/api/orders/?customer=GLOBEX").json()["results"]
    assert {row["code"] for row in filtered} == {o.code for o in two_customers["their_orders"]}


def test_order_detail_shows_routing_progress_projection_and_promises(
    client_as: ClientAs, two_customers: dict[str, Any]
) -> None:
    order = two_customers["my_orders"][0]
    body = (
        client_as("customer", customer=two_customers["mine"]).get(f"/api/orders/{order.pk}/").json()
    )
    assert [op["sequence"] for op in body["operations"]] == [10, 20, 30]
    assert all(op["scheduled"] is not None for op in body["operations"])
    last_end = max(op["scheduled"]["end"] for op in body["operations"])
    assert body["projected_completion"] == last_end
    assert body["on_track"] is True
    assert [p["kind"] for p in body["promises"]] == ["initial"]
    assert "created_by" not in body["promises"][0]


def test_order_without_current_slots_has_no_projection(client_as: ClientAs) -> None:
    order = OrderFactory.create()  # not placed on the schedule
    body = client_as("sales").get(f"/api/orders/{order.pk}/").json()
    assert body["projected_completion"] is None
    assert body["on_track"] is None


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_orders_cannot_be_written_through_the_api(
    method: str, client_as: ClientAs, two_customers: dict[str, Any]
) -> None:
    order = two_customers["my_orders"][0]
    before = (order.promised_due, order.quantity)
    client = client_as("manager")
    payload = {"promised_due": "2030-01-01T00:00:00Z", "quantity": 99}
    url = "/api/orders/" if method == "post" else f"/api/orders/{order.pk}/"
    response = getattr(client, method)(url, payload, format="json")
    assert response.status_code == 405
    order.refresh_from_db()
    assert (order.promised_due, order.quantity) == before
    assert Order.objects.count() == 4


def test_products_come_with_their_routing(client_as: ClientAs) -> None:
    product = ProductFactory.create(code="CYL-50")
    body = client_as("customer").get(f"/api/products/{product.pk}/").json()
    assert body["code"] == "CYL-50"
    assert [step["sequence"] for step in body["routing"]] == [10, 20, 30]
    step = body["routing"][0]
    expected_wc = product.routing.get(sequence=10).work_centers.get().code
    assert step["work_centers"] == [expected_wc]
    assert step["setup_minutes"] == 30


@pytest.mark.parametrize(
    "url",
    [
        "/api/orders/",
        "/api/customers/",
        "/api/products/",
        "/api/me/",
        "/api/board/",
        "/api/work-centers/",
        "/api/schedule-versions/",
    ],
)
def test_unauthenticated_requests_are_refused(api_client: APIClient, url: str) -> None:
    response = api_client.get(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_user_without_a_role_sees_nothing(api_client: APIClient, two_customers: Any) -> None:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("norole", password="demo")
    api_client.force_authenticate(user)
    assert api_client.get("/api/orders/").status_code == 403
    assert api_client.get("/api/me/").json() == {
        "username": "norole",
        "role": None,
        "customer": None,
    }


def test_token_auth_flow(api_client: APIClient, user_factory: Callable[..., Any]) -> None:
    customer = CustomerFactory.create(code="INITECH", name="Initech")
    user_factory(Profile.Role.CUSTOMER, customer=customer, username="customer-INITECH")
    refused = api_client.post(
        "/api/auth/token/", {"username": "customer-INITECH", "password": "wrong"}
    )
    assert refused.status_code == 400
    assert "token" not in refused.json()

    response = api_client.post(
        "/api/auth/token/", {"username": "customer-INITECH", "password": "demo"}
    )
    assert response.status_code == 200
    token = response.json()["token"]

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api_client.get("/api/me/").json()
    assert me["username"] == "customer-INITECH"
    assert me["role"] == "customer"
    assert me["customer"]["code"] == "INITECH"

    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    rejected = api_client.get("/api/me/")
    # 401 with the scheme to use, so a client knows to sign in again rather than give up.
    assert rejected.status_code == 401
    assert rejected["WWW-Authenticate"] == "Token"
    assert rejected.json()["detail"] == "Invalid token."


def test_api_root_links_every_collection(client_as: ClientAs) -> None:
    links = client_as("sales").get("/api/").json()
    assert links["orders"].endswith("/api/orders/")
    assert links["board"].endswith("/api/board/")
    assert links["quotes"].endswith("/api/quotes/")
    for url in links.values():
        # Every link answers; a manager may read all of them.
        assert client_as("manager").get(url).status_code == 200, url
