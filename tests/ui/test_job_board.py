"""Job board: the Gantt of the current schedule, buffer colours, proposals with their diff."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta
from typing import Any

import pytest

from orders.models import Order
from quoting.models import AuditEvent, Quote, ReplanProposal
from scheduling.boards import current_version
from scheduling.engine.boardio import dump_answer
from scheduling.engine.model import Answer
from scheduling.engine.model import ScheduledOperation as ScheduledRow
from scheduling.models import ScheduledOperation
from scheduling.selectors import buffer_status, job_board_for
from tests.factories import promise_again


@pytest.mark.parametrize(
    ("slack_minutes", "color"),
    [
        (3000, "green"),
        (1440, "green"),  # finishes exactly at the protected date: buffer untouched
        (1439, "yellow"),
        (600, "yellow"),
        (480, "red"),  # two thirds of the buffer eaten
        (0, "red"),
        (-60, "red"),
    ],
)
def test_buffer_status_by_buffer_consumed(slack_minutes: int, color: str) -> None:
    from django.utils import timezone

    due = timezone.now()
    status = buffer_status(
        promised_due=due,
        buffer_minutes=1440,
        projected_completion=due - timedelta(minutes=slack_minutes),
    )
    assert status.color == color
    assert status.slack_minutes == slack_minutes
    assert (status.label == "Late") == (slack_minutes < 0)


def test_board_draws_every_scheduled_operation_in_the_window(client_for: Any) -> None:
    slots = ScheduledOperation.objects.filter(version=current_version())
    first = min(s.start for s in slots)
    response = client_for("scheduler").get(f"/board/?window=2weeks&start={first:%Y-%m-%d}")
    html = response.content.decode()
    assert response.status_code == 200
    bars = re.findall(r'<div class="op [^"]*"[^>]*data-order="([^"]+)"', html)
    assert sorted(bars) == sorted(
        s.operation.order.code for s in slots.select_related("operation__order")
    )
    # Every work center has a row, and non-working time is shaded (two shifts: nights are off).
    for code in ("SAW", "MILL", "ASSY"):
        assert f'data-wc="{code}"' in html
    assert 'class="offshift' in html


def test_board_colours_an_order_eating_its_buffer(shop: Any) -> None:
    version = current_version()
    order = Order.objects.get(code="SO-1")
    last_end = max(
        s.end for s in ScheduledOperation.objects.filter(version=version, operation__order=order)
    )
    # Pretend the order had been promised tighter: half its buffer left after completion.
    promise_again(order, last_end + timedelta(minutes=order.buffer_minutes // 2))
    board = job_board_for(window="2weeks", start=last_end - timedelta(days=3))
    colours = {b.order_code: b.color for row in board.rows for b in row.bars}
    assert colours["SO-1"] == "yellow"
    assert colours["SO-2"] == "green"


def test_manager_sees_board_but_cannot_decide(client_for: Any) -> None:
    html = client_for("manager").get("/board/").content.decode()
    assert "Replan proposals" in html
    assert "proposal-approve" not in html


def _proposal(shop: Any) -> ReplanProposal:
    """A pending proposal row as the quoting service writes it (diff and answer from a solve)."""
    version = current_version()
    slot = ScheduledOperation.objects.filter(version=version, operation__order__code="SO-2").first()
    assert slot is not None
    quote = Quote.objects.create(
        customer=shop.acme,
        product=shop.bracket,
        quantity=3,
        created_by=shop.users["sales"],
        status=Quote.Status.DONE,
        answer_status="promised",
        schedule_version=version,
    )
    moved_to = slot.start + timedelta(hours=2)
    # A valid answer/1 document, as the engine writes it (the page reads it typed).
    answer = dump_answer(
        Answer(
            status="promised",
            request=quote.request_id,
            schedule=(
                ScheduledRow(
                    order="SO-2",
                    operation="10",
                    work_center="MILL",
                    start=moved_to,
                    end=moved_to + (slot.end - slot.start),
                ),
                ScheduledRow(
                    order=quote.request_id,
                    operation="10",
                    work_center="MILL",
                    start=slot.start,
                    end=slot.start + timedelta(hours=1),
                ),
            ),
        )
    )
    proposal = ReplanProposal.objects.create(
        quote=quote,
        status=ReplanProposal.Status.PENDING,
        created_by=shop.users["sales"],
        schedule_version=version,
        answer=answer,
        promise=slot.end + timedelta(days=2),
        diff={
            "moved": [{"order": "SO-2", "operation": "10", "minutes": 120}],
            "orders": [{"order": "SO-2", "slack_before": 9000, "slack_after": 8880}],
        },
        moved_count=1,
        resolve_count=1,
    )
    # The board changed under it once and it was re-solved (what the quoting service records).
    AuditEvent.objects.create(
        kind=AuditEvent.Kind.PROPOSAL_STALE, proposal=proposal, quote=quote, reason="test"
    )
    return proposal


def test_pending_proposal_shows_diff_and_before_after(client_for: Any, shop: Any) -> None:
    proposal = _proposal(shop)
    html = client_for("scheduler").get("/board/").content.decode()
    assert f'data-proposal="{proposal.pk}"' in html
    assert "SO-2/10" in html and "+2h" in html  # moved by two hours
    assert "re-solved \u00d71" in html
    assert f"/board/proposals/{proposal.pk}/approve/" in html
    assert proposal.answer is not None
    start = proposal.answer["schedule"][1]["start"][:10]
    shown = client_for("scheduler").get(f"/board/?window=week&start={start}&proposal={proposal.pk}")
    page = shown.content.decode()
    assert 'class="op green ghost"' in page or "ghost" in page  # SO-2 where it is now
    assert re.search(r'class="op [a-z]+ moved"[^>]*data-order="SO-2"', page)
    assert re.search(r'class="op [a-z]+ new"[^>]*data-order="' + proposal.quote.order_code, page)


def test_reject_needs_a_reason_and_keeps_the_proposal_pending(client_for: Any, shop: Any) -> None:
    proposal = _proposal(shop)
    client = client_for("scheduler")
    response = client.post(
        f"/board/proposals/{proposal.pk}/reject/", {f"reject-{proposal.pk}-reason": ""}
    )
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == ReplanProposal.Status.PENDING
    response = client.post(
        f"/board/proposals/{proposal.pk}/reject/",
        {f"reject-{proposal.pk}-reason": "customer can wait"},
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == ReplanProposal.Status.REJECTED
    assert proposal.reject_reason == "customer can wait"


def test_sales_cannot_approve(client_for: Any, shop: Any) -> None:
    proposal = _proposal(shop)
    assert client_for("sales").post(f"/board/proposals/{proposal.pk}/approve/").status_code == 403
    proposal.refresh_from_db()
    assert proposal.status == ReplanProposal.Status.PENDING


def test_board_names_orders_a_shop_floor_event_put_at_risk(client_for: Any) -> None:
    version = current_version()
    assert version is not None
    type(version).objects.filter(pk=version.pk).update(at_risk=["SO-1"])
    html = client_for("scheduler").get("/board/").content.decode()
    assert 'data-testid="version-at-risk"' in html
    assert "SO-1 now finishes after its protected date" in html


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)  # the solve's monitor thread reads committed rows
def test_approving_a_stale_proposal_re_solves_it_and_commits_that_with_the_approval(
    flushable_promises: None, client_for: Any, shop: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django.utils import timezone

    from config.celery import app as celery_app
    from quoting import services
    from scheduling.services.shop_floor import work_center_downtime_record

    eager = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = celery_app.conf.task_eager_propagates = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            quote = services.quote_request_create(
                created_by=shop.users["sales"],
                customer_id=shop.acme.pk,
                product_id=shop.cylinder.pk,
                quantity=3,
            )
        with django_capture_on_commit_callbacks(execute=True):
            outcome = services.quote_accept(
                quote_id=quote.pk,
                accepted_by=shop.users["sales"],
                capacity_option_code="MILL-NIGHT",
            )
        assert outcome.proposal is not None
        proposal = ReplanProposal.objects.get(pk=outcome.proposal.pk)
        assert proposal.status == ReplanProposal.Status.PENDING, proposal.error
        board = client_for("scheduler").get("/board/").content.decode()
        assert "re-solved" not in board  # solved once with its option: not a re-solve

        # The board changes under the proposal (a shop-floor event commits a new version).
        now = timezone.now()
        work_center_downtime_record(
            work_center_id=shop.saw.pk,
            start=now - timedelta(hours=2),
            end=now - timedelta(hours=1),
            reason="blade change",
            user=shop.users["scheduler"],
        )
        assert current_version() != proposal.schedule_version

        with django_capture_on_commit_callbacks(execute=True):
            response = client_for("scheduler").post(
                f"/board/proposals/{proposal.pk}/approve/", follow=True
            )
        page = response.content.decode()
        assert "has changed since, so it was not committed" in page
        assert "your approval stands" in page
        # Not forced: re-solved (eagerly) on the changed board, and that plan committed with
        # the scheduler's approval (its promise is no later than the rep's).
        proposal.refresh_from_db()
        assert proposal.status == ReplanProposal.Status.APPROVED, proposal.error
        assert proposal.resolve_count == 2 and proposal.committed_version == current_version()
        assert proposal.committed_version is not None
        assert proposal.committed_version.parent == proposal.schedule_version
        order = Order.objects.get(quote=proposal.quote)
        assert order.promised_due == proposal.promise
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = eager


def test_a_rejected_proposal_stays_in_the_history_with_its_reason(
    client_for: Any, shop: Any
) -> None:
    proposal = _proposal(shop)
    client = client_for("scheduler")
    before = client.get("/board/").content.decode()
    assert "No proposal has been approved or rejected yet." in before
    client.post(
        f"/board/proposals/{proposal.pk}/reject/",
        {f"reject-{proposal.pk}-reason": "customer can wait"},
    )
    page = client.get("/board/").content.decode()
    history = page[page.index('id="proposal-history"') :]
    assert f'data-proposal="{proposal.pk}"' in history
    assert "Rejected" in history and "Reason: customer can wait" in history


def test_board_search_box_is_prefilled_and_bars_carry_what_it_matches(client_for: Any) -> None:
    page = client_for("scheduler").get("/board/?q=SO-2").content.decode()
    assert 'id="board-search"' in page and 'value="SO-2"' in page
    assert 'data-order="SO-2"' in page  # what static/js/board.js highlights


def test_slack_means_the_same_on_a_bar_and_in_the_proposal_table(
    client_for: Any, shop: Any
) -> None:
    """One definition (protected date minus planned finish), stated on the page: the bar of an
    order and the proposal row for it show the same slack; promises to the hour in both."""
    from orders.templatetags.ui import minutes, promise_time
    from quoting.services.answers import replan_diff
    from scheduling.boards import board_snapshot
    from scheduling.engine import model as engine_model

    proposal = _proposal(shop)
    board = board_snapshot().board
    schedule = board.schedule or ()
    so2 = next(r for r in schedule if r.order == "SO-2")
    later = dataclasses.replace(
        so2, start=so2.start + timedelta(hours=2), end=so2.end + timedelta(hours=2)
    )
    answer = engine_model.Answer(
        status="promised",
        schedule=tuple(later if r is so2 else r for r in schedule),
        moved=(engine_model.MovedOperation("SO-2", so2.operation, so2.start, later.start),),
    )
    diff = replan_diff(board, answer)
    ReplanProposal.objects.filter(pk=proposal.pk).update(diff=diff)

    order = Order.objects.get(code="SO-2")
    last_end = max(r.end for r in schedule if r.order == "SO-2")
    protected = order.promised_due - timedelta(minutes=order.buffer_minutes)
    expected = minutes(int((protected - last_end).total_seconds() // 60))

    html = client_for("scheduler").get(f"/board/?window=2weeks&start={so2.start:%Y-%m-%d}")
    page = html.content.decode()
    bar_slack = re.search(r'data-order="SO-2"[^>]*data-slack="([^"]*)"', page)
    assert bar_slack is not None and bar_slack.group(1) == expected
    row = re.search(r"<tr><td>SO-2</td><td class=\"num\">([^<]*)</td>", page)
    assert row is not None and row.group(1) == expected
    assert page.count('data-testid="slack-hint"') == 2  # beside the bars and the table
    assert "promise minus its safety buffer" in page
    # Promises to the hour, as the quote pages write them.
    promise = re.search(r'data-order="SO-2"[^>]*data-promise="([^"]*)"', page)
    assert promise is not None and promise.group(1) == promise_time(order.promised_due)
    proposal.refresh_from_db()
    assert f"promise if approved <strong>{promise_time(proposal.promise)}</strong>" in page
