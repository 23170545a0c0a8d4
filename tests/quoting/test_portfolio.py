"""Portfolio quotes (ENGINE_PORTFOLIO > 1) on SQLite with eager Celery: the members' rules.

Two real worker processes on PostgreSQL + Redis are in test_portfolio_workers.py; here the
members run one after the other in the caller, and the ranking is driven with real verified
answers of different quality (the naive append-at-the-end promise versus the engine's).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import celery
import pytest

from quoting import services
from quoting.models import PortfolioMember, Quote
from quoting.services import portfolio
from quoting.services.answers import request_from_doc
from quoting.services.solve_inputs import quote_request
from scheduling import engine
from scheduling.boards import board_now, board_snapshot
from scheduling.engine.boardio import load_answer
from tests.quoting.conftest import Shop, make_shop, seed_orders

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("flushable_promises", "eager_celery"),
]

Member = PortfolioMember.Status


@pytest.fixture
def shop(settings: Any) -> Shop:
    settings.ENGINE_TIME_LIMIT = 0.3
    settings.ENGINE_MIN_TIME_LIMIT = 0.1
    shop = make_shop()
    due = board_now() + timedelta(days=21)
    seed_orders(shop, [(f"SO-{100 + i}", shop.globex, shop.bracket, 30, due) for i in range(6)])
    return shop


def _quote(shop: Shop) -> Quote:
    created = services.quote_request_create(
        created_by=shop.users["sales"],
        customer_id=shop.acme.pk,
        product_id=shop.cylinder.pk,
        quantity=5,
        promise_earliest=True,
    )
    return Quote.objects.get(pk=created.pk)


def _republished(
    shop: Shop, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> tuple[Quote, str, list[Any]]:
    """A quote answered by a portfolio of three, queued again with a fresh portfolio whose
    members the test drives by hand (the group is recorded in the list, not sent)."""
    settings.ENGINE_PORTFOLIO = 3
    quote = _quote(shop)
    Quote.objects.filter(pk=quote.pk).update(status=Quote.Status.QUEUED, solve_task_id="")
    sent: list[Any] = []
    monkeypatch.setattr(celery.group, "apply_async", lambda self, *a, **k: sent.append(self))
    return quote, portfolio.portfolio_publish(quote.pk), sent


def _verified(quote: Quote) -> None:
    """The stored answer holds on the board it was solved against (still the current one)."""
    snapshot = board_snapshot(request=request_from_doc(quote.request_doc or {}))
    assert snapshot.version is not None and snapshot.version.pk == quote.schedule_version_id
    assert engine.verify(snapshot.board, load_answer(quote.answer)) == []


def test_one_task_by_default_and_no_members(shop: Shop, settings: Any) -> None:
    assert settings.ENGINE_PORTFOLIO == 1
    quote = _quote(shop)
    assert quote.status == Quote.Status.DONE and quote.answer_status == "promised"
    assert not PortfolioMember.objects.exists()  # the plain solve_quote task answered it
    _verified(quote)


def test_a_portfolio_of_two_ends_with_one_winner_and_the_other_revoked(
    shop: Shop, settings: Any
) -> None:
    settings.ENGINE_PORTFOLIO = 2
    quote = _quote(shop)
    assert quote.status == Quote.Status.DONE and quote.answer_status == "promised"
    members = list(PortfolioMember.objects.filter(quote=quote).order_by("pk"))
    # Member 0 is the plain solve (strategy 0, seed 0); member 1 another search strategy.
    assert [(m.strategy, m.seed) for m in members] == [(0, 0), (1, 0)]
    assert len({m.portfolio for m in members}) == 1
    won = [m for m in members if m.status == Member.WON]
    revoked = [m for m in members if m.status == Member.REVOKED]
    assert len(won) == 1 and len(revoked) == 1, [(m.status, m.reason) for m in members]
    # The quote's answer is the winner's, and its row is held by the winner's task.
    assert quote.solve_task_id == won[0].task_id
    assert won[0].promise == quote.promise
    assert revoked[0].reason
    _verified(quote)


def test_a_better_answer_outranks_the_stored_one_and_a_worse_one_does_not(
    shop: Shop, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    quote, pid, sent = _republished(shop, settings, monkeypatch)
    assert len(sent) == 1 and len(sent[0].tasks) == 3  # one group of three tasks
    assert [t.id for t in sent[0].tasks] == list(
        PortfolioMember.objects.filter(portfolio=pid)
        .order_by("seed")
        .values_list("task_id", flat=True)
    )
    first, second, third = PortfolioMember.objects.filter(portfolio=pid).order_by("pk")
    for member in (first, second, third):
        PortfolioMember.objects.filter(pk=member.pk).update(status=Member.SOLVING)
    assert portfolio._join(first)
    assert Quote.objects.get(pk=quote.pk).solve_task_id == pid  # held by the portfolio
    assert portfolio._join(second)  # the others join it
    request = quote_request(Quote.objects.get(pk=quote.pk))
    snapshot = board_snapshot(request=request)
    board = snapshot.board
    naive = engine.append_baseline(board)  # valid, verified, and later than the engine's
    good = engine.quote(board, time_limit=1.0, workers=1, earliest=True)
    assert naive.promise is not None and good.promise is not None
    assert good.promise < naive.promise, "the board must make the naive promise worse"
    task_ids = {first.task_id, second.task_id, third.task_id}

    assert portfolio._store(first, task_ids, naive, board, snapshot.version, request) == Member.WON
    quote.refresh_from_db()
    assert quote.status == Quote.Status.DONE and quote.promise == naive.promise
    assert quote.solve_task_id == first.task_id

    assert portfolio._store(second, task_ids, good, board, snapshot.version, request) == Member.WON
    quote.refresh_from_db()
    assert quote.promise == good.promise and quote.solve_task_id == second.task_id
    assert [entry["promise"] for entry in quote.improvements] == [
        naive.promise.isoformat(),
        good.promise.isoformat(),
    ]
    first.refresh_from_db()
    assert first.status == Member.REVOKED
    assert first.reason.startswith("outranked by strategy 1 seed 0")

    # (A proven answer revokes the running members; this one finished regardless.)
    PortfolioMember.objects.filter(pk=third.pk).update(status=Member.SOLVING, reason="")
    outcome = portfolio._store(third, task_ids, naive, board, snapshot.version, request)
    assert outcome == Member.REVOKED
    third.refresh_from_db()
    assert "no better than strategy 1 seed 0's" in third.reason
    quote.refresh_from_db()
    assert quote.promise == good.promise  # the worse answer did not replace it
    statuses = sorted(
        PortfolioMember.objects.filter(portfolio=pid).values_list("status", flat=True)
    )
    assert statuses == [Member.REVOKED, Member.REVOKED, Member.WON]
    _verified(quote)


def test_nothing_replaces_an_accepted_answer(shop: Shop, settings: Any) -> None:
    settings.ENGINE_PORTFOLIO = 2
    quote = _quote(shop)
    holder = PortfolioMember.objects.get(quote=quote, status=Member.WON)
    other = PortfolioMember.objects.get(quote=quote, status=Member.REVOKED)
    shown = quote.promise
    services.quote_accept(quote_id=quote.pk, accepted_by=shop.users["sales"])
    request = quote_request(Quote.objects.get(pk=quote.pk))
    snapshot = board_snapshot(request=request)
    better = engine.quote(snapshot.board, time_limit=0.5, workers=1, earliest=True)
    assert better.promise is not None
    from dataclasses import replace

    # Even an answer that looks much better, arriving after the accept, is not stored.
    better = replace(better, promise=better.promise - timedelta(days=30))
    PortfolioMember.objects.filter(pk=other.pk).update(status=Member.SOLVING)
    task_ids = {holder.task_id, other.task_id}
    outcome = portfolio._store(other, task_ids, better, snapshot.board, snapshot.version, request)
    assert outcome == Member.REVOKED
    other.refresh_from_db()
    assert "accepted" in other.reason
    quote.refresh_from_db()
    assert quote.promise == shown


def test_a_member_revoked_before_it_starts_does_nothing(shop: Shop, settings: Any) -> None:
    settings.ENGINE_PORTFOLIO = 2
    quote = _quote(shop)
    revoked = PortfolioMember.objects.get(quote=quote, status=Member.REVOKED)
    before = Quote.objects.values_list("promise", "solve_task_id", "heartbeat_at").get(pk=quote.pk)
    assert (
        portfolio.portfolio_member_solve(member_id=revoked.pk, task_id=revoked.task_id) == "skipped"
    )
    after = Quote.objects.values_list("promise", "solve_task_id", "heartbeat_at").get(pk=quote.pk)
    assert after == before


def test_sending_a_quote_again_supersedes_its_earlier_members(
    shop: Shop, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.ENGINE_PORTFOLIO = 2
    quote = _quote(shop)
    sent: list[Any] = []
    monkeypatch.setattr(celery.group, "apply_async", lambda self, *a, **k: sent.append(self))
    # Its workers died mid-solve: the sweeper sends the quote again as a new portfolio.
    first = portfolio.portfolio_publish(quote.pk)
    PortfolioMember.objects.filter(portfolio=first, strategy=0).update(status=Member.SOLVING)
    second = portfolio.portfolio_publish(quote.pk)
    earlier = PortfolioMember.objects.filter(portfolio=first)
    assert {m.status for m in earlier} == {Member.REVOKED}
    assert all("superseded" in m.reason for m in earlier)
    assert set(
        PortfolioMember.objects.filter(portfolio=second).values_list("status", flat=True)
    ) == {Member.QUEUED}
    # The first portfolio's winner is history, not touched.
    assert PortfolioMember.objects.filter(quote=quote, status=Member.WON).count() == 1


def test_a_proven_answer_revokes_the_others_each_with_why(
    shop: Shop, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, pid, _ = _republished(shop, settings, monkeypatch)
    winner, running, queued = PortfolioMember.objects.filter(portfolio=pid).order_by("pk")
    PortfolioMember.objects.filter(pk__in=[winner.pk, running.pk]).update(status=Member.SOLVING)
    ids = portfolio._revoke_others(winner, proven=True)
    assert set(ids) == {running.task_id, queued.task_id}
    running.refresh_from_db()
    queued.refresh_from_db()
    assert (running.status, queued.status) == (Member.REVOKED, Member.REVOKED)
    # The one that never solved says so, whatever ended the portfolio.
    assert running.reason == "strategy 0 seed 0 proved its answer optimal"
    assert queued.reason == "not started before strategy 0 seed 0 proved its answer optimal"
    # Without a proof the running member goes on; only the queued one is revoked.
    PortfolioMember.objects.filter(pk__in=[running.pk, queued.pk]).update(
        status=Member.QUEUED, reason=""
    )
    PortfolioMember.objects.filter(pk=running.pk).update(status=Member.SOLVING)
    assert portfolio._revoke_others(winner, proven=False) == [queued.task_id]
    queued.refresh_from_db()
    assert queued.reason == "not started before strategy 0 seed 0 answered"
    assert PortfolioMember.objects.get(pk=running.pk).status == Member.SOLVING
