"""The admin shows orders and promises but cannot write a promise or an order's dates."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.admin.sites import site
from django.contrib.auth import get_user_model
from django.test import Client

from orders.models import Customer, Operation, Order, Product, Profile, Promise, RoutingStep
from tests.factories import CapacityOptionFactory, OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_logged_in() -> Client:
    user = get_user_model().objects.create_superuser("root", "root@example.com", "demo")
    client = Client()
    client.force_login(user)
    return client


def test_every_model_of_the_app_is_in_the_admin() -> None:
    for model in (Customer, Profile, Product, RoutingStep, Order, Operation, Promise):
        assert site.is_registered(model), model


def test_every_admin_page_of_orders_and_scheduling_renders(admin_client_logged_in: Client) -> None:
    # At least one row of every model, so that each change page is rendered too.
    OrderFactory.create(scheduled=True)
    CapacityOptionFactory.create()
    pages = 0
    for model, model_admin in site._registry.items():
        meta = model._meta
        if meta.app_label not in ("orders", "scheduling", "auth"):
            continue
        base = f"/admin/{meta.app_label}/{meta.model_name}/"
        assert admin_client_logged_in.get(base).status_code == 200, base
        if model_admin.has_add_permission(_request_for(admin_client_logged_in)):
            assert admin_client_logged_in.get(base + "add/").status_code == 200, base
        row = model._default_manager.first()
        if row is not None:
            url = f"{base}{row.pk}/change/"
            assert admin_client_logged_in.get(url).status_code == 200, url
        pages += 1
    assert pages >= 15


def _request_for(client: Client) -> Any:
    """A request carrying the logged-in superuser, for has_*_permission checks."""
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = get_user_model().objects.get(username="root")
    return request


def test_promise_admin_has_no_add_change_or_delete(admin_client_logged_in: Client) -> None:
    promise = OrderFactory.create().promises.get()
    client = admin_client_logged_in
    assert client.get("/admin/orders/promise/").status_code == 200
    assert client.get("/admin/orders/promise/add/").status_code == 403
    url = f"/admin/orders/promise/{promise.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200  # viewable
    assert b'name="due"' not in page.content  # but no editable field
    response = client.post(url, {"due_0": "2030-01-01", "due_1": "00:00", "reason": "x"})
    assert response.status_code == 403
    assert (
        client.post(f"/admin/orders/promise/{promise.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert Promise.objects.get(pk=promise.pk).reason == "Test fixture"


def test_order_admin_cannot_add_or_change_an_order(admin_client_logged_in: Client) -> None:
    order = OrderFactory.create()
    due = order.promised_due
    client = admin_client_logged_in
    assert client.get("/admin/orders/order/add/").status_code == 403
    url = f"/admin/orders/order/{order.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="promised_due' not in page.content
    assert order.code.encode() in page.content
    later = due + timedelta(days=30)
    response = client.post(
        url,
        {"promised_due_0": later.date().isoformat(), "promised_due_1": "00:00", "quantity": 1},
    )
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.promised_due == due


def test_no_bulk_action_on_orders_or_promises(admin_client_logged_in: Client) -> None:
    order = OrderFactory.create()
    for changelist in ("/admin/orders/order/", "/admin/orders/promise/"):
        response = admin_client_logged_in.post(
            changelist, {"action": "delete_selected", "_selected_action": [order.pk], "post": "yes"}
        )
        assert response.status_code in (200, 302, 403)
    assert Order.objects.filter(pk=order.pk).exists()
    assert order.promises.count() == 1
    page = admin_client_logged_in.get("/admin/orders/order/")
    assert b'name="action"' not in page.content


def test_user_admin_shows_and_sets_the_role(admin_client_logged_in: Client) -> None:
    user = get_user_model().objects.create_user("newrep", password="demo")
    page = admin_client_logged_in.get(f"/admin/auth/user/{user.pk}/change/")
    assert page.status_code == 200
    assert b"profile-0-role" in page.content or b'name="profile-0-role"' in page.content
