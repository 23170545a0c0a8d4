"""The solve rows' one accessor for the stored answer: `engine_answer()` returns the engine's
typed Answer, the same one the answer/1 document on the row describes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from quoting import services
from quoting.models import Quote
from scheduling.boards import board_now
from scheduling.engine.boardio import dump_answer
from tests.quoting.conftest import Shop

pytestmark = pytest.mark.usefixtures("eager_celery")


def _solved(shop: Shop) -> Quote:
    quote = services.quote_request_create(
        created_by=shop.users["sales"],
        customer_id=shop.acme.pk,
        product_id=shop.cylinder.pk,
        quantity=5,
        requested_due=board_now() + timedelta(days=20),
    )
    services.quote_solve(quote_id=quote.pk, task_id="t")
    return Quote.objects.get(pk=quote.pk)


def test_engine_answer_is_the_stored_document_typed(shop: Shop) -> None:
    quote = _solved(shop)
    answer = quote.engine_answer()
    assert answer.status == quote.answer_status == "promised"
    assert answer.promise == quote.promise and answer.completion == quote.completion
    assert len(answer.moved) == quote.moved_count
    assert dump_answer(answer) == quote.answer
    assert quote.at_risk_orders == () == answer.at_risk
    # With the requested date kept, "as early as": the earliest completion plus the buffer.
    assert answer.earliest_completion is not None and quote.request_doc is not None
    buffer = timedelta(minutes=quote.request_doc["buffer_minutes"])
    assert quote.earliest_promise == answer.earliest_completion + buffer


def test_engine_answer_follows_the_row_and_refuses_a_row_without_one(shop: Shop) -> None:
    quote = _solved(shop)
    first = quote.engine_answer()
    assert quote.engine_answer() is first  # parsed once per stored document
    doc = dict(quote.answer or {})
    doc["at_risk"] = ["SO-1"]
    quote.answer = doc
    assert quote.at_risk_orders == ("SO-1",)  # a new document on the row is read again
    quote.answer = None
    assert quote.at_risk_orders == () and quote.earliest_promise is None
    with pytest.raises(ValueError, match="no stored answer"):
        quote.engine_answer()


def test_the_earliest_beside_a_kept_date_says_whether_it_is_this_plan(shop: Shop) -> None:
    from django.template.loader import render_to_string

    quote = _solved(shop)
    assert quote.earliest_completion is not None and quote.completion is not None

    def sentence() -> str:
        html = render_to_string(
            "quoting/partials/quote_status.html", {"quote": quote, "can_act": True}
        )
        start = html.index('data-testid="earliest"')
        return html[start : html.index("</p>", start)]

    # The kept plan finishes at the earliest completion: the earlier promise moves no more.
    doc = dict(quote.answer or {})
    doc["earliest_completion"] = doc["completion"]
    quote.answer = doc
    assert quote.earliest_is_this_plan
    assert "also the earliest found" in sentence() and "may move more" not in sentence()
    # An earlier plan exists: it finishes earlier and may move more.
    earlier = quote.completion - timedelta(hours=5)
    doc = dict(doc, earliest_completion=earlier.strftime("%Y-%m-%dT%H:%M:%SZ"))
    quote.answer = doc
    assert not quote.earliest_is_this_plan
    assert "Could be as early as" in sentence() and "may move more" in sentence()
    quote.answer = None
    assert not quote.earliest_is_this_plan and quote.earliest_completion is None
