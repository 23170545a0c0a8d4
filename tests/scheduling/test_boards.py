"""The database's job board as the engine sees it (scheduling/boards.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from orders.models import Customer, Operation, Order, Product, Promise
from scheduling import engine
from scheduling.boards import PLAN_START_GRACE, board_now, board_snapshot
from scheduling.engine import model as engine_model
from scheduling.models import Calendar, ScheduleVersion, WorkCenter
from scheduling.services import PromiseSpec, schedule_commit

pytestmark = pytest.mark.django_db

ROUND_THE_CLOCK = {day: [["00:00", "24:00"]] for day in engine_model.WEEKDAYS}
BUFFER = 60


def _tight_order_planned_at(start: object) -> Order:
    """SO-1, two hours on the mill planned from `start`, promised with no slack at all."""
    calendar = Calendar.objects.create(code="24x7", name="Round the clock", weekly=ROUND_THE_CLOCK)
    mill = WorkCenter.objects.create(code="MILL", name="Mill", capacity=1, calendar=calendar)
    product = Product.objects.create(code="P1", name="Bracket")
    customer = Customer.objects.create(code="ACME", name="Acme")
    assert isinstance(start, type(board_now()))
    due = start + timedelta(minutes=120 + BUFFER)
    order = Order.objects.create(
        code="SO-1",
        customer=customer,
        product=product,
        quantity=1,
        promised_due=due,
        buffer_minutes=BUFFER,
    )
    op = Operation.objects.create(order=order, sequence=10, name="Mill", minutes=120)
    op.work_centers.set([mill])
    answer = engine.check(board_snapshot(now=start).board, time_limit=2, workers=1)
    assert answer.status == "promised"
    assert answer.schedule[0].start == start  # nothing before it: it starts at once
    schedule_commit(
        expected_version_id=None,
        now=start,
        answer=answer,
        kind=ScheduleVersion.Kind.IMPORT,
        reason="first plan",
        created_by=None,
        promises=[
            PromiseSpec(
                order_id=order.pk,
                due=due,
                buffer_minutes=BUFFER,
                kind=Promise.Kind.IMPORTED,
                reason="imported",
            )
        ],
    )
    return order


def _first_operation(board: engine_model.Board) -> engine_model.Operation:
    return board.orders[0].operations[0]


def test_a_start_due_minutes_ago_is_taken_as_started_on_time() -> None:
    """The shop floor has PLAN_START_GRACE to report a start: until then a tight promise whose
    work was due to start a few minutes ago still holds (it does not read as late, and a quote
    made now does not fail on it)."""
    planned = board_now()
    _tight_order_planned_at(planned)
    later = planned + timedelta(minutes=5)

    board = board_snapshot(now=later).board
    op = _first_operation(board)
    assert (op.state, op.start, op.work_center) == ("running", planned, "MILL")
    assert engine.check(board, time_limit=2, workers=1).status == "promised"

    # The database's own words are unchanged, and an export says what it holds.
    assert Operation.objects.get().state == Operation.State.PLANNED
    exported = board_snapshot(now=later, assume_started=False).board
    assert _first_operation(exported).effective_state == "planned"
    # Read as planned, the same board already breaks the promise five minutes on.
    assert engine.check(exported, time_limit=2, workers=1).status != "promised"


def test_a_start_missed_beyond_the_grace_is_not_assumed() -> None:
    planned = board_now()
    _tight_order_planned_at(planned)
    later = planned + PLAN_START_GRACE + timedelta(minutes=1)

    board = board_snapshot(now=later).board
    assert _first_operation(board).effective_state == "planned"
    answer = engine.check(board, time_limit=2, workers=1)
    assert answer.status != "promised"  # honest: nobody started it, the promise is at risk
    assert "SO-1" in answer.message


def test_a_start_still_ahead_is_left_planned() -> None:
    planned = board_now() + timedelta(hours=1)
    _tight_order_planned_at(planned)
    board = board_snapshot(now=planned - timedelta(minutes=1)).board
    assert _first_operation(board).effective_state == "planned"
