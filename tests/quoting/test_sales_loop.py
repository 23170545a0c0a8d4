"""The sales loop as a rep lives it: stale answers, the scheduler's decision reaching the rep,
a customer's earlier-date request re-promising its order, and the shop's order numbering.

Services and pages together, with Celery eager (tasks run at commit, in-process)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from orders.models import Order, Promise
from orders.templatetags.ui import promise_time
from quoting import services
from quoting.models import DateChangeRequest, Notification, Quote, ReplanProposal
from scheduling.boards import board_now, current_version
from scheduling.models import ScheduleVersion
from tests.quoting.conftest import Shop, current_schedule_violations, make_shop, seed_orders

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("flushable_promises", "eager_celery"),
]


@pytest.fixture
def shop() -> Shop:  # transactional: the solve monitor's own connection must see the rows
    return make_shop()


def _client(shop: Shop, who: str) -> Client:
    client = Client()
    client.force_login(shop.users[who])
    return client


def _quote(shop: Shop, *, product: Any = None, quantity: int = 10, **kwargs: Any) -> Quote:
    quote = services.quote_request_create(
        created_by=shop.users["sales"],
        customer_id=shop.acme.pk,
        product_id=(product or shop.bracket).pk,
        quantity=quantity,
        **kwargs,
    )
    quote = Quote.objects.get(pk=quote.pk)
    assert quote.status == Quote.Status.DONE, quote.error
    return quote


def _another_commit(shop: Shop) -> ScheduleVersion:
    """Someone else's order is committed: the board moves to a new version."""
    other = _quote(shop, product=shop.cylinder, quantity=1)
    outcome = services.quote_accept(quote_id=other.pk, accepted_by=shop.users["sales2"])
    if not outcome.committed:
        assert outcome.proposal is not None
        services.replan_proposal_approve(
            proposal_id=outcome.proposal.pk, approved_by=shop.users["scheduler"]
        )
    version = current_version()
    assert version is not None
    return version


def test_a_stale_answer_says_so_and_accepting_it_re_solves_first(
    shop: Shop, busy_mill: ScheduleVersion
) -> None:
    seeded = busy_mill
    quote = _quote(shop)
    assert quote.moved_count > 0 and quote.schedule_version == seeded
    client = _client(shop, "sales")
    assert 'data-testid="stale"' not in client.get(f"/quotes/{quote.pk}/").content.decode()

    now_at = _another_commit(shop)
    page = client.get(f"/quotes/{quote.pk}/").content.decode()
    assert "This answer is out of date" in page
    assert f"solved on schedule v{seeded.number}" in page and f"now at v{now_at.number}" in page
    assert 'data-testid="requote"' in page
    assert "Out of date" in client.get("/quotes/").content.decode()

    # Accepting it (it moves others, so it would have become a proposal) re-solves instead.
    response = client.post(f"/quotes/{quote.pk}/accept/", follow=True)
    assert "It is being solved again on the current board" in response.content.decode()
    assert not ReplanProposal.objects.filter(quote=quote).exists()
    quote.refresh_from_db()
    assert quote.accepted_at is None and quote.status == Quote.Status.DONE
    assert quote.schedule_version == now_at  # re-solved on the board as it is now


def test_re_quote_solves_again_on_the_current_board_post_redirect_get(shop: Shop) -> None:
    quote = _quote(shop)
    now_at = _another_commit(shop)
    client = _client(shop, "sales")
    response = client.post(f"/quotes/{quote.pk}/requote/")
    assert response.status_code == 302 and response["Location"] == f"/quotes/{quote.pk}/"
    quote.refresh_from_db()
    assert quote.status == Quote.Status.DONE and quote.schedule_version == now_at
    assert quote.attempts == 2
    page = client.get(f"/quotes/{quote.pk}/").content.decode()
    assert "out of date" not in page
    # A quote that is up to date (or accepted) is not re-quoted behind the rep's back.
    services.quote_accept(quote_id=quote.pk, accepted_by=shop.users["sales"])
    with pytest.raises(services.QuotingConflict):
        services.quote_requote(quote_id=quote.pk, requested_by=shop.users["sales"])


@pytest.mark.usefixtures("busy_mill")  # SO-100 ... SO-105 on the mill
def test_the_rep_hears_of_an_approval_and_the_page_shows_the_final_figures(shop: Shop) -> None:
    quote = _quote(shop)
    client = _client(shop, "sales")
    outcome = services.quote_accept(quote_id=quote.pk, accepted_by=shop.users["sales"])
    assert outcome.proposal is not None
    proposal = ReplanProposal.objects.get(pk=outcome.proposal.pk)
    assert proposal.status == ReplanProposal.Status.PENDING
    waiting = client.get(f"/quotes/{quote.pk}/status/").content.decode()
    assert 'data-poll-ms="5000"' in waiting  # the page keeps asking while the scheduler decides
    assert 'data-testid="unread-count"' not in client.get("/quotes/").content.decode()

    services.replan_proposal_approve(proposal_id=proposal.pk, approved_by=shop.users["scheduler"])
    proposal.refresh_from_db()
    quote.refresh_from_db()
    assert quote.committed_promise is not None

    nav = client.get("/quotes/").content.decode()
    assert 'data-testid="unread-count">1<' in nav
    listing = client.get("/notifications/").content.decode()
    assert "Proposal approved" in listing and quote.request_id in listing
    assert quote.committed_promise.order.code in listing

    panel = client.get(f"/quotes/{quote.pk}/status/").content.decode()
    assert "data-poll" not in panel  # decided: polling stops
    assert "Approved" in panel
    assert promise_time(quote.committed_promise.due) in panel
    moved = proposal.moved_count
    final = f"moved <strong>{moved}</strong>" if moved else "moved no other order"
    assert final in panel
    assert 'data-testid="quote-state">Committed<' in client.get("/quotes/").content.decode()

    response = client.post("/notifications/read/")
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    assert 'data-testid="unread-count"' not in client.get("/quotes/").content.decode()
    assert not Notification.objects.filter(read_at__isnull=True).exists()


@pytest.mark.usefixtures("busy_mill")  # SO-100 ... SO-105 on the mill
def test_the_rep_hears_of_a_rejection_with_its_reason(shop: Shop) -> None:
    quote = _quote(shop)
    outcome = services.quote_accept(quote_id=quote.pk, accepted_by=shop.users["sales"])
    assert outcome.proposal is not None
    services.replan_proposal_reject(
        proposal_id=outcome.proposal.pk, rejected_by=shop.users["scheduler"], reason="Mill PM"
    )
    note = Notification.objects.get()
    assert note.recipient == shop.users["sales"] and note.kind == "proposal_rejected"
    page = _client(shop, "sales").get("/notifications/").content.decode()
    assert "Proposal rejected" in page and "Mill PM" in page
    # Another rep hears nothing.
    other = _client(shop, "sales2").get("/notifications/").content.decode()
    assert "Mill PM" not in other


@pytest.mark.usefixtures("busy_mill")  # SO-100 ... SO-105 on the mill
def test_new_orders_continue_the_shop_s_numbering(shop: Shop) -> None:
    quote = _quote(shop, product=shop.cylinder, quantity=1)
    outcome = services.quote_accept(quote_id=quote.pk, accepted_by=shop.users["sales"])
    if not outcome.committed:
        assert outcome.proposal is not None
        outcome = services.replan_proposal_approve(
            proposal_id=outcome.proposal.pk, approved_by=shop.users["scheduler"]
        )
    assert outcome.order is not None and outcome.order.code == "SO-106"


def test_a_customer_s_earlier_date_request_re_promises_its_order(shop: Shop) -> None:
    due = board_now() + timedelta(days=12)
    seed_orders(shop, [("SO-7", shop.acme, shop.cylinder, 4, due)])
    order = Order.objects.get(code="SO-7")
    request = services.date_change_request_create(
        order_id=order.pk,
        requested_due=board_now() + timedelta(days=3),
        note="Line start moved up",
        requested_by=shop.users["acme"],
    )
    client = _client(shop, "sales")
    listing = client.get("/quotes/").content.decode()
    assert f"date_request={request.pk}" in listing  # "Quote it" carries the request
    form = client.get(
        f"/quotes/new/?customer={shop.acme.pk}&product={shop.cylinder.pk}&quantity=4"
        f"&date_request={request.pk}"
    ).content.decode()
    assert f'name="date_request" value="{request.pk}"' in form
    response = client.post(
        "/quotes/new/",
        {
            "customer": shop.acme.pk,
            "product": shop.cylinder.pk,
            "quantity": 4,
            "date_request": request.pk,
            "requested_due": (board_now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    quote = Quote.objects.get()
    assert quote.repromise_order == order and quote.status == Quote.Status.DONE, quote.error
    assert quote.promise is not None and quote.promise < due
    page = client.get(f"/quotes/{quote.pk}/").content.decode()
    assert "accepting re-promises that order" in page

    orders_before = Order.objects.count()
    outcome = services.quote_accept(quote_id=quote.pk, accepted_by=shop.users["sales"])
    if not outcome.committed:
        assert outcome.proposal is not None
        outcome = services.replan_proposal_approve(
            proposal_id=outcome.proposal.pk, approved_by=shop.users["scheduler"]
        )
    assert Order.objects.count() == orders_before  # no second order
    order.refresh_from_db()
    assert outcome.promise is not None and order.promised_due == outcome.promise.due < due
    assert list(Promise.objects.filter(order=order).values_list("kind", flat=True)) == [
        "imported",
        "repromise",
    ]
    request.refresh_from_db()
    assert request.status == DateChangeRequest.Status.CLOSED and request.quote == quote
    assert current_schedule_violations() == []
    page = client.get(f"/quotes/{quote.pk}/").content.decode()
    assert "Order <strong>SO-7</strong> re-promised" in page


def test_a_date_request_quote_must_keep_the_order_s_product_and_quantity(shop: Shop) -> None:
    seed_orders(shop, [("SO-7", shop.acme, shop.cylinder, 4, board_now() + timedelta(days=12))])
    request = services.date_change_request_create(
        order_id=Order.objects.get(code="SO-7").pk,
        requested_due=board_now() + timedelta(days=3),
        note="",
        requested_by=shop.users["acme"],
    )
    response = _client(shop, "sales").post(
        "/quotes/new/",
        {
            "customer": shop.acme.pk,
            "product": shop.cylinder.pk,
            "quantity": 9,
            "date_request": request.pk,
        },
    )
    assert response.status_code == 400
    assert "keeps its customer, product and quantity" in response.content.decode()
    assert not Quote.objects.exists()
