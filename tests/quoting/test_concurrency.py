"""Competing rush orders committed at the same instant on PostgreSQL (invariant 3).

Eight quotes are solved against the same schedule version, all wanting the mill first. Eight
threads then accept them at once (a proposal is approved on the spot, as a scheduler would).
Exactly one commit may win per schedule version; every other thread must be told "stale" and
find its quote or proposal re-solved on the winner's board, never committed as it was.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from orders.models import Order
from quoting import services
from quoting.models import Quote, ReplanProposal
from scheduling.boards import board_now
from scheduling.models import ScheduledOperation, ScheduleVersion
from tests.quoting.conftest import Shop, current_schedule_violations, make_shop, seed_orders

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("flushable_promises", "eager_celery"),
]

RUSH_ORDERS = 8


def _commit(quote_id: int, shop: Shop, barrier: threading.Barrier) -> tuple[int, str]:
    """Accept (and approve if it needs approval), as fast as the threads can."""
    try:
        proposal = ReplanProposal.objects.filter(quote_id=quote_id).first()
        barrier.wait(timeout=60)
        try:
            if proposal is None:  # first round: accept; a proposal is approved on the spot
                outcome = services.quote_accept(quote_id=quote_id, accepted_by=shop.users["sales"])
                if outcome.committed:
                    return quote_id, "committed"
                proposal = outcome.proposal
            assert proposal is not None
            proposal.refresh_from_db()
            if proposal.status == ReplanProposal.Status.AWAITING_REP:
                # Re-solved to a later promise: the rep asks the customer and confirms it.
                services.replan_proposal_confirm_later(
                    proposal_id=proposal.pk, confirmed_by=shop.users["sales"]
                )
            services.replan_proposal_approve(
                proposal_id=proposal.pk, approved_by=shop.users["scheduler"]
            )
            return quote_id, "committed"
        except services.QuoteStale:
            return quote_id, "stale quote"
        except services.ProposalStale:
            return quote_id, "stale proposal"
    finally:
        connection.close()  # this thread's connection


def _race(quote_ids: list[int], shop: Shop) -> dict[int, str]:
    barrier = threading.Barrier(len(quote_ids))
    results: dict[int, str] = {}
    errors: list[BaseException] = []

    def run(quote_id: int) -> None:
        try:
            key, outcome = _commit(quote_id, shop, barrier)
            results[key] = outcome
        except BaseException as exc:  # surfaced below with the thread's quote
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(quote_id,)) for quote_id in quote_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    return results


def _check_board(winners: list[int]) -> None:
    assert current_schedule_violations() == []
    current = ScheduleVersion.objects.get(is_current=True)
    for quote_id in winners:
        quote = Quote.objects.select_related("order").get(pk=quote_id)
        assert quote.order is not None
        assert quote.order.promised_due == (
            quote.proposal.promise if hasattr(quote, "proposal") else quote.promise
        )
        placed = ScheduledOperation.objects.filter(version=current, operation__order=quote.order)
        assert placed.count() == quote.order.operations.count() == 3


def test_competing_rush_orders_never_both_commit(shop: Any) -> None:
    assert connection.vendor == "postgresql"
    due = board_now() + timedelta(days=21)
    seeded = seed_orders(shop, [("SO-1", shop.globex, shop.bracket, 20, due)])
    quotes = []
    for _ in range(RUSH_ORDERS):
        quote = services.quote_request_create(
            created_by=shop.users["sales"],
            customer_id=shop.acme.pk,
            product_id=shop.cylinder.pk,
            quantity=8,
        )
        quotes.append(Quote.objects.get(pk=quote.pk))
    assert all(q.status == Quote.Status.DONE and q.schedule_version == seeded for q in quotes)
    # They all want the same mill slot: each answer alone is valid, no two together are.
    first_mill_starts = {
        row["start"]
        for q in quotes
        for row in (q.answer or {})["schedule"]
        if row["order"] == q.request_id and row["operation"] == "20"
    }
    assert len(first_mill_starts) == 1

    pending = [q.pk for q in quotes]
    winners: list[int] = []
    rounds = 0
    while pending:
        rounds += 1
        version_before = ScheduleVersion.objects.get(is_current=True)
        results = _race(pending, shop)
        won = [q for q, outcome in results.items() if outcome == "committed"]
        lost = [q for q, outcome in results.items() if outcome != "committed"]
        assert len(won) == 1, results  # one schedule version, one winner
        winners += won
        _check_board(winners)
        current = ScheduleVersion.objects.get(is_current=True)
        assert current.parent == version_before
        for quote_id in lost:
            quote = Quote.objects.get(pk=quote_id)
            assert quote.order is None
            if results[quote_id] == "stale quote":
                # Told stale, and already re-solved on the winner's board (eager worker).
                assert quote.status == Quote.Status.DONE and quote.accepted_at is None
                assert quote.schedule_version == current
            else:
                proposal = ReplanProposal.objects.get(quote=quote)
                # Re-solved on the winner's board: pending when its promise is no later than
                # the one the rep accepted, else back to the rep, never silently later.
                agreed = proposal.rep_confirmed_promise or quote.promise
                assert proposal.promise is not None and agreed is not None
                if proposal.promise > agreed:
                    assert proposal.status == ReplanProposal.Status.AWAITING_REP
                else:
                    assert proposal.status == ReplanProposal.Status.PENDING, proposal.error
                assert proposal.schedule_version == current
        pending = lost
    # Every rush order made it in the end, one per version, each re-solved on the board it
    # was finally committed to.
    assert rounds == RUSH_ORDERS
    assert Order.objects.filter(quote__isnull=False).count() == len(winners) == RUSH_ORDERS
    # Each commit drew the next number of the shop's numbering under the lock: no gap, no twin.
    codes = sorted(Order.objects.exclude(code="SO-1").values_list("code", flat=True))
    assert codes == sorted(f"SO-{n}" for n in range(2, 2 + RUSH_ORDERS))


@pytest.fixture
def shop() -> Shop:
    return make_shop()


@pytest.fixture(autouse=True)
def _no_fair_share(settings: Any) -> None:
    # Eight threads re-solve at once here: the fair share of the time limit would shrink each
    # solve to ENGINE_MIN_TIME_LIMIT by however many happen to be solving at that instant,
    # and a re-solve that short can find nothing ("stale"), which this test is not about.
    settings.ENGINE_MIN_TIME_LIMIT = settings.ENGINE_TIME_LIMIT
