"""Sales quote pages: form validation, the polled status panel, the answer, accept, history."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from config.celery import app as celery_app
from orders.models import Order
from quoting.models import Quote
from scheduling.engine.model import OptionResult
from tests.factories import answer_doc


@pytest.fixture
def eager_celery() -> Iterator[None]:
    old = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = old


def test_bad_input_shows_field_errors_keeps_input_and_writes_nothing(
    client_for: Any, shop: Any
) -> None:
    past = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client_for("sales").post(
        "/quotes/new/",
        {"customer": "", "product": shop.cylinder.pk, "quantity": "0", "requested_due": past},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "This field is required." in html  # customer
    assert "greater than or equal to 1" in html  # quantity
    assert "must be in the future" in html  # requested date
    assert f'<option value="{shop.cylinder.pk}" selected>' in html  # what was typed is kept
    assert 'value="0"' in html
    assert not Quote.objects.exists()


def test_unknown_capacity_option_is_a_field_error(client_for: Any, shop: Any) -> None:
    response = client_for("sales").post(
        "/quotes/new/",
        {
            "customer": shop.acme.pk,
            "product": shop.cylinder.pk,
            "quantity": 2,
            "capacity_options": ["NOPE"],
        },
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Quote.objects.exists()


def test_queued_quote_page_shows_progress_and_polls(client_for: Any, shop: Any) -> None:
    client = client_for("sales")
    response = client.post(
        "/quotes/new/", {"customer": shop.acme.pk, "product": shop.cylinder.pk, "quantity": 2}
    )
    quote = Quote.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/quotes/{quote.pk}/"
    assert quote.created_by == shop.users["sales"]
    html = client.get(f"/quotes/{quote.pk}/").content.decode()
    assert 'role="progressbar"' in html
    assert f'data-poll="/quotes/{quote.pk}/status/"' in html
    partial = client.get(f"/quotes/{quote.pk}/status/").content.decode()
    assert partial.lstrip().startswith('<div id="quote-status"')
    # Another sales rep cannot open it.
    assert client_for("sales2").get(f"/quotes/{quote.pk}/").status_code == 404


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)  # the solve's monitor thread reads committed rows
def test_quote_answer_and_accept_commit_an_order(
    flushable_promises: None,
    client_for: Any,
    shop: Any,
    eager_celery: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for("sales")
    requested = (timezone.now() + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/quotes/new/",
            {
                "customer": shop.acme.pk,
                "product": shop.bracket.pk,
                "quantity": 1,
                "requested_due": requested,
            },
        )
    quote = Quote.objects.get()
    assert quote.status == Quote.Status.DONE, quote.error
    html = client.get(f"/quotes/{quote.pk}/status/").content.decode()
    assert "data-poll" not in html  # answered: polling stops
    assert "can be met" in html
    assert "no schedule can finish before this" in html
    # The requested date is the promise; the earliest is offered beside it.
    assert quote.requested_due is not None
    assert quote.promise == quote.requested_due.replace(second=0, microsecond=0)
    assert 'data-testid="earliest"' in html
    # Said as it is: the same plan when it already finishes at the earliest completion found.
    if quote.earliest_is_this_plan:
        assert "This plan is also the earliest found" in html and "may move more" not in html
    else:
        assert "Could be as early as" in html and "may move more" in html
    assert "promise_earliest=1" in html
    # The link prefills the form with the box ticked, and the box is on the form.
    form = client.get("/quotes/new/?promise_earliest=1").content.decode()
    assert re.search(r'<input[^>]*name="promise_earliest"[^>]*checked', form)
    assert quote.promise is not None
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/quotes/{quote.pk}/accept/", follow=True)
    page = response.content.decode()
    quote.refresh_from_db()
    if quote.moved_count == 0:
        order = Order.objects.get(quote=quote)
        assert order.promised_due == quote.promise
        assert f"Order {order.code} committed" in page
    else:  # the plan moves others: it waits for the scheduler, no order yet
        assert "replan proposal" in page
        assert not Order.objects.filter(quote=quote).exists()
    history = client.get("/quotes/").content.decode()
    assert quote.request_id in history


def test_quote_it_from_a_customer_request_prefills_the_form(client_for: Any, shop: Any) -> None:
    order = Order.objects.get(code="SO-1")
    wanted = (order.promised_due - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    sent = client_for("acme").post("/portal/orders/SO-1/earlier/", {"requested_due": wanted})
    assert sent.status_code == 302, sent.content.decode()[-3000:]
    history = client_for("sales").get("/quotes/").content.decode()
    link = f"/quotes/new/?customer={shop.acme.pk}&amp;product={shop.cylinder.pk}&amp;quantity=5"
    assert link in history
    form = client_for("sales").get(
        f"/quotes/new/?customer={shop.acme.pk}&product={shop.cylinder.pk}&quantity=5"
        f"&requested_due={wanted}"
    )
    html = form.content.decode()
    assert f'<option value="{shop.acme.pk}" selected>' in html
    assert 'value="5"' in html
    assert f'value="{wanted}"' in html


def test_cancel_a_queued_quote_from_its_page(client_for: Any, shop: Any) -> None:
    client = client_for("sales")
    client.post(
        "/quotes/new/", {"customer": shop.acme.pk, "product": shop.cylinder.pk, "quantity": 2}
    )
    quote = Quote.objects.get()
    page = client.post(f"/quotes/{quote.pk}/cancel/", follow=True).content.decode()
    quote.refresh_from_db()
    assert quote.status == Quote.Status.CANCELLED
    assert "Cancelled." in page
    assert "data-poll" not in page
    again = client.post(f"/quotes/{quote.pk}/cancel/", follow=True).content.decode()
    assert "Not cancelled" in again


def test_option_without_a_gain_reads_none_found_not_a_verdict(client_for: Any, shop: Any) -> None:
    """An option that bought nothing within the quote's time limit is shown as "none found"
    (with the reason), never as a fact that it cannot help; one that did shows its gain."""
    client = client_for("sales")
    client.post(
        "/quotes/new/", {"customer": shop.acme.pk, "product": shop.cylinder.pk, "quantity": 2}
    )
    quote = Quote.objects.get()
    when = (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    Quote.objects.filter(pk=quote.pk).update(
        status=Quote.Status.DONE,
        answer_status="promised",
        completion=when,
        promise=when + timedelta(days=1),
        answer=answer_doc(
            lower_bound=when,
            options=(
                OptionResult(
                    id="MILL-NIGHT",
                    completion=when,
                    promise=when + timedelta(days=1),
                    gain_minutes=0,
                ),
                OptionResult(
                    id="OTHER",
                    completion=when - timedelta(minutes=90),
                    promise=when + timedelta(days=1, minutes=-90),
                    gain_minutes=90,
                ),
            ),
        ),
    )
    html = client.get(f"/quotes/{quote.pk}/status/").content.decode()
    night = html.split('data-option="MILL-NIGHT"')[1].split("</tr>")[0]
    assert "none found" in night
    assert "within the quote's time limit" in night
    assert "no gain" not in html
    other = html.split('data-option="OTHER"')[1].split("</tr>")[0]
    assert "none found" not in other
    # Promises read to the hour: 90 minutes earlier makes the promise one hour earlier.
    assert '<span class="delta-neg">1h</span>' in other


def test_a_kept_date_still_improving_says_it_looks_for_fewer_moves(
    client_for: Any, shop: Any
) -> None:
    """A proven earliest completion under a kept requested date: the page does not promise a
    better date (there is none), it says the plan may yet move fewer operations."""
    client = client_for("sales")
    client.post(
        "/quotes/new/", {"customer": shop.acme.pk, "product": shop.cylinder.pk, "quantity": 2}
    )
    quote = Quote.objects.get()
    when = (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    fields: dict[str, Any] = {
        "status": Quote.Status.DONE,
        "answer_status": "promised",
        "completion": when,
        "promise": when + timedelta(days=4),
        "requested_due": when + timedelta(days=4),
        "request_doc": {"buffer_minutes": 1440},
        "moved_count": 12,
        "improving": True,
    }
    answer = answer_doc(lower_bound=when, earliest_completion=when, proven_optimal=True)
    Quote.objects.filter(pk=quote.pk).update(**fields, answer=answer)
    html = client.get(f"/quotes/{quote.pk}/status/").content.decode()
    improving = html.split('data-testid="improving"')[1].split("</div>")[0]
    assert "The requested date is kept" in improving
    assert "moving fewer than 12 operations of other orders" in improving
    assert "best promise found so far" not in improving
    # Not proven: the usual wording, a better date may still come.
    unproven = answer_doc(lower_bound=when, earliest_completion=when, proven_optimal=False)
    Quote.objects.filter(pk=quote.pk).update(answer=unproven)
    html = client.get(f"/quotes/{quote.pk}/status/").content.decode()
    assert "best promise found so far" in html.split('data-testid="improving"')[1]


@pytest.mark.django_db(transaction=True)  # the solve's monitor thread reads committed rows
@pytest.mark.usefixtures("eager_celery", "flushable_promises")
def test_a_proposal_being_polished_says_so_then_waits_for_the_scheduler(
    client_for: Any,
    shop: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from quoting.models import ReplanProposal
    from quoting.services import accepting, proposal_solve, quote_accept, quote_request_create
    from scheduling.boards import board_now
    from tests.quoting.conftest import seed_orders

    due = board_now() + timedelta(days=21)
    seed_orders(shop, [(f"SO-{100 + i}", shop.globex, shop.bracket, 30, due) for i in range(6)])
    with django_capture_on_commit_callbacks(execute=True):
        quote = quote_request_create(
            created_by=shop.users["sales"],
            customer_id=shop.acme.pk,
            product_id=shop.cylinder.pk,
            quantity=10,
        )
    quote.refresh_from_db()
    assert quote.status == Quote.Status.DONE and quote.moved_count > 0, quote.error
    sent: list[int] = []
    monkeypatch.setattr(accepting, "enqueue_proposal_solve", sent.append)  # no worker yet
    outcome = quote_accept(quote_id=quote.pk, accepted_by=shop.users["sales"])
    assert outcome.proposal is not None and sent == [outcome.proposal.pk]
    client = client_for("sales")
    html = client.get(f"/quotes/{quote.pk}/status/").content.decode()
    assert "Reworking the plan to move as few" in html and "data-poll" in html

    assert proposal_solve(proposal_id=outcome.proposal.pk, task_id="t-1") == "pending"
    proposal = ReplanProposal.objects.get(pk=outcome.proposal.pk)
    html = client.get(f"/quotes/{quote.pk}/status/").content.decode()
    assert "Waiting for the scheduler" in html and "Reworking" not in html
    assert proposal.promise == quote.promise  # polishing keeps the quoted promise
