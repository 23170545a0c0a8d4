"""Anytime quotes: the first answer is stored at once, then the solve goes on improving it.

Each stored improvement is verified and never later than the one before; accepting while it
improves commits the answer shown and nothing is written after; a dead improvement is ended
by the sweeper, its answer standing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from quoting import services
from quoting.models import Quote
from quoting.services.improving import gains_left
from scheduling import engine
from scheduling.boards import board_now
from scheduling.engine.boardio import dump_answer, load_answer
from scheduling.engine.model import Answer, MovedOperation
from tests.quoting.conftest import Shop, make_shop, seed_orders

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("flushable_promises", "eager_celery"),
]


@pytest.fixture
def shop(settings: Any) -> Shop:
    settings.ENGINE_TIME_LIMIT = 0.2
    settings.ENGINE_MIN_TIME_LIMIT = 0.1
    settings.QUOTE_MAX_SECONDS = 3
    shop = make_shop()
    due = board_now() + timedelta(days=21)
    seed_orders(shop, [(f"SO-{100 + i}", shop.globex, shop.bracket, 30, due) for i in range(6)])
    return shop


def _quote(shop: Shop, **kwargs: Any) -> Quote:
    created = services.quote_request_create(
        created_by=shop.users["sales"],
        customer_id=shop.acme.pk,
        product_id=shop.cylinder.pk,
        quantity=5,
        **kwargs,
    )
    return Quote.objects.get(pk=created.pk)


def _promises(quote: Quote) -> list[datetime]:
    return [datetime.fromisoformat(entry["promise"]) for entry in quote.improvements]


def test_each_stored_improvement_is_no_later_and_the_solve_ends(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The engine answers 0.2 s quotes later than it could: each round of the improvement
    # returns the real answer, so the history is the engine's own, stored in order.
    quote = _quote(shop, promise_earliest=True)
    assert quote.status == Quote.Status.DONE
    assert not quote.improving  # ended: proof, a stall or the 3 s cap
    assert quote.improvements, "the first answer is the first entry"
    promises = _promises(quote)
    assert promises == sorted(promises, reverse=True)  # never later
    assert quote.promise == promises[-1]
    answer = load_answer(quote.answer)
    assert answer.promise == quote.promise


def test_a_better_answer_is_stored_and_a_worse_one_is_not(
    shop: Shop, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.QUOTE_MAX_SECONDS = 0  # the first answer only
    quote = _quote(shop, promise_earliest=True)
    first = load_answer(quote.answer)
    assert first.promise is not None and first.completion is not None
    Quote.objects.filter(pk=quote.pk).update(improving=True, solve_task_id="t-1")
    settings.QUOTE_MAX_SECONDS = 30
    real = engine.quote
    rounds: list[Any] = []

    def one_better_then_worse(board: Any, **kwargs: Any) -> Any:
        answer = real(board, **kwargs)
        rounds.append(answer)
        if len(rounds) == 1:  # pretend the first answer was later than this one
            return answer
        assert answer.promise is not None
        return replace(answer, promise=answer.promise + timedelta(days=1))  # worse: a stall

    # Make the stored answer look worse than what the engine finds, so round 1 improves it.
    later = replace(
        first,
        completion=first.completion,
        promise=first.promise + timedelta(days=2),
        proven_optimal=False,
    )
    from scheduling.engine.boardio import dump_answer

    Quote.objects.filter(pk=quote.pk).update(
        answer=dump_answer(later), promise=later.promise, improvements=[]
    )
    monkeypatch.setattr(engine, "quote", one_better_then_worse)
    assert services.quote_improve(quote_id=quote.pk, task_id="t-1") in ("stalled", "proven")
    quote.refresh_from_db()
    assert not quote.improving
    assert quote.promise == rounds[0].promise  # the better answer, stored
    assert len(quote.improvements) == 1


def test_accepting_mid_solve_commits_the_answer_shown_and_stops_it(
    shop: Shop, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.QUOTE_MAX_SECONDS = 0
    quote = _quote(shop, promise_earliest=True)
    shown = quote.promise
    # Unproven, so the improvement runs (the verifier does not judge proofs).
    unproven = dict(quote.answer or {}, proven_optimal=False)
    Quote.objects.filter(pk=quote.pk).update(improving=True, solve_task_id="t-2", answer=unproven)
    settings.QUOTE_MAX_SECONDS = 30
    real = engine.quote

    def rep_accepts_meanwhile(board: Any, **kwargs: Any) -> Any:
        services.quote_accept(quote_id=quote.pk, accepted_by=shop.users["sales"])
        answer = real(board, **kwargs)
        assert answer.promise is not None
        # Even a much better answer found afterwards must not replace the accepted one.
        return replace(answer, promise=answer.promise - timedelta(days=30))

    monkeypatch.setattr(engine, "quote", rep_accepts_meanwhile)
    assert services.quote_improve(quote_id=quote.pk, task_id="t-2") == "accepted or cancelled"
    quote.refresh_from_db()
    assert quote.accepted_at is not None and not quote.improving
    assert quote.promise == shown
    if quote.order is not None:
        assert quote.order.promised_due == shown


def test_the_sweeper_ends_an_improvement_whose_worker_died(shop: Shop, settings: Any) -> None:
    settings.QUOTE_MAX_SECONDS = 0
    quote = _quote(shop)
    stale = timezone.now() - timedelta(seconds=settings.SOLVE_STALE_SECONDS + 5)
    Quote.objects.filter(pk=quote.pk).update(improving=True, heartbeat_at=stale)
    services.solves_sweep_stale()
    quote.refresh_from_db()
    assert not quote.improving and quote.status == Quote.Status.DONE
    assert quote.answer_status == "promised"  # the answer stands


def test_no_round_starts_while_another_quote_waits_for_a_worker(
    shop: Shop, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.QUOTE_MAX_SECONDS = 0
    quote = _quote(shop)
    unproven = dict(quote.answer or {}, proven_optimal=False)
    Quote.objects.filter(pk=quote.pk).update(improving=True, solve_task_id="t-3", answer=unproven)
    settings.QUOTE_MAX_SECONDS = 30
    # Another rep's quote, sent to the workers a second ago and not taken yet.
    Quote.objects.create(
        customer=shop.acme,
        product=shop.cylinder,
        quantity=1,
        created_by=shop.users["sales"],
        enqueued=True,
        enqueued_at=timezone.now() - timedelta(seconds=1),
    )
    rounds: list[Any] = []
    monkeypatch.setattr(engine, "quote", lambda *a, **k: rounds.append(k))
    assert services.quote_improve(quote_id=quote.pk, task_id="t-3") == "made way"
    assert rounds == []  # the worker is free for the waiting quote at once
    quote.refresh_from_db()
    assert not quote.improving and quote.status == Quote.Status.DONE


def test_a_kept_date_proven_earliest_still_improves_towards_fewer_moves(
    shop: Shop, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    # Proof is about how early the request can finish; an answer that keeps the requested
    # date while moving operations of other orders can still move fewer, so it keeps
    # improving (the demo shop's first answer moved 168; a few rounds later, 7-40).
    settings.QUOTE_MAX_SECONDS = 0
    quote = _quote(shop, requested_due=board_now() + timedelta(days=40))
    first = load_answer(quote.answer)
    assert first.earliest_completion is not None, "the requested date is kept"
    assert not first.moved, "a far date is kept without moving anything"
    rows = [r for r in first.schedule if r.order != first.request][:3]
    assert len(rows) == 3
    moving = tuple(
        MovedOperation(r.order, r.operation, r.start, r.start + timedelta(hours=1)) for r in rows
    )
    # Pretend the first answer was proven and moved three operations.
    stored = replace(first, proven_optimal=True, moved=moving)
    assert gains_left(stored)
    Quote.objects.filter(pk=quote.pk).update(
        answer=dump_answer(stored), improving=True, solve_task_id="t-4", improvements=[]
    )
    settings.QUOTE_MAX_SECONDS = 30
    real = engine.quote
    rounds: list[Any] = []

    def counted(board: Any, **kwargs: Any) -> Any:
        rounds.append(kwargs)
        return real(board, **kwargs)

    monkeypatch.setattr(engine, "quote", counted)
    assert services.quote_improve(quote_id=quote.pk, task_id="t-4") == "proven"
    assert len(rounds) == 1, "one round, then nothing is left to gain"
    quote.refresh_from_db()
    assert not quote.improving
    assert [entry["moved"] for entry in quote.improvements] == [0]
    assert not load_answer(quote.answer).moved and quote.promise == first.promise


def test_what_is_left_to_gain() -> None:
    now = timezone.now()
    moved = (MovedOperation("SO-1", "10", now, now + timedelta(hours=1)),)
    base = Answer(status="promised", request="Q-1", completion=now, promise=now + timedelta(days=3))
    kept = replace(base, earliest_completion=now)
    assert gains_left(replace(base, proven_optimal=False))
    assert not gains_left(replace(base, proven_optimal=True, moved=moved))  # earliest
    assert gains_left(replace(kept, proven_optimal=True, moved=moved))
    assert not gains_left(replace(kept, proven_optimal=True))  # nothing moved
