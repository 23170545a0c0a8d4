"""A portfolio quote (ENGINE_PORTFOLIO > 1) on two real Celery worker processes, PostgreSQL and
Redis: the members run at once on both workers, one verified answer is stored, the others are
revoked (the one still queued never solves: its row says so and a worker drops its message);
with ENGINE_PORTFOLIO = 1 the same stack solves with the single task, as before.

The workers are the ones test_worker.py starts (subprocesses on the test database and a Redis
database of this session's own).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from orders.models import Customer, Product
from quoting.models import PortfolioMember, Quote
from quoting.services.answers import request_from_doc
from scheduling import engine
from scheduling.boards import board_snapshot
from scheduling.engine.boardio import load_answer
from tests.quoting.conftest import import_generated_board
from tests.quoting.test_worker import (  # noqa: F401 - fixtures used by name
    Worker,
    as_user,
    broker,
    make_shop_users,
    start_worker,
    wait_for,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("flushable_promises"),
]

Member = PortfolioMember.Status


def _ready(worker: Worker) -> bool:
    return " ready." in worker.output()


def _settled(quote_id: int) -> Quote | None:
    quote = Quote.objects.get(pk=quote_id)
    if quote.status in (Quote.Status.QUEUED, Quote.Status.SOLVING) or quote.improving:
        return None
    if PortfolioMember.objects.filter(
        quote_id=quote_id, status__in=[Member.QUEUED, Member.SOLVING]
    ).exists():
        return None
    return quote


def _verified(quote: Quote) -> None:
    snapshot = board_snapshot(request=request_from_doc(quote.request_doc or {}))
    assert snapshot.version is not None and snapshot.version.pk == quote.schedule_version_id
    assert engine.verify(snapshot.board, load_answer(quote.answer)) == []


def test_a_portfolio_on_two_workers_stores_one_answer_and_revokes_the_others(
    request: pytest.FixtureRequest, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    start: Callable[..., Worker] = request.getfixturevalue("start_worker")
    import_generated_board(operations=300)
    sales = as_user(make_shop_users()["sales"])
    body = {
        "customer": Customer.objects.get(code="IMPORT").pk,
        "product": Product.objects.filter(code__startswith="IMPORT-").order_by("code")[0].pk,
        "quantity": 1,
    }
    # Short improvements: the test waits for the portfolio to settle.
    monkeypatch.setenv("QUOTE_MAX_SECONDS", "3")
    workers = [start(), start()]
    for worker in workers:
        wait_for(partial(_ready, worker), timeout=60, what="the worker to start", worker=worker)

    # Three members on two workers: two solve at once, the third waits in the queue.
    settings.ENGINE_PORTFOLIO = 3
    created = sales.post("/api/quotes/", body, format="json")
    assert created.status_code == 202 and created.json()["enqueued"] is True
    quote_id = created.json()["id"]
    quote = wait_for(
        lambda: _settled(quote_id), timeout=120, what="the portfolio to settle", worker=workers[0]
    )
    assert quote.status == Quote.Status.DONE, quote.error
    assert quote.answer_status == "promised" and quote.attempts == 1
    members = list(PortfolioMember.objects.filter(quote_id=quote_id).order_by("pk"))
    assert [(m.strategy, m.seed) for m in members] == [(0, 0), (1, 0), (2, 0)]
    states = [(m.strategy, m.status, m.worker, m.reason) for m in members]
    won = [m for m in members if m.status == Member.WON]
    assert len(won) == 1, states
    assert all(m.status == Member.REVOKED and m.reason for m in members if m not in won), states
    # The quote holds the winner's answer, verified on the board it was solved against.
    assert quote.solve_task_id == won[0].task_id
    assert won[0].promise is not None and quote.promise <= won[0].promise  # improved, never later
    _verified(quote)
    # Members 0 and 1 ran at the same time, one on each worker process.
    first, second, third = members
    assert first.worker and second.worker and first.worker != second.worker, states
    assert first.started_at and second.started_at and first.finished_at and second.finished_at
    assert first.started_at < second.finished_at and second.started_at < first.finished_at
    # Member 2 was still queued when the first answer was stored: revoked, it never solved.
    assert third.started_at is None and third.promise is None, states
    assert "not started" in third.reason
    # ... and Celery revoked its message too: the worker that received it dropped it.
    dropped = f"Discarding revoked task: quoting.solve_quote_member[{third.task_id}]"
    wait_for(
        lambda: any(dropped in w.output() for w in workers),
        timeout=60,
        what="a worker to drop the revoked member's message",
        worker=workers[0],
    )

    # ENGINE_PORTFOLIO = 1: the single solve_quote task, no members, as before.
    settings.ENGINE_PORTFOLIO = 1
    single = sales.post("/api/quotes/", body, format="json").json()["id"]
    plain = wait_for(
        lambda: _settled(single), timeout=120, what="the plain quote", worker=workers[0]
    )
    assert plain.status == Quote.Status.DONE and plain.answer_status == "promised", plain.error
    assert plain.attempts == 1
    assert not PortfolioMember.objects.filter(quote_id=single).exists()
    assert len(plain.solve_task_id) > 0 and plain.solve_task_id not in {m.task_id for m in members}
    _verified(plain)
