"""Approvals do not starve on a board that keeps changing (issue 17), on PostgreSQL.

Four schedulers' threads approve four rush proposals at once while the board keeps changing
under every re-solve: each time a proposal is solved again, another commit (a re-promise of an
unrelated order, as a scheduler elsewhere would make) lands before the re-solve can be
approved. Without the lease each re-solved proposal came back stale on the next click, forever
(and failed after ten re-solves). With it, the approval stands for the re-solve, which commits
under a lock on the current version when the board moved again, so every proposal ends
approved after one click, and the board stays valid.
"""

from __future__ import annotations

import itertools
import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from orders.models import Order
from quoting import services
from quoting.models import Quote, ReplanProposal
from quoting.services import proposal_solving, quote_solving
from scheduling.boards import board_now
from scheduling.models import ScheduleVersion
from tests.quoting.conftest import Shop, current_schedule_violations, make_shop, seed_orders

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("flushable_promises", "eager_celery"),
]

RUSH_ORDERS = 4
# Each proposal may come back to its rep once per rush order committed before it (they all
# want the same mill slot, so its promise can get later each time); past that, give up.
CLICKS = RUSH_ORDERS + 2


class Churn:
    """While on, every proposal re-solve is followed by another commit on the board: a
    re-promise (one hour later) of SO-CHURN, made by another thread, so the re-solved plan is
    stale before anyone can approve it. Under the lease that commit waits for the lock; the
    re-solve then goes on after a bounded wait."""

    def __init__(self, order: Order, user: Any) -> None:
        self.order = order
        self.user = user
        self.on = False
        self.landed = 0
        self._lock = threading.Lock()

    def _repromise(self) -> None:
        try:
            with self._lock:
                due = Order.objects.get(pk=self.order.pk).promised_due + timedelta(hours=1)
                services.order_repromise(
                    order_id=self.order.pk,
                    due=due,
                    reason="customer moved it",
                    repromised_by=self.user,
                )
                self.landed += 1
        except services.QuotingConflict:
            pass  # the board changed under the re-promise itself: fine, it changed
        finally:
            connection.close()

    def after_solve(self) -> None:
        if self.on:
            thread = threading.Thread(target=self._repromise)
            thread.start()
            thread.join(timeout=3)  # under a lease it waits for the lock; go on without it


def _approve_until_decided(proposal_id: int, shop: Shop, clicks: list[tuple[int, str]]) -> None:
    """A scheduler approving (and the rep confirming a later promise when asked) until the
    proposal is decided; records the proposal's status right after each approval."""
    try:
        for _ in range(CLICKS):
            proposal = ReplanProposal.objects.get(pk=proposal_id)
            if proposal.status == ReplanProposal.Status.AWAITING_REP:
                services.replan_proposal_confirm_later(
                    proposal_id=proposal_id, confirmed_by=shop.users["sales"]
                )
            elif proposal.status != ReplanProposal.Status.PENDING:
                return  # decided
            try:
                services.replan_proposal_approve(
                    proposal_id=proposal_id, approved_by=shop.users["scheduler"]
                )
            except services.ProposalStale:
                pass  # re-solved on the eager worker: decided by now, see below
            clicks.append((proposal_id, ReplanProposal.objects.get(pk=proposal_id).status))
    finally:
        connection.close()


def test_concurrent_approvals_on_a_changing_board_all_end_decided(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert connection.vendor == "postgresql"
    due = board_now() + timedelta(days=21)
    specs = [(f"SO-{100 + i}", shop.globex, shop.bracket, 30, due) for i in range(6)]
    seed_orders(shop, [*specs, ("SO-CHURN", shop.acme, shop.bracket, 1, due)])
    churn = Churn(Order.objects.get(code="SO-CHURN"), shop.users["scheduler"])
    real_engine_quote = proposal_solving.engine_quote

    def churning_engine_quote(*args: Any, **kwargs: Any) -> Any:
        answer = real_engine_quote(*args, **kwargs)
        churn.after_solve()
        return answer

    monkeypatch.setattr(quote_solving, "engine_quote", churning_engine_quote)
    monkeypatch.setattr(proposal_solving, "engine_quote", churning_engine_quote)

    proposals = []
    for _ in range(RUSH_ORDERS):
        # Wanted in three days: in front of some of the mill's work (so a replan), with slack
        # (a promise at the earliest completion would start at "now" and be late a minute
        # later, which is not what this test is about).
        quote = services.quote_request_create(
            created_by=shop.users["sales"],
            customer_id=shop.acme.pk,
            product_id=shop.cylinder.pk,
            quantity=10,
            requested_due=board_now() + timedelta(days=3),
        )
        outcome = services.quote_accept(quote_id=quote.pk, accepted_by=shop.users["sales"])
        assert outcome.proposal is not None, "a rush order in front of a busy mill moves others"
        proposals.append(outcome.proposal.pk)
    assert set(ReplanProposal.objects.values_list("status", flat=True)) == {"pending"}

    churn.on = True
    clicks: list[tuple[int, str]] = []
    threads = [
        threading.Thread(target=_approve_until_decided, args=(pk, shop, clicks)) for pk in proposals
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    churn.on = False

    assert churn.landed > 0  # the board really did change under the re-solves
    for pk in proposals:
        proposal = ReplanProposal.objects.select_related("quote__order").get(pk=pk)
        after = [status for clicked, status in clicks if clicked == pk]
        assert proposal.status == ReplanProposal.Status.APPROVED, (
            f"proposal {pk} is {proposal.status} after approvals leaving it {after}, "
            f"{proposal.resolve_count} re-solves: {proposal.error}"
        )
        # Every approval decided the proposal at once: committed, or back to the rep for a
        # later promise; never "re-solved, approve it again" on a board that moves on.
        assert set(after) <= {"approved", "awaiting_rep"}, after
        rush: Quote = proposal.quote
        assert rush.order is not None and rush.promise is not None
        # Committed at the proposal's promise, never later than the one the rep accepted.
        assert rush.order.promised_due == proposal.promise
        agreed = proposal.rep_confirmed_promise or rush.promise
        assert proposal.promise is not None and proposal.promise <= agreed
    # One commit per version, in a chain: nothing overtook a commit under its lease.
    committed = [ReplanProposal.objects.get(pk=pk).committed_version_id for pk in proposals]
    assert len(set(committed)) == RUSH_ORDERS
    versions = list(ScheduleVersion.objects.order_by("number"))
    assert all(v.parent_id == prev.pk for prev, v in itertools.pairwise(versions))
    assert current_schedule_violations() == []


@pytest.fixture
def shop() -> Shop:
    return make_shop()


@pytest.fixture(autouse=True)
def _no_fair_share(settings: Any) -> None:
    # As in test_concurrency: several threads re-solve at once; a fair share cut down to
    # ENGINE_MIN_TIME_LIMIT could find nothing, which this test is not about.
    settings.ENGINE_MIN_TIME_LIMIT = settings.ENGINE_TIME_LIMIT
