"""Transient database and broker faults inside the solve tasks (issue 17).

A lost connection is retried in place with a pause, the final write included, and never shown
to the rep as a driver's message; an error that outlasts the retries leaves the row to the
sweeper instead of failing the quote.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import InterfaceError, OperationalError
from django.db.models.query import QuerySet

from quoting import services
from quoting.models import Quote, ReplanProposal
from quoting.services import engine_runs, proposal_solving, quote_solving, transient
from tests.quoting.conftest import Shop

# Transactional: the solve monitor's own connection must see the rows, and the sweeper's
# re-enqueue runs on commit.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("flushable_promises", "eager_celery"),
]

DROPPED = "server closed the connection unexpectedly"


@pytest.fixture(autouse=True)
def _short_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transient, "FIRST_PAUSE", 0.01)
    monkeypatch.setattr(transient, "LONGEST_PAUSE", 0.02)


def _request(shop: Shop) -> Quote:
    """A quote row as the API stores it, not yet solved."""
    return Quote.objects.create(
        customer=shop.acme, product=shop.cylinder, quantity=5, created_by=shop.users["sales"]
    )


def _fail_first(real: Any, calls: list[int], exc: BaseException, times: int = 1) -> Any:
    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) <= times:
            raise exc
        return real(*args, **kwargs)

    return flaky


def test_a_dropped_connection_before_the_solve_is_retried(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = quote_solving.consistent_snapshot
    monkeypatch.setattr(
        quote_solving, "consistent_snapshot", _fail_first(real, calls, OperationalError(DROPPED))
    )
    quote = _request(shop)
    assert services.quote_solve(quote_id=quote.pk, task_id="t") == Quote.Status.DONE
    quote.refresh_from_db()
    assert len(calls) == 2
    assert quote.status == Quote.Status.DONE and quote.answer_status == "promised"
    assert quote.error == "" and quote.attempts == 1 and quote.worker_deaths == 0


def test_the_final_write_is_retried_without_solving_again(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    solves: list[int] = []
    real_engine = quote_solving.engine_quote

    def counted(*args: Any, **kwargs: Any) -> Any:
        solves.append(1)
        return real_engine(*args, **kwargs)

    monkeypatch.setattr(quote_solving, "engine_quote", counted)
    real_update = QuerySet.update
    failed: list[int] = []

    def update(self: QuerySet[Any], **kwargs: Any) -> int:
        if kwargs.get("status") == Quote.Status.DONE and not failed:
            failed.append(1)
            raise InterfaceError("connection already closed")
        return real_update(self, **kwargs)

    monkeypatch.setattr(QuerySet, "update", update)
    quote = _request(shop)
    assert services.quote_solve(quote_id=quote.pk, task_id="t") == Quote.Status.DONE
    quote.refresh_from_db()
    assert failed == [1] and len(solves) == 1  # the answer was kept, only the write repeated
    assert quote.status == Quote.Status.DONE and quote.answer is not None


def test_a_fault_that_outlasts_the_retries_leaves_the_row_to_the_sweeper(
    shop: Shop, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    # Short pauses within a short limit: several retries, however long one try takes under
    # load (with the 0.25 s first pause and 0.1 s, a slow first try left room for none).
    monkeypatch.setattr(transient, "FIRST_PAUSE", 0.01)
    monkeypatch.setattr(transient, "LONGEST_PAUSE", 0.02)
    monkeypatch.setattr(transient, "RETRY_SECONDS", 0.6)
    calls: list[int] = []
    real = quote_solving.consistent_snapshot
    monkeypatch.setattr(
        quote_solving,
        "consistent_snapshot",
        _fail_first(real, calls, OperationalError(DROPPED), times=10_000),
    )
    quote = _request(shop)
    with pytest.raises(OperationalError):
        services.quote_solve(quote_id=quote.pk, task_id="t")
    quote.refresh_from_db()
    # Not failed, and nothing of the driver's text for the rep: still the worker's, until the
    # sweeper sees no heartbeat and sends it to a new run.
    assert quote.status == Quote.Status.SOLVING and DROPPED not in quote.error
    assert "OperationalError" not in quote.error and len(calls) > 1

    monkeypatch.setattr(quote_solving, "consistent_snapshot", real)  # the database is back
    settings.SOLVE_STALE_SECONDS = 10
    Quote.objects.filter(pk=quote.pk).update(heartbeat_at=None)
    report = services.solves_sweep_stale()
    assert report.retried == [quote.pk]
    quote.refresh_from_db()
    assert quote.status == Quote.Status.DONE and quote.worker_deaths == 1


def test_a_proposal_re_solve_retries_a_dropped_connection(
    shop: Shop, busy_mill: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    quote = _request(shop)
    Quote.objects.filter(pk=quote.pk).update(quantity=10)
    services.quote_solve(quote_id=quote.pk, task_id="q")
    calls: list[int] = []
    real = proposal_solving.consistent_snapshot
    monkeypatch.setattr(
        proposal_solving, "consistent_snapshot", _fail_first(real, calls, OperationalError(DROPPED))
    )
    outcome = services.quote_accept(quote_id=quote.pk, accepted_by=shop.users["sales"])
    assert outcome.proposal is not None
    proposal = ReplanProposal.objects.get(pk=outcome.proposal.pk)
    assert len(calls) == 2
    assert proposal.status == ReplanProposal.Status.PENDING and proposal.error == ""


def test_transient_faults_are_told_apart_from_bugs() -> None:
    from kombu.exceptions import OperationalError as BrokerDown

    try:
        try:
            raise OperationalError(DROPPED)
        except OperationalError as exc:
            raise RuntimeError("while storing the answer") from exc
    except RuntimeError as wrapped:
        assert transient.is_transient(wrapped)
    assert transient.is_transient(BrokerDown("connection refused"))
    assert not transient.is_transient(ValueError("product has no routing"))
    assert engine_runs.describe_failure(OperationalError(DROPPED)) == (
        "the connection to the database was lost; it is being retried"
    )
