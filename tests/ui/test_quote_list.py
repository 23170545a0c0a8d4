"""The quote list and the answer as a rep and a manager read them: what each state looks like,
options worth a button, costs with a currency, filters, pages and the CSV download."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import timedelta
from typing import Any

from django.utils import timezone

from quoting.models import Quote
from scheduling.boards import current_version
from scheduling.engine.model import OptionResult
from tests.factories import answer_doc


def _answered(shop: Any, answer: dict[str, Any] | None = None, **fields: Any) -> Quote:
    """An answered quote; `answer` overrides fields of its stored engine answer."""
    promise = (timezone.now() + timedelta(days=4)).replace(second=0, microsecond=0)
    values: dict[str, Any] = {
        "customer": shop.acme,
        "product": shop.cylinder,
        "quantity": 3,
        "created_by": shop.users["sales"],
        "status": Quote.Status.DONE,
        "answer_status": "promised",
        "promise": promise,
        "completion": promise - timedelta(days=1),
        "answer": answer_doc(
            **{"lower_bound": promise - timedelta(days=2), "proven_optimal": True, **(answer or {})}
        ),
        "schedule_version": current_version(),
    }
    values.update(fields)
    return Quote.objects.create(**values)


def test_failed_cancelled_and_promiseless_quotes_are_not_a_green_done(
    client_for: Any, shop: Any
) -> None:
    failed = _answered(shop, status=Quote.Status.FAILED, error="worker died")
    cancelled = _answered(shop, status=Quote.Status.CANCELLED)
    none = _answered(
        shop, {"status": "infeasible", "message": "no schedule"}, answer_status="infeasible"
    )
    good = _answered(shop)
    html = client_for("sales").get("/quotes/").content.decode()
    assert ">Done<" not in html

    def pill(quote: Quote) -> str:
        row = html.split(f">{quote.request_id}</strong>")[1].split("</tr>")[0]
        return row.split('data-testid="quote-state">')[0].rsplit('class="pill ', 1)[1]

    assert pill(failed).startswith("red") and "Failed" in html
    assert pill(cancelled).startswith("grey") and "Cancelled" in html
    assert pill(none).startswith("red") and "No promise possible" in html
    assert pill(good).startswith("green")


def test_options_that_buy_nothing_get_no_button_and_costs_show_the_currency(
    client_for: Any, shop: Any, settings: Any
) -> None:
    settings.SHOP_CURRENCY = "CHF"
    when = (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    gain = OptionResult(id="MILL-NIGHT", completion=when, promise=when, gain_minutes=240)
    useful = _answered(shop, {"options": (gain,)})
    useless = _answered(shop, {"options": (replace(gain, gain_minutes=0),)})
    client = client_for("sales")
    page = client.get(f"/quotes/{useful.pk}/").content.decode()
    assert 'data-accept-option="MILL-NIGHT"' in page
    assert "CHF 900" in page
    page = client.get(f"/quotes/{useless.pk}/").content.decode()
    assert 'data-accept-option="MILL-NIGHT"' not in page
    assert "none found" in page
    # 44 minutes earlier that still reads as the same hour buys nothing the rep can promise.
    promise = timezone.now().replace(minute=50, second=0, microsecond=0) + timedelta(days=4)
    minutes = replace(gain, gain_minutes=44, promise=promise - timedelta(minutes=44))
    same_hour = _answered(shop, {"options": (minutes,)}, promise=promise)
    page = client.get(f"/quotes/{same_hour.pk}/").content.decode()
    assert 'data-accept-option="MILL-NIGHT"' not in page
    assert "CHF 900" in client.get("/quotes/new/").content.decode()


def test_the_manager_reads_quotes_but_cannot_act_on_them(client_for: Any, shop: Any) -> None:
    quote = _answered(shop)
    client = client_for("manager")
    listing = client.get("/quotes/").content.decode()
    assert quote.request_id in listing and 'href="/quotes/"' in listing  # in the nav too
    page = client.get(f"/quotes/{quote.pk}/")
    assert page.status_code == 200
    assert "data-accept-option" not in page.content.decode()
    assert client.post(f"/quotes/{quote.pk}/accept/").status_code == 403


def test_filters_pages_and_csv(client_for: Any, shop: Any) -> None:
    for _ in range(30):
        _answered(shop)
    globex = _answered(shop, customer=shop.globex, status=Quote.Status.FAILED)
    client = client_for("sales")
    first = client.get("/quotes/").content.decode()
    assert "Page 1 of 2" in first and "31 rows" in first
    second = client.get("/quotes/?page=2").content.decode()
    assert "Page 2 of 2" in second

    only_globex = client.get(f"/quotes/?customer={shop.globex.pk}").content.decode()
    assert globex.request_id in only_globex and "1 row" in only_globex
    failed = client.get("/quotes/?state=failed").content.decode()
    assert globex.request_id in failed and "1 row" in failed
    searched = client.get(f"/quotes/?q={globex.request_id}").content.decode()
    assert "1 row" in searched
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert "No quote matches" in client.get(f"/quotes/?asked_from={tomorrow}").content.decode()

    response = client.get(f"/quotes/?customer={shop.globex.pk}&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["quote", "asked_at", "customer"]
    assert [r[0] for r in rows[1:]] == [globex.request_id]
    assert rows[1][6] == "Failed"
