"""The quoting services, called directly, with Celery eager (tasks run at commit, in-process)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from orders.models import Order, Product, Promise
from quoting import services
from quoting.models import AuditEvent, Quote, ReplanProposal
from scheduling.boards import board_now, current_version
from scheduling.models import CapacityOption, ScheduleVersion
from tests.quoting.conftest import (
    Shop,
    committed_version,
    current_schedule_violations,
    make_shop,
    seed_orders,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("flushable_promises", "eager_celery"),
]


@pytest.fixture
def shop() -> Shop:  # transactional: the solve monitor's own connection must see the rows
    return make_shop()


def _quote(shop: Shop, *, product: Any = None, quantity: int = 5, **kwargs: Any) -> Quote:
    quote = services.quote_request_create(
        created_by=shop.users["sales"],
        customer_id=shop.acme.pk,
        product_id=(product or shop.cylinder).pk,
        quantity=quantity,
        **kwargs,
    )
    return Quote.objects.get(pk=quote.pk)


def _proposal_of(outcome: services.AcceptOutcome) -> ReplanProposal:
    assert outcome.proposal is not None, "expected a proposal, the quote committed at once"
    return ReplanProposal.objects.get(pk=outcome.proposal.pk)


def _order_of(outcome: services.AcceptOutcome) -> Order:
    assert outcome.order is not None, "expected a committed order"
    return Order.objects.get(pk=outcome.order.pk)


def test_quote_on_an_empty_shop_is_answered_and_commits_at_once(shop: Shop) -> None:
    quote = _quote(shop, requested_due=board_now() + timedelta(days=10))
    assert quote.status == Quote.Status.DONE, quote.error
    assert quote.answer_status == "promised"
    assert quote.enqueued and quote.attempts == 1
    assert quote.completion and quote.lower_bound and quote.request_doc
    buffer = timedelta(minutes=quote.request_doc["buffer_minutes"])
    assert quote.promise == quote.completion + buffer
    assert quote.lower_bound <= quote.completion
    assert quote.requested_due_feasible is True
    assert quote.moved_count == 0
    assert quote.schedule_version is None  # nothing was committed before
    assert quote.progress == 1.0 and quote.heartbeat_at is not None
    assert {o["id"] for o in quote.options} == {"MILL-NIGHT"}

    outcome = services.quote_accept(quote_id=quote.pk, accepted_by=shop.users["sales"])
    assert outcome.committed
    order = _order_of(outcome)
    assert order.promised_due == quote.promise
    assert list(order.promises.values_list("due", "kind")) == [(quote.promise, "initial")]
    version = committed_version()
    assert version.kind == ScheduleVersion.Kind.QUOTE and version.created_by == shop.users["sales"]
    assert current_schedule_violations() == []
    quote.refresh_from_db()
    assert quote.order == order and quote.committed_promise == outcome.promise
    assert AuditEvent.objects.filter(kind="quote_committed", quote=quote, order=order).exists()


def test_a_quote_commits_at_most_once(shop: Shop) -> None:
    quote = _quote(shop)
    services.quote_accept(quote_id=quote.pk, accepted_by=shop.users["sales"])
    with pytest.raises(services.QuotingConflict):
        services.quote_accept(quote_id=quote.pk, accepted_by=shop.users["sales"])
    assert Order.objects.count() == 1 and Promise.objects.count() == 1


def _busy_mill(shop: Shop) -> ScheduleVersion:
    due = board_now() + timedelta(days=21)
    return seed_orders(
        shop, [(f"SO-{100 + i}", shop.globex, shop.bracket, 30, due) for i in range(6)]
    )


def test_a_rush_order_that_moves_others_waits_for_the_scheduler(shop: Shop) -> None:
    seeded = _busy_mill(shop)
    quote = _quote(shop, quantity=10)
    assert quote.status == Quote.Status.DONE, quote.error
    assert quote.schedule_version == seeded
    assert quote.moved_count > 0
    # The diff names each moved operation with its minutes, and each touched order's slack.
    moved = quote.diff["moved"]
    assert len(moved) == quote.moved_count and all(m["minutes"] != 0 for m in moved)
    touched = {m["order"] for m in moved}
    assert {o["order"] for o in quote.diff["orders"]} == touched
    assert all(o["slack_after"] >= 0 for o in quote.diff["orders"])  # promises still kept

    outcome = services.quote_accept(quote_id=quote.pk, accepted_by=shop.users["sales"])
    assert not outcome.committed
    proposal = _proposal_of(outcome)
    assert proposal.status == ReplanProposal.Status.PENDING
    assert proposal.schedule_version == seeded and proposal.promise == quote.promise
    assert Order.objects.filter(code=quote.order_code).count() == 0
    assert current_version() == seeded  # nothing committed yet

    approved = services.replan_proposal_approve(
        proposal_id=proposal.pk, approved_by=shop.users["scheduler"]
    )
    order = _order_of(approved)
    assert order.promised_due == quote.promise
    version = committed_version()
    assert version.kind == ScheduleVersion.Kind.REPLAN and version.parent == seeded
    assert version.created_by == shop.users["scheduler"]
    assert current_schedule_violations() == []
    proposal.refresh_from_db()
    assert proposal.status == ReplanProposal.Status.APPROVED
    assert proposal.decided_by == shop.users["scheduler"] and proposal.committed_version == version
    # The committed plan is the proposal's plan: the moved operation sits where it said.
    first = moved[0]
    slot = version.operations.get(
        operation__order__code=first["order"], operation__sequence=int(first["operation"])
    )
    assert slot.start.isoformat().replace("+00:00", "Z") == first["to"]
    with pytest.raises(services.QuotingConflict):
        services.replan_proposal_approve(
            proposal_id=proposal.pk, approved_by=shop.users["scheduler"]
        )
    assert Order.objects.filter(code=quote.order_code).count() == 1


def test_accept_on_a_changed_board_is_refused_and_the_quote_re_solved(shop: Shop) -> None:
    first = _quote(shop)
    second = _quote(shop)
    assert first.schedule_version is None and second.schedule_version is None
    services.quote_accept(quote_id=first.pk, accepted_by=shop.users["sales"])
    won = current_version()

    with pytest.raises(services.QuoteStale) as stale:
        services.quote_accept(quote_id=second.pk, accepted_by=shop.users["sales"])
    assert stale.value.quote.pk == second.pk
    second.refresh_from_db()
    # Re-solved (eagerly, after the refusal committed) against the version that won.
    assert second.status == Quote.Status.DONE and second.attempts == 2
    assert second.schedule_version == won and second.accepted_at is None
    assert Order.objects.count() == 1
    assert AuditEvent.objects.filter(kind="quote_stale", quote=second).exists()

    services.quote_accept(quote_id=second.pk, accepted_by=shop.users["sales"])
    assert Order.objects.count() == 2
    assert current_schedule_violations() == []


def test_approving_a_stale_proposal_re_solves_it_and_commits_nothing(shop: Shop) -> None:
    seeded = _busy_mill(shop)
    rush = _quote(shop, quantity=10)
    proposal = _proposal_of(
        services.quote_accept(quote_id=rush.pk, accepted_by=shop.users["sales"])
    )
    assert proposal.status == ReplanProposal.Status.PENDING
    # Meanwhile another rep's small order commits: the board changes under the proposal.
    small = _quote(shop, product=shop.bracket, quantity=1)
    outcome = services.quote_accept(quote_id=small.pk, accepted_by=shop.users["sales"])
    if not outcome.committed:
        services.replan_proposal_approve(
            proposal_id=_proposal_of(outcome).pk, approved_by=shop.users["scheduler"]
        )
    moved_on = current_version()
    assert moved_on != seeded
    orders_before, promises_before = Order.objects.count(), Promise.objects.count()

    with pytest.raises(services.ProposalStale) as stale:
        services.replan_proposal_approve(
            proposal_id=proposal.pk, approved_by=shop.users["scheduler"]
        )
    assert "changed" in str(stale.value)
    assert (Order.objects.count(), Promise.objects.count()) == (orders_before, promises_before)
    assert current_version() == moved_on
    proposal.refresh_from_db()
    assert proposal.status == ReplanProposal.Status.PENDING  # re-solved: same proposal, new answer
    assert proposal.schedule_version == moved_on and proposal.resolve_count == 1
    assert AuditEvent.objects.filter(kind="proposal_stale", proposal=proposal).exists()

    approved = services.replan_proposal_approve(
        proposal_id=proposal.pk, approved_by=shop.users["scheduler"]
    )
    assert _order_of(approved).promised_due == proposal.promise
    assert current_schedule_violations() == []


def test_reject_needs_a_reason_and_records_who(shop: Shop) -> None:
    _busy_mill(shop)
    quote = _quote(shop, quantity=10)
    proposal = _proposal_of(
        services.quote_accept(quote_id=quote.pk, accepted_by=shop.users["sales"])
    )
    with pytest.raises(ValidationError):
        services.replan_proposal_reject(
            proposal_id=proposal.pk, rejected_by=shop.users["scheduler"], reason="  "
        )
    services.replan_proposal_reject(
        proposal_id=proposal.pk, rejected_by=shop.users["scheduler"], reason="Mill maintenance"
    )
    proposal.refresh_from_db()
    assert proposal.status == ReplanProposal.Status.REJECTED
    assert (proposal.decided_by, proposal.reject_reason) == (
        shop.users["scheduler"],
        "Mill maintenance",
    )
    with pytest.raises(services.QuotingConflict):
        services.replan_proposal_approve(
            proposal_id=proposal.pk, approved_by=shop.users["scheduler"]
        )
    assert Order.objects.filter(code=quote.order_code).count() == 0


def test_a_capacity_option_is_solved_in_and_applied_only_on_approval(shop: Shop) -> None:
    _busy_mill(shop)
    quote = _quote(shop, quantity=10)
    assert [o["id"] for o in quote.options] == ["MILL-NIGHT"]
    outcome = services.quote_accept(
        quote_id=quote.pk, accepted_by=shop.users["sales"], capacity_option_code="MILL-NIGHT"
    )
    proposal = _proposal_of(outcome)
    assert proposal.status == ReplanProposal.Status.PENDING, proposal.error
    assert proposal.capacity_option == shop.night_mill and proposal.resolve_count == 1
    shop.night_mill.refresh_from_db()
    assert shop.night_mill.status == CapacityOption.Status.AVAILABLE  # not before approval

    services.replan_proposal_approve(proposal_id=proposal.pk, approved_by=shop.users["scheduler"])
    shop.night_mill.refresh_from_db()
    assert shop.night_mill.status == CapacityOption.Status.APPLIED
    assert shop.night_mill.applied_by == shop.users["scheduler"]
    assert AuditEvent.objects.filter(
        kind="capacity_applied", capacity_option=shop.night_mill
    ).exists()
    assert Order.objects.get(code=quote.order_code).promised_due == proposal.promise
    assert current_schedule_violations() == []


def test_an_option_the_quote_did_not_evaluate_is_refused(shop: Shop) -> None:
    quote = _quote(shop, capacity_option_codes=[])
    other = CapacityOption.objects.create(
        code="SAW-OT", name="Saw overtime", work_center=shop.saw, cost=100
    )  # no windows: never offered to the engine
    with pytest.raises(ValidationError):
        services.quote_accept(
            quote_id=quote.pk, accepted_by=shop.users["sales"], capacity_option_code=other.code
        )
    assert ReplanProposal.objects.count() == 0 and Order.objects.count() == 0


def test_bad_quote_requests_write_nothing(shop: Shop) -> None:
    no_routing = Product.objects.create(code="EMPTY", name="No routing")
    with pytest.raises(ValidationError) as bad:
        services.quote_request_create(
            created_by=shop.users["sales"],
            customer_id=shop.acme.pk,
            product_id=no_routing.pk,
            quantity=0,
            capacity_option_codes=["NOPE"],
        )
    assert set(bad.value.message_dict) == {"product", "quantity", "capacity_options"}
    assert Quote.objects.count() == 0
