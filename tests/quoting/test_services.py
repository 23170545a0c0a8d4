"""The quoting services, called directly, with Celery eager (tasks run at commit, in-process)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from kombu.exceptions import OperationalError as KombuOperationalError

from orders.models import Customer, Order, Product, Promise, RoutingStep
from quoting import services, tasks
from quoting.models import AuditEvent, Quote, ReplanProposal
from quoting.selectors import date_requests_open, order_history
from quoting.services import SolveMonitor, accepting, engine_runs
from quoting.services import monitor as solve_monitor
from scheduling import engine
from scheduling.boards import board_now, current_version
from scheduling.engine.boardio import load_answer
from scheduling.models import CapacityOption, ScheduleVersion
from tests.quoting.conftest import (
    Shop,
    committed_version,
    current_schedule_violations,
    import_generated_board,
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


def _engine_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The keyword arguments of every engine.quote call the services make from now on (the
    calls still run)."""
    calls: list[dict[str, Any]] = []
    real = engine.quote

    def recording(board: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(board, **kwargs)

    monkeypatch.setattr(engine, "quote", recording)
    return calls


def _order_of(outcome: services.AcceptOutcome) -> Order:
    assert outcome.order is not None, "expected a committed order"
    return Order.objects.get(pk=outcome.order.pk)


def test_quote_on_an_empty_shop_is_answered_and_commits_at_once(shop: Shop) -> None:
    requested = (board_now() + timedelta(days=10)).replace(second=0, microsecond=0)
    quote = _quote(shop, requested_due=requested)
    assert quote.status == Quote.Status.DONE, quote.error
    assert quote.answer_status == "promised"
    assert quote.enqueued and quote.attempts == 1
    assert quote.completion and quote.lower_bound and quote.request_doc
    buffer = timedelta(minutes=quote.request_doc["buffer_minutes"])
    # The requested date can be met, so it is the promise (the schedule keeps it) ...
    assert quote.promise == requested
    assert quote.completion + buffer <= quote.promise
    # ... and the answer says how early it could be instead.
    assert quote.earliest_promise is not None and quote.earliest_promise <= quote.promise
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
    assert Order.objects.filter(quote=quote).count() == 0
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
    assert Order.objects.filter(quote=quote).count() == 1


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


def test_approving_a_stale_proposal_re_solves_it_and_the_approval_stands(shop: Shop) -> None:
    seeded = _busy_mill(shop)
    rush = _quote(shop, quantity=10)
    proposal = _proposal_of(
        services.quote_accept(quote_id=rush.pk, accepted_by=shop.users["sales"])
    )
    assert proposal.status == ReplanProposal.Status.PENDING and proposal.resolve_count == 1
    assert proposal.schedule_version == seeded
    stale_answer = proposal.answer
    # Meanwhile another rep's small order commits: the board changes under the proposal.
    small = _quote(shop, product=shop.bracket, quantity=1)
    outcome = services.quote_accept(quote_id=small.pk, accepted_by=shop.users["sales"])
    if not outcome.committed:
        services.replan_proposal_approve(
            proposal_id=_proposal_of(outcome).pk, approved_by=shop.users["scheduler"]
        )
    moved_on = current_version()
    assert moved_on != seeded
    orders_before = Order.objects.count()

    with pytest.raises(services.ProposalStale) as stale:
        services.replan_proposal_approve(
            proposal_id=proposal.pk, approved_by=shop.users["scheduler"]
        )
    assert "changed" in str(stale.value) and "approval stands" in str(stale.value)
    assert AuditEvent.objects.filter(kind="proposal_stale", proposal=proposal).exists()
    # The stale plan was not forced: it was solved again on the changed board (eager worker)
    # and that plan, not the stale one, was committed with the scheduler's approval, since
    # its promise is no later than the one the rep accepted.
    proposal.refresh_from_db()
    assert proposal.status == ReplanProposal.Status.APPROVED, proposal.error
    assert proposal.decided_by == shop.users["scheduler"] and proposal.resolve_count == 2
    assert proposal.schedule_version == moved_on and proposal.answer != stale_answer
    committed = proposal.committed_version
    assert committed is not None and committed.parent == moved_on
    assert Order.objects.count() == orders_before + 1
    rush.refresh_from_db()
    assert rush.order is not None and rush.order.promised_due == proposal.promise
    assert proposal.promise is not None and rush.promise is not None
    assert proposal.promise <= rush.promise
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
    assert Order.objects.filter(quote=quote).count() == 0


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
    assert Order.objects.get(quote=quote).promised_due == proposal.promise
    assert current_schedule_violations() == []


def test_the_option_re_solve_starts_from_the_quote_s_schedule(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    _busy_mill(shop)
    quote = _quote(shop, quantity=10)
    calls = _engine_calls(monkeypatch)
    outcome = services.quote_accept(
        quote_id=quote.pk, accepted_by=shop.users["sales"], capacity_option_code="MILL-NIGHT"
    )
    proposal = _proposal_of(outcome)
    assert proposal.status == ReplanProposal.Status.PENDING, proposal.error
    # valid with more capacity too
    assert [c["warm_start"] for c in calls] == [load_answer(quote.answer).schedule]
    assert proposal.completion is not None and quote.completion is not None
    assert proposal.completion <= quote.completion


def test_a_proposal_is_polished_before_the_scheduler_sees_it(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    _busy_mill(shop)
    quote = _quote(shop, quantity=10)
    assert quote.moved_count > 0
    handed = _engine_calls(monkeypatch)
    proposal = _proposal_of(
        services.quote_accept(quote_id=quote.pk, accepted_by=shop.users["sales"])
    )
    assert proposal.status == ReplanProposal.Status.PENDING, proposal.error
    assert proposal.resolve_count == 1 and len(handed) == 1
    assert handed[0]["keep_completion"] is True
    assert handed[0]["warm_start"] == load_answer(quote.answer).schedule
    assert (proposal.completion, proposal.promise) == (quote.completion, quote.promise)
    assert proposal.moved_count <= quote.moved_count


def test_a_polish_makes_way_for_a_quote_waiting_for_a_worker(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    _busy_mill(shop)
    quote = _quote(shop, quantity=10)
    # Another rep's quote went to the workers a second ago and none has taken it.
    Quote.objects.create(
        customer=shop.globex,
        product=shop.bracket,
        quantity=1,
        created_by=shop.users["sales"],
        enqueued=True,
        enqueued_at=timezone.now() - timedelta(seconds=1),
    )
    original = engine.quote
    gave_way: list[bool] = []

    def long_polish(board: Any, **kwargs: Any) -> Any:
        # Stands in for a polish that would run its full time: it runs until told to stop.
        deadline = time.monotonic() + 20
        while not kwargs["cancel"]() and time.monotonic() < deadline:
            time.sleep(0.05)
        gave_way.append(kwargs["cancel"]())
        return original(board, **kwargs)

    monkeypatch.setattr(engine, "quote", long_polish)
    proposal = _proposal_of(
        services.quote_accept(quote_id=quote.pk, accepted_by=shop.users["sales"])
    )
    assert gave_way == [True]
    assert proposal.status == ReplanProposal.Status.PENDING, proposal.error
    assert (proposal.completion, proposal.promise) == (quote.completion, quote.promise)
    assert (proposal.answer or {}).get("message") == "polish cut short: quotes were waiting"


def test_only_a_quote_left_waiting_makes_a_polish_give_way(shop: Shop) -> None:
    def waiting(**fields: Any) -> bool:
        Quote.objects.all().delete()
        Quote.objects.create(
            customer=shop.acme,
            product=shop.bracket,
            quantity=1,
            created_by=shop.users["sales"],
            **fields,
        )
        return solve_monitor.quotes_waiting()

    a_second_ago = timezone.now() - timedelta(seconds=1)
    assert waiting(enqueued=True, enqueued_at=a_second_ago)
    assert not waiting(enqueued=True, enqueued_at=timezone.now())  # a worker may take it now
    assert not waiting(enqueued=False)  # broker down: no worker would take it anyway
    assert not waiting(enqueued=True, enqueued_at=a_second_ago, status=Quote.Status.SOLVING)


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


def _stored_quote(shop: Shop, **fields: Any) -> Quote:
    """A quote row as the API would store it, without enqueueing anything."""
    return Quote.objects.create(
        customer=shop.acme,
        product=fields.pop("product", shop.cylinder),
        quantity=fields.pop("quantity", 5),
        created_by=shop.users["sales"],
        **fields,
    )


def test_cancel_stops_a_running_solve_promptly(settings: Any) -> None:
    import_generated_board(operations=300)
    settings.ENGINE_TIME_LIMIT = 30.0  # would run for 30 s if the cancel were not honoured
    users = make_shop().users
    quote = Quote.objects.create(
        customer=Customer.objects.get(code="IMPORT"),
        product=Product.objects.filter(code__startswith="IMPORT-").order_by("code")[0],
        quantity=1,
        created_by=users["sales"],
    )
    outcome: list[str] = []
    worker = threading.Thread(
        target=lambda: outcome.append(services.quote_solve(quote_id=quote.pk, task_id="t-1"))
    )
    worker.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            quote.refresh_from_db()
            if quote.status == Quote.Status.SOLVING and quote.progress > 0:
                break
            time.sleep(0.05)
        assert quote.status == Quote.Status.SOLVING and quote.heartbeat_at is not None
        services.quote_cancel(quote_id=quote.pk)
        asked = time.monotonic()
        worker.join(timeout=10)
        stopped = time.monotonic() - asked
    finally:
        worker.join()
    quote.refresh_from_db()
    assert outcome == [Quote.Status.CANCELLED] and quote.status == Quote.Status.CANCELLED
    assert stopped < 3.0, f"the solver took {stopped:.1f} s to stop"
    with pytest.raises(services.QuotingConflict):
        services.quote_cancel(quote_id=quote.pk)


def test_cancel_of_a_queued_quote_is_immediate_and_its_task_does_nothing(shop: Shop) -> None:
    quote = _stored_quote(shop)
    services.quote_cancel(quote_id=quote.pk)
    assert services.quote_solve(quote_id=quote.pk, task_id="late") == "skipped"
    quote.refresh_from_db()
    assert quote.status == Quote.Status.CANCELLED and quote.attempts == 0


def test_a_redelivered_task_for_an_answered_quote_does_nothing(shop: Shop) -> None:
    quote = _quote(shop)
    answer = quote.answer
    assert services.quote_solve(quote_id=quote.pk, task_id="another-delivery") == "skipped"
    quote.refresh_from_db()
    assert quote.status == Quote.Status.DONE and quote.attempts == 1 and quote.answer == answer


def test_a_redelivery_after_the_worker_died_takes_the_quote_over(shop: Shop) -> None:
    # The first delivery claimed the row and its worker died (nothing else touched the row).
    quote = _stored_quote(
        shop,
        status=Quote.Status.SOLVING,
        solve_task_id="task-7",
        attempts=1,
        heartbeat_at=timezone.now(),
    )
    assert services.quote_solve(quote_id=quote.pk, task_id="task-7") == Quote.Status.DONE
    quote.refresh_from_db()
    assert quote.status == Quote.Status.DONE and quote.attempts == 2
    # A different message for a row another run holds is not allowed to take it.
    held = _stored_quote(
        shop,
        status=Quote.Status.SOLVING,
        solve_task_id="task-8",
        attempts=1,
        heartbeat_at=timezone.now(),
    )
    assert services.quote_solve(quote_id=held.pk, task_id="task-9") == "skipped"
    held.refresh_from_db()
    assert held.status == Quote.Status.SOLVING and held.solve_task_id == "task-8"


def test_the_sweeper_retries_dead_solves_then_fails_them(shop: Shop, settings: Any) -> None:
    settings.SOLVE_STALE_SECONDS = 60
    old = timezone.now() - timedelta(minutes=5)
    dead = _stored_quote(
        shop, status=Quote.Status.SOLVING, solve_task_id="gone", attempts=1, heartbeat_at=old
    )
    hopeless = _stored_quote(
        shop,
        status=Quote.Status.SOLVING,
        solve_task_id="gone-too",
        attempts=services.MAX_SOLVE_ATTEMPTS,
        worker_deaths=services.MAX_SOLVE_ATTEMPTS - 1,  # this silence is its last death
        heartbeat_at=old,
    )
    alive = _stored_quote(
        shop,
        status=Quote.Status.SOLVING,
        solve_task_id="busy",
        attempts=1,
        heartbeat_at=timezone.now(),
    )
    report = services.solves_sweep_stale()
    assert report.retried == [dead.pk] and report.failed == [hopeless.pk]
    dead.refresh_from_db()
    hopeless.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == Quote.Status.DONE and dead.attempts == 2  # re-solved (eager)
    assert hopeless.status == Quote.Status.FAILED and "stopped responding" in hopeless.error
    assert alive.status == Quote.Status.SOLVING and alive.solve_task_id == "busy"
    assert Order.objects.count() == 0 and Promise.objects.count() == 0


def test_re_solves_after_stale_accepts_are_not_worker_deaths(shop: Shop, settings: Any) -> None:
    # Solved three times already because the board changed under its accepts (not a death),
    # then its worker dies once: one death must not fail it, neither swept nor redelivered.
    settings.SOLVE_STALE_SECONDS = 60
    old = timezone.now() - timedelta(minutes=5)
    resolved = services.MAX_SOLVE_ATTEMPTS
    swept = _stored_quote(
        shop, status=Quote.Status.SOLVING, solve_task_id="t1", attempts=resolved, heartbeat_at=old
    )
    report = services.solves_sweep_stale()
    assert report.retried == [swept.pk] and report.failed == []
    swept.refresh_from_db()
    assert swept.status == Quote.Status.DONE, swept.error  # re-solved (eager)
    assert swept.worker_deaths == 1 and swept.attempts == resolved + 1

    redelivered = _stored_quote(
        shop,
        status=Quote.Status.SOLVING,
        solve_task_id="t2",
        attempts=resolved,
        heartbeat_at=timezone.now(),
    )
    assert services.quote_solve(quote_id=redelivered.pk, task_id="t2") == Quote.Status.DONE
    redelivered.refresh_from_db()
    assert redelivered.worker_deaths == 1 and redelivered.attempts == resolved + 1


def test_broker_down_keeps_the_request_and_the_sweeper_sends_it_later(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broker_down(*args: Any, **kwargs: Any) -> None:
        raise KombuOperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.solve_quote, "apply_async", broker_down)
    quote = _quote(shop)
    assert quote.status == Quote.Status.QUEUED and not quote.enqueued
    assert "broker unavailable" in quote.enqueue_error
    assert services.solves_sweep_stale().enqueued == [quote.pk]  # still down: stays queued
    quote.refresh_from_db()
    assert quote.status == Quote.Status.QUEUED

    monkeypatch.undo()  # the broker is back
    assert services.solves_sweep_stale().enqueued == [quote.pk]
    quote.refresh_from_db()
    assert quote.status == Quote.Status.DONE and quote.enqueued and quote.enqueue_error == ""


def test_a_failing_solve_ends_failed_with_the_reason(shop: Shop) -> None:
    RoutingStep.objects.filter(product=shop.cylinder).delete()  # routing withdrawn meanwhile
    quote = _stored_quote(shop)
    assert services.quote_solve(quote_id=quote.pk, task_id="t") == Quote.Status.FAILED
    quote.refresh_from_db()
    assert quote.status == Quote.Status.FAILED and "no routing" in quote.error


def test_repromise_to_a_later_date_keeps_the_old_promise_in_history(shop: Shop) -> None:
    quote = _quote(shop)
    order = _order_of(services.quote_accept(quote_id=quote.pk, accepted_by=shop.users["sales"]))
    later = order.promised_due + timedelta(days=3)
    promise = services.order_repromise(
        order_id=order.pk, due=later, reason="customer asked", repromised_by=shop.users["scheduler"]
    )
    order.refresh_from_db()
    assert order.promised_due == later and promise.kind == Promise.Kind.REPROMISE
    assert list(order.promises.order_by("id").values_list("due", flat=True)) == [
        quote.promise,
        later,
    ]
    version = committed_version()
    assert version.kind == ScheduleVersion.Kind.REPROMISE and promise.schedule_version == version
    assert current_schedule_violations() == []
    history = order_history(order)
    kinds = [entry.kind for entry in history]
    assert kinds.count("promise") == 2 and "repromised" in kinds and "quote_committed" in kinds
    repromised = next(e for e in history if e.kind == "repromised")
    assert repromised.actor == "scheduler" and repromised.reason == "customer asked"


def test_repromise_to_an_impossible_date_writes_nothing(shop: Shop) -> None:
    quote = _quote(shop)
    order = _order_of(services.quote_accept(quote_id=quote.pk, accepted_by=shop.users["sales"]))
    before = (Promise.objects.count(), ScheduleVersion.objects.count())
    assert quote.lower_bound is not None
    impossible = quote.lower_bound  # due = lower bound: the buffer cannot fit before it
    with pytest.raises(services.RepromiseInfeasible):
        services.order_repromise(
            order_id=order.pk, due=impossible, reason="rush", repromised_by=shop.users["scheduler"]
        )
    assert (Promise.objects.count(), ScheduleVersion.objects.count()) == before
    order.refresh_from_db()
    assert order.promised_due == quote.promise


def test_repromise_earlier_is_made_when_a_repaired_schedule_keeps_it(shop: Shop) -> None:
    # The order was promised late on purpose; the engine can pull it in.
    _busy_mill(shop)
    quote = _quote(shop, product=shop.bracket, quantity=2)
    outcome = services.quote_accept(quote_id=quote.pk, accepted_by=shop.users["sales"])
    order = outcome.order or _order_of(
        services.replan_proposal_approve(
            proposal_id=_proposal_of(outcome).pk, approved_by=shop.users["scheduler"]
        )
    )
    later = order.promised_due + timedelta(days=10)
    services.order_repromise(
        order_id=order.pk, due=later, reason="slack", repromised_by=shop.users["scheduler"]
    )
    earlier = later - timedelta(days=8)
    services.order_repromise(
        order_id=order.pk, due=earlier, reason="back", repromised_by=shop.users["scheduler"]
    )
    order.refresh_from_db()
    assert order.promised_due == earlier
    assert current_schedule_violations() == []


def test_a_customer_date_request_is_a_follow_up_not_a_promise(shop: Shop) -> None:
    quote = _quote(shop)
    order = _order_of(services.quote_accept(quote_id=quote.pk, accepted_by=shop.users["sales"]))
    promises = Promise.objects.count()
    wanted = order.promised_due - timedelta(days=1)
    request = services.date_change_request_create(
        order_id=order.pk, requested_due=wanted, note="Line stop", requested_by=shop.users["acme"]
    )
    assert Promise.objects.count() == promises
    order.refresh_from_db()
    assert order.promised_due == quote.promise
    assert list(date_requests_open()) == [request]
    customer_view = order_history(order, internal=False)
    assert {e.kind for e in customer_view} == {"promise", "schedule", "date_requested"}
    assert all(e.actor is None for e in customer_view)


def test_a_plan_that_should_already_have_started_is_re_solved_not_committed(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    quote = _quote(shop)
    # As if the rep clicked accept an hour after the plan's first operation was due to start
    # (the grace is moved, not the clock; measured from the plan itself, because outside the
    # shop's shifts that start is hours after the solve).
    assert quote.answer is not None
    starts = [
        parse_datetime(row["start"])
        for row in quote.answer["schedule"]
        if row["order"] == quote.request_id
    ]
    first_start = min(start for start in starts if start is not None)
    monkeypatch.setattr(
        accepting, "PLAN_START_GRACE", timezone.now() - first_start - timedelta(hours=1)
    )
    with pytest.raises(services.QuoteStale) as stale:
        services.quote_accept(quote_id=quote.pk, accepted_by=shop.users["sales"])
    assert "too long ago" in str(stale.value)
    assert Order.objects.count() == 0 and Promise.objects.count() == 0
    quote.refresh_from_db()
    assert quote.status == Quote.Status.DONE and quote.attempts == 2 and quote.accepted_at is None


def test_the_sweeper_cancels_a_dead_solve_someone_cancelled(shop: Shop, settings: Any) -> None:
    settings.SOLVE_STALE_SECONDS = 60
    quote = _stored_quote(
        shop,
        status=Quote.Status.SOLVING,
        solve_task_id="gone",
        attempts=1,
        cancel_requested=True,
        heartbeat_at=timezone.now() - timedelta(minutes=5),
    )
    services.solves_sweep_stale()
    quote.refresh_from_db()
    assert quote.status == Quote.Status.CANCELLED


def test_a_customer_cannot_ask_about_another_customers_order(shop: Shop) -> None:
    quote = _quote(shop)  # an Acme order
    order = _order_of(services.quote_accept(quote_id=quote.pk, accepted_by=shop.users["sales"]))
    with pytest.raises(ValidationError):
        services.date_change_request_create(
            order_id=order.pk,
            requested_due=order.promised_due - timedelta(days=1),
            note="",
            requested_by=shop.users["globex"],
        )
    assert not date_requests_open().exists()


def test_the_solve_monitor_survives_a_dropped_database_connection(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = SolveMonitor._write
    dropped: list[bool] = []

    def flaky_write(self: SolveMonitor, beat_due: bool) -> bool:
        if not dropped:
            dropped.append(True)
            raise OperationalError("server closed the connection unexpectedly")
        return real_write(self, beat_due)

    monkeypatch.setattr(SolveMonitor, "_write", flaky_write)
    monkeypatch.setattr(solve_monitor, "PROGRESS_INTERVAL", 0.01)
    monkeypatch.setattr(solve_monitor, "HEARTBEAT_INTERVAL", 0.0)
    quote = _stored_quote(shop, status=Quote.Status.SOLVING, solve_task_id="t", attempts=1)
    with SolveMonitor(Quote, quote.pk, "t") as monitor:
        deadline = time.monotonic() + 10
        while not Quote.objects.filter(pk=quote.pk, heartbeat_at__isnull=False).exists():
            assert time.monotonic() < deadline, "the monitor stopped writing after the error"
            time.sleep(0.01)
    assert dropped and monitor.errors == []
    assert not monitor.lost.is_set() and not monitor.cancelled()


def test_queued_quotes_shorten_each_solve_to_its_fair_share(shop: Shop, settings: Any) -> None:
    settings.ENGINE_TIME_LIMIT = 1.0
    settings.ENGINE_MIN_TIME_LIMIT = 0.2
    _stored_quote(shop, status=Quote.Status.DONE)
    assert engine_runs.engine_time_limit() == 1.0  # nothing waiting: the whole limit
    for _ in range(2):
        _stored_quote(shop, status=Quote.Status.SOLVING)
    assert engine_runs.engine_time_limit() == 1.0
    for _ in range(2):
        _stored_quote(shop, status=Quote.Status.QUEUED)
    assert engine_runs.engine_time_limit() == pytest.approx(0.5)  # 2 solving, 2 waiting behind
    for _ in range(10):
        _stored_quote(shop, status=Quote.Status.QUEUED)
    assert engine_runs.engine_time_limit() == pytest.approx(0.2)  # never below the minimum
    settings.ENGINE_MIN_TIME_LIMIT = 1.0
    assert engine_runs.engine_time_limit() == 1.0  # disabled


def test_a_solve_uses_the_fair_share_limit(shop: Shop, settings: Any, monkeypatch: Any) -> None:
    settings.ENGINE_TIME_LIMIT = 1.0
    settings.ENGINE_MIN_TIME_LIMIT = 0.1
    calls = _engine_calls(monkeypatch)
    for _ in range(3):
        _stored_quote(shop, status=Quote.Status.QUEUED)
    quote = _stored_quote(shop)
    assert services.quote_solve(quote_id=quote.pk, task_id="fair-1") == Quote.Status.DONE
    # this one solving, three queued behind it
    assert [c["time_limit"] for c in calls] == [pytest.approx(0.25)]


def _proposal_re_solved_later(shop: Shop) -> ReplanProposal:
    """A pending proposal made stale by another commit, whose re-solve promises later than
    the promise the rep accepted (the accepted one is set a day earlier than the proposal's
    own: the re-solve on the busier board can only be the same or later)."""
    _busy_mill(shop)
    rush = _quote(shop, quantity=10)
    proposal = _proposal_of(
        services.quote_accept(quote_id=rush.pk, accepted_by=shop.users["sales"])
    )
    assert proposal.status == ReplanProposal.Status.PENDING and proposal.promise is not None
    Quote.objects.filter(pk=rush.pk).update(promise=proposal.promise - timedelta(days=1))
    small = _quote(shop, product=shop.bracket, quantity=1)
    outcome = services.quote_accept(quote_id=small.pk, accepted_by=shop.users["sales"])
    if not outcome.committed:
        services.replan_proposal_approve(
            proposal_id=_proposal_of(outcome).pk, approved_by=shop.users["scheduler"]
        )
    with pytest.raises(services.ProposalStale):
        services.replan_proposal_approve(
            proposal_id=proposal.pk, approved_by=shop.users["scheduler"]
        )
    proposal.refresh_from_db()
    return proposal


def test_a_later_re_solved_promise_goes_back_to_the_rep_before_approval(shop: Shop) -> None:
    proposal = _proposal_re_solved_later(shop)
    assert proposal.status == ReplanProposal.Status.AWAITING_REP
    orders = Order.objects.count()
    with pytest.raises(services.QuotingConflict):  # the scheduler cannot approve it yet
        services.replan_proposal_approve(
            proposal_id=proposal.pk, approved_by=shop.users["scheduler"]
        )
    assert Order.objects.count() == orders
    confirmed = services.replan_proposal_confirm_later(
        proposal_id=proposal.pk, confirmed_by=shop.users["sales"]
    )
    assert confirmed.status == ReplanProposal.Status.PENDING
    assert confirmed.rep_confirmed_promise == confirmed.promise
    assert AuditEvent.objects.filter(kind="later_confirmed", proposal=proposal).exists()
    approved = services.replan_proposal_approve(
        proposal_id=proposal.pk, approved_by=shop.users["scheduler"]
    )
    assert _order_of(approved).promised_due == confirmed.promise  # the date the rep agreed to
    assert current_schedule_violations() == []


def test_the_rep_may_withdraw_a_later_promise_and_nothing_is_committed(shop: Shop) -> None:
    proposal = _proposal_re_solved_later(shop)
    orders, promises = Order.objects.count(), Promise.objects.count()
    withdrawn = services.replan_proposal_reject(
        proposal_id=proposal.pk, rejected_by=shop.users["sales"], reason="customer says no"
    )
    assert withdrawn.status == ReplanProposal.Status.REJECTED
    assert (Order.objects.count(), Promise.objects.count()) == (orders, promises)
    with pytest.raises(services.QuotingConflict):
        services.replan_proposal_confirm_later(
            proposal_id=proposal.pk, confirmed_by=shop.users["sales"]
        )
