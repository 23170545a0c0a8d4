"""Repair of a board a breakdown broke, as a proposal: asked for by the scheduler, solved on a
worker with the repair time limit, approved (who moves, who becomes late), and then each order
that misses its promise is offered to the sales rep as a re-promise (old date, new date)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from orders.models import Order, Promise
from quoting import services
from quoting.models import AuditEvent, Quote, RepairProposal, ReplanProposal, RepromiseProposal
from scheduling.boards import board_now
from scheduling.engine.boardio import load_answer
from scheduling.engine.model import Answer
from scheduling.models import ScheduleVersion
from scheduling.selectors import board_health
from scheduling.services import ScheduleRejected, revalidation, schedule_commit, shop_floor
from tests.quoting.conftest import (
    Shop,
    current_schedule_violations,
    seed_one_order_each,
    seed_orders,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def broken(shop: Shop, settings: Any, monkeypatch: Any) -> Shop:
    """SO-1 and SO-2 need the mill, due in ten days; the mill is down for twelve. The report's
    own check is made to find nothing (as a short limit does on a big board), so the board is
    left broken for the repair to fix with the real engine."""
    settings.ENGINE_REPAIR_TIME_LIMIT = 2.0
    seed_one_order_each(shop)
    with monkeypatch.context() as patch:
        patch.setattr(
            revalidation,
            "board_check",
            lambda board: Answer(status="no_solution", message="no time left to search"),
        )
        now = board_now()
        result = shop_floor.work_center_downtime_record(
            work_center_id=shop.mill.pk,
            start=now,
            end=now + timedelta(days=12),
            reason="Spindle bearing failure",
            user=shop.users["scheduler"],
        )
    assert result.version is None and board_health().broken
    return shop


def _client(shop: Shop, who: str) -> Client:
    client = Client()
    client.force_login(shop.users[who])
    return client


# The task runs eagerly and closes its connections like a worker's: only committed rows survive.
WORKER = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("eager_celery", "flushable_promises"),
]


@WORKER[0]
@WORKER[1]
def test_repair_proposed_approved_and_re_promised(
    broken: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    shop = broken
    scheduler = _client(shop, "scheduler")
    board = scheduler.get("/board/").content.decode()
    assert "Repair: find the best schedule" in board

    with django_capture_on_commit_callbacks(execute=True):
        response = scheduler.post("/board/repair/", {"page": "board"})
    assert response.status_code == 302 and response["Location"] == "/board/"
    repair = RepairProposal.objects.get()
    assert repair.status == RepairProposal.Status.PENDING, repair.error
    assert repair.time_limit == 2.0
    late = {row["order"]: row for row in repair.late}
    assert set(late) == {"SO-1", "SO-2"}
    assert all(row["minutes_late"] > 0 for row in late.values())

    page = scheduler.get("/board/").content.decode()
    assert f"Repair #{repair.pk} found a schedule" in page
    assert "miss their promise" in page and "SO-1" in page
    promised_before = Order.objects.get(code="SO-1").promised_due

    response = scheduler.post(f"/board/repair/{repair.pk}/approve/", {"page": "floor"})
    assert response.status_code == 302 and response["Location"] == "/shop-floor/"
    repair.refresh_from_db()
    assert repair.status == RepairProposal.Status.APPROVED
    current = ScheduleVersion.objects.get(is_current=True)
    assert current == repair.committed_version and current.kind == ScheduleVersion.Kind.REPAIR
    assert sorted(current.at_risk) == ["SO-1", "SO-2"]
    assert not board_health().broken
    assert Order.objects.get(code="SO-1").promised_due == promised_before  # rep confirms first
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.REPAIR_APPROVED).count() == 1

    sales = _client(shop, "sales")
    listing = sales.get("/repromises/").content.decode()
    offer = RepromiseProposal.objects.get(order__code="SO-1")
    assert offer.old_due == promised_before and offer.new_due > offer.projected_completion
    assert f'data-repromise="{offer.pk}"' in listing and "Confirm new date" in listing
    response = sales.post(f"/repromises/{offer.pk}/confirm/")
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.status == RepromiseProposal.Status.CONFIRMED
    assert Order.objects.get(code="SO-1").promised_due == offer.new_due
    assert Promise.objects.filter(order__code="SO-1", kind=Promise.Kind.REPROMISE).exists()
    # Confirming twice changes nothing.
    assert sales.post(f"/repromises/{offer.pk}/confirm/").status_code == 302
    assert Promise.objects.filter(order__code="SO-1", kind=Promise.Kind.REPROMISE).count() == 1


@WORKER[0]
@WORKER[1]
def test_a_repair_solved_before_the_board_changed_is_not_committed(
    broken: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        repair = services.repair_request(requested_by=broken.users["scheduler"])
    repair.refresh_from_db()
    assert repair.status == RepairProposal.Status.PENDING
    # Another event lands a new current version under it.
    operation = Order.objects.get(code="SO-2").operations.get()
    shop_floor.operation_start(
        operation_id=operation.pk,
        work_center_id=broken.mill.pk,
        at=board_now() - timedelta(minutes=5),
        user=broken.users["scheduler"],
    )
    before = ScheduleVersion.objects.count()
    current = ScheduleVersion.objects.get(is_current=True)
    assert current.pk != repair.schedule_version_id, "the event changed the board under it"
    with pytest.raises(services.QuotingConflict, match="not committed"):
        services.repair_approve(repair_id=repair.pk, approved_by=broken.users["scheduler"])
    repair.refresh_from_db()
    assert repair.status == RepairProposal.Status.STALE
    assert ScheduleVersion.objects.count() == before


@WORKER[0]
@WORKER[1]
def test_only_a_scheduler_repairs_and_a_rejection_needs_a_reason(
    broken: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    assert _client(broken, "sales").post("/board/repair/").status_code == 403
    assert _client(broken, "manager").post("/board/repair/").status_code == 403
    assert RepairProposal.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        repair = services.repair_request(requested_by=broken.users["scheduler"])
    scheduler = _client(broken, "scheduler")
    scheduler.post(f"/board/repair/{repair.pk}/reject/", {"reason": ""})
    repair.refresh_from_db()
    assert repair.status == RepairProposal.Status.PENDING
    scheduler.post(f"/board/repair/{repair.pk}/reject/", {"reason": "we add a shift instead"})
    repair.refresh_from_db()
    assert repair.status == RepairProposal.Status.REJECTED
    assert repair.reject_reason == "we add a shift instead"
    assert board_health().broken  # nothing committed


def test_nothing_to_repair_on_a_board_that_fits_reality(shop: Shop) -> None:
    seed_orders(shop, [("SO-1", shop.acme, shop.cylinder, 5, board_now() + timedelta(days=10))])
    with pytest.raises(services.QuotingConflict, match="nothing to repair"):
        services.repair_request(requested_by=shop.users["scheduler"])


@WORKER[0]
@WORKER[1]
def test_quotes_keep_working_while_the_board_is_broken(
    broken: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    """The mill is down for twelve days and no schedule keeps SO-1's and SO-2's promises: a
    new quote is made against the least-late repair (those two at risk, no later than the
    repair makes them), goes to the scheduler even so, and its approval commits the repair with
    the new order; the two at-risk orders get re-promise proposals, their promises untouched."""
    shop = broken
    promised_before = dict(Order.objects.values_list("code", "promised_due"))
    with django_capture_on_commit_callbacks(execute=True):
        quote = services.quote_request_create(
            created_by=shop.users["sales"],
            customer_id=shop.acme.pk,
            product_id=shop.cylinder.pk,
            quantity=2,
        )
    quote.refresh_from_db()
    assert quote.status == Quote.Status.DONE, quote.error
    assert quote.answer_status == "promised", quote.message
    assert quote.answer is not None and sorted(quote.answer["at_risk"]) == ["SO-1", "SO-2"]
    assert not quote.improving  # which orders stay at risk is the scheduler's call
    page = _client(shop, "sales").get(f"/quotes/{quote.pk}/").content.decode()
    assert 'data-testid="against-repair"' in page and "SO-1" in page

    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.quote_accept(quote_id=quote.pk, accepted_by=shop.users["sales"])
    assert not outcome.committed and outcome.proposal is not None
    proposal = ReplanProposal.objects.get(pk=outcome.proposal.pk)
    if proposal.status == ReplanProposal.Status.AWAITING_REP:
        services.replan_proposal_confirm_later(
            proposal_id=proposal.pk, confirmed_by=shop.users["sales"]
        )
        proposal.refresh_from_db()
    assert proposal.status == ReplanProposal.Status.PENDING, proposal.error
    assert board_health().broken  # nothing committed before the scheduler approves

    services.replan_proposal_approve(proposal_id=proposal.pk, approved_by=shop.users["scheduler"])
    current = ScheduleVersion.objects.get(is_current=True)
    assert current.kind == ScheduleVersion.Kind.REPLAN
    assert sorted(current.at_risk) == ["SO-1", "SO-2"]
    assert not board_health().broken
    assert current_schedule_violations(accept_late=("SO-1", "SO-2")) == []
    quote.refresh_from_db()
    assert quote.order is not None and quote.order.promised_due == proposal.promise
    for code in ("SO-1", "SO-2"):  # a promise changes only when its rep confirms
        assert Order.objects.get(code=code).promised_due == promised_before[code]
    offers = RepromiseProposal.objects.filter(replan=proposal).order_by("order__code")
    assert [o.order.code for o in offers] == ["SO-1", "SO-2"]
    assert all(o.new_due > o.old_due and o.repair is None for o in offers)

    # The gate accepts late orders in a replan only while reality has broken the board.
    answer = load_answer(proposal.answer)
    assert proposal.board_now is not None
    for kind in (ScheduleVersion.Kind.REPLAN, ScheduleVersion.Kind.QUOTE):
        with pytest.raises(ScheduleRejected):
            schedule_commit(
                expected_version_id=current.pk,
                now=proposal.board_now,
                answer=answer,
                kind=kind,
                reason="again",
                created_by=None,
                accept_late=["SO-1"],
            )


@WORKER[0]
@WORKER[1]
def test_a_quote_on_a_broken_board_uses_the_repair_solved_in_the_background(
    broken: Shop, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    """The quote's own second finds no repair at all (as on a big board); the scheduler's
    background repair, waiting for approval, is what the quote is made against."""
    from scheduling.engine import solver
    from scheduling.engine.existing import Existing

    shop = broken
    with django_capture_on_commit_callbacks(execute=True):
        services.repair_request(requested_by=shop.users["scheduler"])
    repair = RepairProposal.objects.get()
    assert repair.status == RepairProposal.Status.PENDING, repair.error
    background = {row["order"]: row for row in repair.late}

    monkeypatch.setattr(
        solver,
        "existing_schedule",
        lambda *args, **kwargs: Existing(None, [], "no time left", least_late=None),
    )
    with django_capture_on_commit_callbacks(execute=True):
        quote = services.quote_request_create(
            created_by=shop.users["sales"],
            customer_id=shop.acme.pk,
            product_id=shop.cylinder.pk,
            quantity=2,
        )
    quote.refresh_from_db()
    assert quote.answer_status == "promised", quote.message
    assert quote.answer is not None
    assert sorted(quote.answer["at_risk"]) == sorted(background)
    ends: dict[str, str] = {}
    for row in quote.answer["schedule"]:
        ends[row["order"]] = max(ends.get(row["order"], ""), row["end"])
    for code, row in background.items():  # no order at risk later than the repair makes it
        assert datetime.fromisoformat(ends[code]) <= datetime.fromisoformat(row["projected"])
