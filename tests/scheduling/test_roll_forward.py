"""Rolling forward (the beat task `quoting.roll_forward`): operations whose planned start passed
more than PLAN_START_GRACE ago without a report are moved to now as a new verified version,
no promise changed; when that breaks a promise, the same disruption path as a breakdown."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.conf import settings

from orders.models import Order, Promise
from quoting import tasks
from scheduling import engine
from scheduling.boards import PLAN_START_GRACE, board_now, board_snapshot
from scheduling.engine.boardio import format_instant
from scheduling.engine.model import Answer
from scheduling.models import BoardDisruption, ScheduledOperation, ScheduleVersion
from scheduling.selectors import board_health
from scheduling.services import revalidation
from scheduling.services.board_import import board_import

# The task closes its connections like a worker's: only committed rows survive, so the tests
# are transactional.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("flushable_promises"),
]
ROUND_THE_CLOCK = {
    d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}


@pytest.fixture(autouse=True)
def _small_engine_limits(settings: Any) -> None:
    settings.ENGINE_TIME_LIMIT = 2
    settings.ENGINE_WORKERS = 1


def planned_ago(ago: timedelta, orders: list[dict[str, Any]]) -> datetime:
    """Import `orders` on round-the-clock machines as planned `ago` before now (nobody has
    reported anything since): the current version's first operations start then."""
    now = board_now()
    past = now - ago
    doc = {
        "format": "board/1",
        "now": format_instant(past),
        "buffer_minutes": 60,
        "calendars": {"always": {"timezone": "UTC", "weekly": ROUND_THE_CLOCK}},
        "work_centers": [
            {"id": "CUT-1", "capacity": 1, "calendar": "always"},
            {"id": "OVEN-1", "capacity": 1, "calendar": "always"},
        ],
        "orders": [
            {**o, "due": format_instant(past + o["due"])}
            for o in orders  # due: after `past`
        ],
    }
    board_import(board=engine.load_board(doc), created_by=None, source="test")
    return now


RELAXED = [
    {
        "id": "A",
        "due": timedelta(days=3),
        "operations": [
            {"id": "10", "work_centers": ["CUT-1"], "minutes": 60},
            {"id": "20", "work_centers": ["OVEN-1"], "minutes": 120},
        ],
    },
    {
        "id": "B",
        "due": timedelta(days=3),
        "operations": [{"id": "10", "work_centers": ["CUT-1"], "minutes": 30}],
    },
]


def promises() -> list[tuple[Any, ...]]:
    return list(
        Promise.objects.order_by("pk").values_list("pk", "order__code", "due", "buffer_minutes")
    )


def dues() -> dict[str, datetime]:
    return dict(Order.objects.values_list("code", "promised_due"))


def slots(version: ScheduleVersion) -> dict[str, datetime]:
    return {
        f"{s.operation.order.code}/{s.operation.sequence}": s.start
        for s in ScheduledOperation.objects.filter(version=version).select_related(
            "operation__order"
        )
    }


@pytest.mark.django_db(transaction=False)
def test_the_beat_task_is_scheduled() -> None:
    entries = {v["task"]: v for v in settings.CELERY_BEAT_SCHEDULE.values()}
    assert entries["quoting.roll_forward"]["schedule"] == settings.ROLL_FORWARD_SECONDS
    assert settings.ROLL_FORWARD_SECONDS < PLAN_START_GRACE.total_seconds()


def test_a_passed_planned_start_is_rolled_forward_promise_unchanged() -> None:
    now = planned_ago(timedelta(hours=2), RELAXED)
    old = ScheduleVersion.objects.get(is_current=True)
    before_slots = slots(old)
    assert before_slots["A/10"] < now - PLAN_START_GRACE  # overdue, nobody reported it
    before_promises, before_dues = promises(), dues()
    # Before: a quote on this board would have to move the overdue operations itself.
    stale = board_snapshot(version=old, now=now).board
    assert engine.check(stale, time_limit=2, workers=1).moved != ()

    outcome = tasks.roll_forward()

    assert outcome["overdue"] >= 2 and outcome["at_risk"] == [], outcome
    current = ScheduleVersion.objects.get(is_current=True)
    assert current.pk != old.pk and current.parent_id == old.pk
    assert current.kind == ScheduleVersion.Kind.ROLL_FORWARD
    assert outcome["version"] == current.number
    assert "Rolled forward" in current.reason and "A/10" in current.reason
    assert current.at_risk == []
    after = slots(current)
    # Every operation now starts at or after the roll (nothing planned in the past).
    assert all(start >= current.planned_at for start in after.values()), after
    assert current.planned_at >= now
    assert after["A/10"] > before_slots["A/10"]
    # No promise moved, none written.
    assert promises() == before_promises and dues() == before_dues
    # The version passed the same verifier as every commit.
    board = board_snapshot(version=current, now=current.planned_at).board
    answer = Answer(status="promised", schedule=board.schedule or ())
    assert engine.verify(dataclasses.replace(board, schedule=None), answer) == []
    # A quote made on this board no longer has to carry the repair as moved operations.
    assert engine.check(board, time_limit=2, workers=1).moved == ()


def test_a_start_within_the_grace_is_not_rolled() -> None:
    planned_ago(PLAN_START_GRACE - timedelta(minutes=5), RELAXED)
    versions = ScheduleVersion.objects.count()
    outcome = tasks.roll_forward()
    assert outcome["overdue"] == 0 and outcome["version"] is None
    assert ScheduleVersion.objects.count() == versions


def test_nothing_overdue_writes_nothing() -> None:
    planned_ago(timedelta(0), RELAXED)
    versions = ScheduleVersion.objects.count()
    assert tasks.roll_forward()["overdue"] == 0
    assert ScheduleVersion.objects.count() == versions


# T's only operation was planned 2 h ago for 4 h on the oven, due 2.5 h after its plan ends
# (buffer 1 h): rolled to now it ends 30 min after its protected date.
TIGHT = [
    {
        "id": "T",
        "due": timedelta(hours=4, minutes=90),
        "operations": [{"id": "10", "work_centers": ["OVEN-1"], "minutes": 240}],
    },
    *RELAXED,
]


def test_rolling_forward_that_breaks_a_promise_puts_the_order_at_risk() -> None:
    planned_ago(timedelta(hours=2), TIGHT)
    before_promises, before_dues = promises(), dues()

    outcome = tasks.roll_forward()

    assert "T" in outcome["at_risk"], outcome
    health = board_health()
    assert "T" in {row.order.code for row in health.at_risk}
    current = ScheduleVersion.objects.get(is_current=True)
    if outcome["version"] is not None:
        # Proven late: the least-late projection is committed with T flagged, verified with
        # rule 5 waived for T alone.
        assert current.kind == ScheduleVersion.Kind.ROLL_FORWARD and current.at_risk == ["T"]
        board = board_snapshot(version=current, now=current.planned_at).board
        answer = Answer(status="promised", schedule=board.schedule or ())
        unbased = dataclasses.replace(board, schedule=None)
        assert engine.verify(unbased, answer, accept_late=["T"]) == []
    else:
        assert health.broken
    assert promises() == before_promises and dues() == before_dues


def test_when_nothing_verified_can_be_committed_the_board_is_marked_disrupted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    planned_ago(timedelta(hours=2), TIGHT)
    old = ScheduleVersion.objects.get(is_current=True)
    monkeypatch.setattr(
        revalidation,
        "board_check",
        lambda board: Answer(
            status="no_solution", at_risk=("T",), message="no time left to search"
        ),
    )
    outcome = tasks.roll_forward()
    assert outcome["version"] is None and "T" in outcome["at_risk"]
    assert ScheduleVersion.objects.get(is_current=True).pk == old.pk  # nothing unverified
    disruption = BoardDisruption.objects.get(version=old, closed_at__isnull=True)
    assert disruption.event.startswith("Rolled forward")
    assert board_health().broken and "T" in {r.order.code for r in board_health().at_risk}

    # While the board is disrupted the beat leaves it to the repair: no new row each beat.
    again = tasks.roll_forward()
    assert again["skipped"] and again["version"] is None
    assert BoardDisruption.objects.filter(version=old).count() == 1
