"""The quoting REST API: shapes, status codes, roles, and that no route sets a promise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rest_framework.test import APIClient

from orders.models import Order, Promise
from quoting.models import Quote, ReplanProposal
from scheduling.boards import board_now
from tests.quoting.conftest import (
    Shop,
    as_user,
    current_schedule_violations,
    make_shop,
    seed_orders,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("flushable_promises", "eager_celery"),
]

# A date nobody would quote: if it shows up on a promise, some route let a client set it.
FORGED = datetime(2031, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def shop() -> Shop:
    return make_shop()


def _busy_mill(shop: Shop) -> None:
    due = board_now() + timedelta(days=21)
    seed_orders(shop, [(f"SO-{100 + i}", shop.globex, shop.bracket, 30, due) for i in range(6)])


def _post_quote(client: APIClient, shop: Shop, **extra: Any) -> Any:
    body = {"customer": shop.acme.pk, "product": shop.cylinder.pk, "quantity": 5, **extra}
    return client.post("/api/quotes/", body, format="json")


def test_quote_submit_poll_accept(shop: Shop) -> None:
    sales = as_user(shop.users["sales"])
    requested = (board_now() + timedelta(days=9)).isoformat()
    created = _post_quote(sales, shop, requested_due=requested, capacity_options=["MILL-NIGHT"])
    assert created.status_code == 202, created.content
    assert set(created.json()) == {"id", "status", "enqueued", "enqueue_error"}
    quote_id = created.json()["id"]

    polled = sales.get(f"/api/quotes/{quote_id}/").json()
    assert polled["status"] == "done" and polled["progress"] == 1.0
    for field in ("completion", "promise", "lower_bound", "proven_optimal", "options", "binding"):
        assert polled[field] is not None, field
    assert polled["requested_due_feasible"] is True
    assert polled["requested_options"] == ["MILL-NIGHT"]
    assert [o["id"] for o in polled["options"]] == ["MILL-NIGHT"]

    accepted = sales.post(f"/api/quotes/{quote_id}/accept/", {}, format="json")
    assert accepted.status_code == 201, accepted.content
    body = accepted.json()
    assert body["result"] == "committed" and body["proposal"] is None
    order = Order.objects.get(code=body["order"]["code"])
    assert order.promised_due == Quote.objects.get(pk=quote_id).promise
    assert body["promise"]["kind"] == "initial"
    assert sales.get("/api/quotes/").json()["results"][0]["order"] == order.code

    again = sales.post(f"/api/quotes/{quote_id}/accept/", {}, format="json")
    assert again.status_code == 409 and Order.objects.count() == 1


def test_rush_goes_to_the_scheduler_who_approves(shop: Shop) -> None:
    _busy_mill(shop)
    sales, scheduler = as_user(shop.users["sales"]), as_user(shop.users["scheduler"])
    quote_id = _post_quote(sales, shop, quantity=10).json()["id"]
    accepted = sales.post(f"/api/quotes/{quote_id}/accept/", {}, format="json")
    assert accepted.status_code == 202 and accepted.json()["result"] == "proposal"
    proposal = accepted.json()["proposal"]
    assert proposal["status"] == "pending" and proposal["diff"]["moved"]

    listed = scheduler.get("/api/proposals/").json()["results"]
    assert [p["id"] for p in listed] == [proposal["id"]]
    assert sales.post(f"/api/proposals/{proposal['id']}/approve/").status_code == 403
    approved = scheduler.post(f"/api/proposals/{proposal['id']}/approve/")
    assert approved.status_code == 200, approved.content
    assert approved.json()["order"]["promised_due"] == proposal["promise"]
    assert approved.json()["proposal"]["decided_by"] == "scheduler"
    assert current_schedule_violations() == []

    history = scheduler.get(f"/api/orders/{approved.json()['order']['id']}/history/").json()
    kinds = [entry["kind"] for entry in history["entries"]]
    assert {"promise", "schedule", "proposal_created", "proposal_approved"} <= set(kinds)
    assert all(e["quote"] in (None, f"Q-{quote_id}") for e in history["entries"])


def test_a_stale_approval_answers_409_and_the_re_solve_carries_the_approval(shop: Shop) -> None:
    _busy_mill(shop)
    sales, scheduler = as_user(shop.users["sales"]), as_user(shop.users["scheduler"])
    rush = _post_quote(sales, shop, quantity=10).json()["id"]
    proposal = sales.post(f"/api/quotes/{rush}/accept/", {}, format="json").json()["proposal"]
    polished = scheduler.get(f"/api/proposals/{proposal['id']}/").json()
    assert polished["status"] == "pending" and polished["schedule_version"] is not None
    small = _post_quote(sales, shop, product=shop.bracket.pk, quantity=1).json()["id"]
    small_accept = sales.post(f"/api/quotes/{small}/accept/", {}, format="json").json()
    if small_accept["result"] == "proposal":
        scheduler.post(f"/api/proposals/{small_accept['proposal']['id']}/approve/")
    orders = Order.objects.count()

    stale = scheduler.post(f"/api/proposals/{proposal['id']}/approve/")
    assert stale.status_code == 409  # not committed as it was: the board changed under it
    body = stale.json()
    assert "changed" in body["detail"] and "approval stands" in body["detail"]
    # Polished once before the scheduler saw it, re-solved once on the changed board, and (the
    # eager worker ran the re-solve before this answer) committed with the approval.
    assert body["proposal"]["id"] == proposal["id"] and body["proposal"]["resolve_count"] == 2
    assert body["proposal"]["schedule_version"] != polished["schedule_version"]
    assert body["proposal"]["status"] == "approved"
    assert Order.objects.count() == orders + 1


def test_reject_needs_a_reason(shop: Shop) -> None:
    _busy_mill(shop)
    sales, scheduler = as_user(shop.users["sales"]), as_user(shop.users["scheduler"])
    quote_id = _post_quote(sales, shop, quantity=10).json()["id"]
    proposal = sales.post(f"/api/quotes/{quote_id}/accept/", {}, format="json").json()["proposal"]
    missing = scheduler.post(f"/api/proposals/{proposal['id']}/reject/", {}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()
    assert (
        sales.post(
            f"/api/proposals/{proposal['id']}/reject/", {"reason": "no"}, format="json"
        ).status_code
        == 403
    )
    done = scheduler.post(
        f"/api/proposals/{proposal['id']}/reject/", {"reason": "Mill overhaul"}, format="json"
    )
    assert done.status_code == 200 and done.json()["reject_reason"] == "Mill overhaul"
    assert ReplanProposal.objects.get().status == "rejected"


def test_roles(shop: Shop) -> None:
    customer, manager = as_user(shop.users["acme"]), as_user(shop.users["manager"])
    sales, other_sales = as_user(shop.users["sales"]), as_user(shop.users["sales2"])
    assert _post_quote(customer, shop).status_code == 403
    assert _post_quote(manager, shop).status_code == 403
    assert customer.get("/api/quotes/").status_code == 403
    assert APIClient().get("/api/quotes/").status_code in (401, 403)
    assert Quote.objects.count() == 0

    quote_id = _post_quote(sales, shop).json()["id"]
    assert manager.get(f"/api/quotes/{quote_id}/").status_code == 200
    # Another rep's quote is not visible, so not acceptable either.
    assert other_sales.get(f"/api/quotes/{quote_id}/").status_code == 404
    assert other_sales.post(f"/api/quotes/{quote_id}/accept/", {}, format="json").status_code == 404
    assert other_sales.get("/api/quotes/").json()["count"] == 0
    order = sales.post(f"/api/quotes/{quote_id}/accept/", {}, format="json").json()["order"]

    repromise = {"due": (FORGED).isoformat(), "reason": "x"}
    assert sales.post(f"/api/orders/{order['id']}/repromise/", repromise).status_code == 403
    assert customer.post(f"/api/orders/{order['id']}/repromise/", repromise).status_code == 403

    own = customer.get(f"/api/orders/{order['id']}/history/")
    assert own.status_code == 200
    assert all(entry["actor"] is None for entry in own.json()["entries"])
    globex = as_user(shop.users["globex"])
    assert globex.get(f"/api/orders/{order['id']}/history/").status_code == 404
    assert globex.get("/api/orders/999999/history/").status_code == 404


def test_bad_input_is_400_with_field_messages_and_writes_nothing(shop: Shop) -> None:
    sales = as_user(shop.users["sales"])
    bad = sales.post(
        "/api/quotes/",
        {"customer": 999, "product": shop.cylinder.pk, "quantity": 0, "capacity_options": ["X"]},
        format="json",
    )
    assert bad.status_code == 400
    assert {"customer", "quantity", "capacity_options"} <= set(bad.json())
    assert Quote.objects.count() == 0
    quote_id = _post_quote(sales, shop).json()["id"]
    wrong_option = sales.post(
        f"/api/quotes/{quote_id}/accept/", {"capacity_option": "NOPE"}, format="json"
    )
    assert wrong_option.status_code == 400 and "capacity_option" in wrong_option.json()
    assert Order.objects.count() == 0


def test_repromise_through_the_api(shop: Shop) -> None:
    sales, scheduler = as_user(shop.users["sales"]), as_user(shop.users["scheduler"])
    quote_id = _post_quote(sales, shop).json()["id"]
    order = sales.post(f"/api/quotes/{quote_id}/accept/", {}, format="json").json()["order"]
    due = datetime.fromisoformat(order["promised_due"]) + timedelta(days=2)
    missing = scheduler.post(f"/api/orders/{order['id']}/repromise/", {"due": due.isoformat()})
    assert missing.status_code == 400 and "reason" in missing.json()
    made = scheduler.post(
        f"/api/orders/{order['id']}/repromise/", {"due": due.isoformat(), "reason": "asked"}
    )
    assert made.status_code == 201, made.content
    assert Order.objects.get(pk=order["id"]).promised_due == due
    impossible = scheduler.post(
        f"/api/orders/{order['id']}/repromise/",
        {"due": board_now().isoformat(), "reason": "tomorrow please"},
    )
    assert impossible.status_code == 400 and "due" in impossible.json()
    assert Order.objects.get(pk=order["id"]).promised_due == due


def test_no_route_sets_a_promise(shop: Shop) -> None:
    _busy_mill(shop)
    sales, scheduler = as_user(shop.users["sales"]), as_user(shop.users["scheduler"])
    committed = _post_quote(sales, shop, product=shop.bracket.pk, quantity=1).json()["id"]
    sales.post(f"/api/quotes/{committed}/accept/", {}, format="json")
    rush = _post_quote(sales, shop, quantity=10).json()["id"]
    proposal = sales.post(f"/api/quotes/{rush}/accept/", {}, format="json").json()["proposal"]
    open_quote = _post_quote(sales, shop).json()["id"]
    order = Order.objects.order_by("-id").first()
    assert order is not None
    forged = {
        "due": FORGED.isoformat(),
        "promise": FORGED.isoformat(),
        "promised_due": FORGED.isoformat(),
        "completion": FORGED.isoformat(),
        "status": "done",
        "order": order.pk,
        "quantity": 1,
        "customer": shop.acme.pk,
        "product": shop.cylinder.pk,
        "reason": "forged",
    }
    routes = [
        "/api/quotes/",
        f"/api/quotes/{open_quote}/",
        f"/api/quotes/{open_quote}/cancel/",
        f"/api/quotes/{committed}/accept/",
        f"/api/quotes/{open_quote}/accept/",
        "/api/proposals/",
        f"/api/proposals/{proposal['id']}/",
        f"/api/proposals/{proposal['id']}/reject/",
        f"/api/orders/{order.pk}/history/",
        f"/api/orders/{order.pk}/",
        "/api/orders/",
    ]
    for client in (sales, scheduler):
        for route in routes:
            for method in ("post", "put", "patch"):
                response = getattr(client, method)(route, forged, format="json")
                assert response.status_code < 500, (route, method, response.content)
    # The re-promise route is the audited path: it verifies, and a sales rep may not use it.
    assert sales.post(f"/api/orders/{order.pk}/repromise/", forged).status_code == 403
    assert not Promise.objects.filter(due=FORGED).exists()
    assert not Order.objects.filter(promised_due=FORGED).exists()
    for quote in Quote.objects.exclude(promise=None):
        assert quote.promise != FORGED and quote.completion != FORGED
    # Whatever was accepted got exactly the promise its quote was solved for.
    for quote in Quote.objects.exclude(order=None).select_related("order"):
        assert quote.order is not None and quote.order.promised_due == quote.promise


def test_the_routes_are_in_the_openapi_schema(shop: Shop) -> None:
    schema = as_user(shop.users["sales"]).get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/quotes/",
        "/api/quotes/{id}/",
        "/api/quotes/{id}/cancel/",
        "/api/quotes/{id}/accept/",
        "/api/proposals/",
        "/api/proposals/{id}/approve/",
        "/api/proposals/{id}/reject/",
        "/api/orders/{id}/repromise/",
        "/api/orders/{id}/history/",
    ):
        assert path in paths, path
    assert "202" in paths["/api/quotes/"]["post"]["responses"]


def test_a_requested_date_that_can_be_met_is_kept_and_the_earliest_offered(shop: Shop) -> None:
    _busy_mill(shop)
    sales = as_user(shop.users["sales"])
    requested = (board_now() + timedelta(days=14)).replace(second=0, microsecond=0)

    kept_id = _post_quote(sales, shop, requested_due=requested.isoformat()).json()["id"]
    kept = sales.get(f"/api/quotes/{kept_id}/").json()
    assert kept["status"] == "done" and kept["promise_earliest"] is False
    assert datetime.fromisoformat(kept["promise"]) == requested  # the customer's own date
    assert kept["moved_count"] == 0  # two weeks out, it fits without moving anyone
    assert kept["earliest_promise"] is not None
    assert datetime.fromisoformat(kept["earliest_promise"]) < requested

    body = {"requested_due": requested.isoformat(), "promise_earliest": True}
    fast_id = _post_quote(sales, shop, **body).json()["id"]
    fast = sales.get(f"/api/quotes/{fast_id}/").json()
    assert fast["promise_earliest"] is True and fast["earliest_promise"] is None
    request_doc = Quote.objects.get(pk=fast_id).request_doc
    assert request_doc is not None
    buffer = timedelta(minutes=request_doc["buffer_minutes"])
    promise = datetime.fromisoformat(fast["promise"])
    assert promise == datetime.fromisoformat(fast["completion"]) + buffer < requested
