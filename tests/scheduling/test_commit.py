"""The verified commit gate: nothing reaches the job board or the promise history unless the
engine's verifier accepts it against the database as it is inside the lock."""

from __future__ import annotations

import dataclasses
import threading
from datetime import timedelta

import pytest
from django.db import connection

from orders.models import Customer, Operation, Order, Product, Promise, RoutingStep
from scheduling import engine
from scheduling.boards import board_now, board_snapshot, current_version, request_operations
from scheduling.engine.model import WEEKDAYS, Answer, Board, Request
from scheduling.models import Calendar, ScheduledOperation, ScheduleVersion, WorkCenter
from scheduling.services import (
    NewOrderSpec,
    PromiseSpec,
    ScheduleRejected,
    StaleSchedule,
    schedule_commit,
)

ROUND_THE_CLOCK = {day: [["00:00", "24:00"]] for day in WEEKDAYS}


def _shop() -> tuple[Product, Customer, Order]:
    calendar = Calendar.objects.create(code="24x7", name="Round the clock", weekly=ROUND_THE_CLOCK)
    mill = WorkCenter.objects.create(code="MILL", name="Mill", capacity=1, calendar=calendar)
    product = Product.objects.create(code="P1", name="Bracket")
    step = RoutingStep.objects.create(
        product=product, sequence=10, name="Mill", setup_minutes=60, run_minutes_per_unit=1
    )
    step.work_centers.set([mill])
    customer = Customer.objects.create(code="ACME", name="Acme")
    now = board_now()
    order = Order.objects.create(
        code="SO-1",
        customer=customer,
        product=product,
        quantity=60,
        release=now + timedelta(hours=1),
        promised_due=now + timedelta(hours=1 + 2 + 4 + 24),  # 2 h of work, 4 h slack, 1 day buffer
        buffer_minutes=1440,
    )
    op = Operation.objects.create(order=order, sequence=10, name="Mill", minutes=120)
    op.work_centers.set([mill])
    answer = engine.check(board_snapshot(now=now).board, time_limit=2, workers=1)
    schedule_commit(
        expected_version_id=None,
        now=now,
        answer=answer,
        kind=ScheduleVersion.Kind.IMPORT,
        reason="first plan",
        created_by=None,
        promises=[
            PromiseSpec(
                order_id=order.pk,
                due=order.promised_due,
                buffer_minutes=1440,
                kind=Promise.Kind.IMPORTED,
                reason="imported",
            )
        ],
    )
    return product, customer, order


def _quote(product: Product, request_id: str = "Q-1") -> tuple[Board, Answer]:
    request = Request(
        id=request_id, operations=request_operations(product_id=product.pk, quantity=30)
    )
    board = board_snapshot(request=request).board
    answer = engine.quote(board, time_limit=2, workers=1, evaluate_options=False)
    assert answer.status == "promised"
    return board, answer


def _counts() -> tuple[int, int, int, int]:
    return (
        ScheduleVersion.objects.count(),
        ScheduledOperation.objects.count(),
        Order.objects.count(),
        Promise.objects.count(),
    )


def _commit(board: Board, answer: Answer, expected: int | None, code: str = "SO-2"):  # type: ignore[no-untyped-def]
    customer = Customer.objects.get(code="ACME")
    product = Product.objects.get(code="P1")
    return schedule_commit(
        expected_version_id=expected,
        now=board.now,
        answer=answer,
        kind=ScheduleVersion.Kind.QUOTE,
        reason="rush order",
        created_by=None,
        request=board.request,
        new_order=NewOrderSpec(
            code=code,
            customer_id=customer.pk,
            product_id=product.pk,
            quantity=30,
            release=None,
            reason="quote accepted",
        ),
    )


@pytest.mark.django_db
def test_commit_writes_a_verified_version_the_order_and_its_promise() -> None:
    product, _, _ = _shop()
    first = current_version()
    assert first is not None and first.number == 1
    board, answer = _quote(product)

    result = _commit(board, answer, first.pk)

    assert result.version.is_current and result.version.parent_id == first.pk
    assert result.order is not None
    assert result.order.promised_due == answer.promise
    assert [p.due for p in result.order.promises.all()] == [answer.promise]
    # Every open operation is on the new version, and it verifies from the database.
    assert result.version.operations.count() == 2
    current = board_snapshot(now=board.now).board
    as_committed = Answer(status="promised", schedule=current.schedule or ())
    assert engine.verify(current, as_committed) == []


@pytest.mark.django_db
def test_a_stale_answer_writes_nothing() -> None:
    product, _, _ = _shop()
    first = current_version()
    assert first is not None
    board, answer = _quote(product)
    _commit(board, answer, first.pk)
    before = _counts()

    with pytest.raises(StaleSchedule):
        _commit(board, answer, first.pk, code="SO-3")

    assert _counts() == before


@pytest.mark.django_db
def test_an_answer_the_verifier_rejects_writes_nothing() -> None:
    product, _, _ = _shop()
    first = current_version()
    assert first is not None
    board, answer = _quote(product)
    # Put the request on top of the existing order's operation: a capacity violation.
    existing = next(row for row in answer.schedule if row.order == "SO-1")
    broken_rows = tuple(
        dataclasses.replace(
            row,
            start=existing.start,
            end=existing.start + (row.end - row.start),
        )
        if row.order == board.request.id  # type: ignore[union-attr]
        else row
        for row in answer.schedule
    )
    broken = dataclasses.replace(answer, schedule=broken_rows)
    before = _counts()

    with pytest.raises(ScheduleRejected) as raised:
        _commit(board, broken, first.pk)

    assert any("rule" in v for v in raised.value.violations)
    assert _counts() == before


@pytest.mark.django_db
def test_a_promise_row_cannot_be_rewritten_through_the_orm() -> None:
    _shop()
    promise = Promise.objects.get()
    promise.due = promise.due - timedelta(days=1)
    with pytest.raises(Exception, match="append-only"):
        promise.save()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_commits_on_one_version_cannot_both_succeed() -> None:
    assert connection.vendor == "postgresql"
    product, _, _ = _shop()
    first = current_version()
    assert first is not None
    quotes = [_quote(product, "Q-1"), _quote(product, "Q-2")]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def commit(index: int) -> None:
        board, answer = quotes[index]
        barrier.wait()
        try:
            _commit(board, answer, first.pk, code=f"SO-R{index}")
            outcomes.append("committed")
        except StaleSchedule:
            outcomes.append("stale")
        finally:
            connection.close()

    threads = [threading.Thread(target=commit, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["committed", "stale"]
    assert ScheduleVersion.objects.filter(is_current=True).count() == 1
    assert Order.objects.filter(code__startswith="SO-R").count() == 1
