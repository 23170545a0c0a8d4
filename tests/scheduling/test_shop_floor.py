"""Shop-floor events re-validate every promise: a new verified version, or at-risk orders and
no promise moved; bad input writes nothing."""

from __future__ import annotations

import dataclasses
import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from orders.models import Operation, Order, Promise
from scheduling import engine
from scheduling.boards import board_now, board_snapshot
from scheduling.engine.boardio import format_instant
from scheduling.models import ScheduledOperation, ScheduleVersion, WorkCenter, WorkCenterDowntime
from scheduling.services.board_import import board_import
from scheduling.services.shop_floor import (
    operation_finish,
    operation_start,
    work_center_downtime_record,
)

pytestmark = pytest.mark.django_db
ROUND_THE_CLOCK = {
    d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}


@pytest.fixture(autouse=True)
def _small_engine_limits(settings: Any) -> None:
    settings.ENGINE_TIME_LIMIT = 2
    settings.ENGINE_WORKERS = 1


@pytest.fixture
def now() -> datetime:
    return board_now()


@pytest.fixture
def shop(now: datetime) -> None:
    """Three orders on three round-the-clock machines (so real time of day does not matter),
    due in two to three days: plenty of slack for small events, none for a week of downtime."""
    due = {"A": 3, "B": 3, "C": 2}
    doc = {
        "format": "board/1",
        "now": format_instant(now),
        "buffer_minutes": 60,
        "calendars": {"always": {"timezone": "UTC", "weekly": ROUND_THE_CLOCK}},
        "work_centers": [
            {"id": "CUT-1", "capacity": 1, "calendar": "always"},
            {"id": "CUT-2", "capacity": 1, "calendar": "always"},
            {"id": "OVEN-1", "capacity": 1, "calendar": "always"},
        ],
        "orders": [
            {
                "id": "A",
                "due": format_instant(now + timedelta(days=due["A"])),
                "operations": [
                    {"id": "10", "work_centers": ["CUT-1", "CUT-2"], "minutes": 60},
                    {"id": "20", "work_centers": ["OVEN-1"], "minutes": 120},
                ],
            },
            {
                "id": "B",
                "due": format_instant(now + timedelta(days=due["B"])),
                "operations": [
                    {"id": "10", "work_centers": ["CUT-1"], "minutes": 60},
                    {"id": "20", "work_centers": ["OVEN-1"], "minutes": 60},
                ],
            },
            {
                "id": "C",
                "due": format_instant(now + timedelta(days=due["C"])),
                "operations": [{"id": "10", "work_centers": ["OVEN-1"], "minutes": 240}],
            },
        ],
    }
    board_import(board=engine.load_board(doc), created_by=None, source="test")


def op(order: str, sequence: int) -> Operation:
    return Operation.objects.get(order__code=order, sequence=sequence)


def wc(code: str) -> WorkCenter:
    return WorkCenter.objects.get(code=code)


def down(code: str, start: datetime, period: timedelta, reason: str) -> Any:
    return work_center_downtime_record(
        work_center_id=wc(code).pk, start=start, end=start + period, reason=reason, user=None
    )


def promises() -> list[tuple[Any, ...]]:
    return list(
        Promise.objects.order_by("pk").values_list("pk", "order__code", "due", "buffer_minutes")
    )


def assert_current_is_verified(accept_late: tuple[str, ...] = ()) -> ScheduleVersion:
    version = ScheduleVersion.objects.get(is_current=True)
    board = board_snapshot(version=version, now=version.planned_at).board
    answer = engine.Answer(status="promised", schedule=board.schedule or ())
    unbased = dataclasses.replace(board, schedule=None)
    assert engine.verify(unbased, answer, accept_late=accept_late) == []
    return version


def test_start_commits_a_verified_version_without_touching_promises(
    shop: None, now: datetime
) -> None:
    before, old = promises(), ScheduleVersion.objects.get(is_current=True)
    result = operation_start(
        operation_id=op("A", 10).pk,
        work_center_id=wc("CUT-2").pk,
        at=now - timedelta(minutes=5),
        user=None,
    )
    assert result.version is not None and result.at_risk == ()
    version = assert_current_is_verified()
    assert version == result.version and version.parent == old and version.kind == "shop_floor"
    started = op("A", 10)
    assert started.state == "running" and started.work_center == wc("CUT-2")
    assert started.actual_start == (now - timedelta(minutes=5)).replace(second=0, microsecond=0)
    assert Order.objects.get(code="A").status == "in_progress"
    row = ScheduledOperation.objects.get(version=version, operation=started)
    assert row.start == started.actual_start and row.work_center == wc("CUT-2")
    assert promises() == before


def test_finish_records_and_replans(shop: None, now: datetime) -> None:
    before = promises()
    operation_start(
        operation_id=op("C", 10).pk,
        work_center_id=wc("OVEN-1").pk,
        at=now - timedelta(minutes=30),
        user=None,
    )
    result = operation_finish(operation_id=op("C", 10).pk, at=now - timedelta(minutes=1), user=None)
    assert result.version is not None
    version = assert_current_is_verified()
    finished = op("C", 10)
    assert finished.state == "done" and finished.actual_end is not None
    order = Order.objects.get(code="C")
    assert order.status == "done" and order.completed_at == finished.actual_end
    assert not ScheduledOperation.objects.filter(version=version, operation=finished).exists()
    assert promises() == before


def test_short_downtime_is_planned_around(shop: None, now: datetime) -> None:
    before = promises()
    start, end = now + timedelta(minutes=30), now + timedelta(hours=3)
    result = work_center_downtime_record(
        work_center_id=wc("OVEN-1").pk, start=start, end=end, reason="Burner fault", user=None
    )
    assert result.version is not None and result.at_risk == ()
    version = assert_current_is_verified()
    for row in ScheduledOperation.objects.filter(version=version, work_center=wc("OVEN-1")):
        # Occupations may pause over the downtime but never work in it: none lies wholly inside.
        assert not (start <= row.start and row.end <= end)
    assert WorkCenterDowntime.objects.get().reason == "Burner fault"
    assert promises() == before


def test_long_downtime_projects_the_late_orders_flags_them_and_moves_no_promise(
    shop: None, now: datetime
) -> None:
    before, old = promises(), ScheduleVersion.objects.get(is_current=True)
    result = down("OVEN-1", now, timedelta(days=7), "Furnace rebuild")
    assert set(result.at_risk) == {"A", "B", "C"}
    assert "re-promise" in result.message
    # The board shows reality: a new current version with the least-late projection, the
    # furnace idle during its rebuild, and the late orders flagged at risk on the version.
    assert result.version is not None and result.version.parent == old
    assert result.version.at_risk == ["A", "B", "C"]
    version = assert_current_is_verified(accept_late=("A", "B", "C"))
    assert version == result.version
    down_start, down_end = now, now + timedelta(days=7)
    for row in ScheduledOperation.objects.filter(version=version, work_center=wc("OVEN-1")):
        assert row.end <= down_start or row.start >= down_end or row.start < down_start
        assert not (down_start <= row.start < down_end)
    # Without the waiver the same schedule breaks rule 5: the lateness is real, not hidden.
    board = board_snapshot(version=version, now=version.planned_at).board
    plain = engine.Answer(status="promised", schedule=board.schedule or ())
    assert any(
        v.startswith("rule 5")
        for v in engine.verify(dataclasses.replace(board, schedule=None), plain)
    )
    assert WorkCenterDowntime.objects.count() == 1  # reality is recorded
    assert promises() == before
    assert [o.promised_due for o in Order.objects.order_by("code")] == [
        p[2] for p in sorted(before, key=lambda p: p[1])
    ]


def _nothing_changed(snapshot: tuple[Any, ...]) -> None:
    assert snapshot == (
        list(
            Operation.objects.order_by("pk").values_list(
                "state", "work_center", "actual_start", "actual_end"
            )
        ),
        ScheduleVersion.objects.count(),
        WorkCenterDowntime.objects.count(),
        promises(),
    )


def _state() -> tuple[Any, ...]:
    return (
        list(
            Operation.objects.order_by("pk").values_list(
                "state", "work_center", "actual_start", "actual_end"
            )
        ),
        ScheduleVersion.objects.count(),
        WorkCenterDowntime.objects.count(),
        promises(),
    )


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ("finish_planned", "operation_id"),
        ("start_predecessor_planned", "operation_id"),
        ("start_wrong_work_center", "work_center_id"),
        ("start_in_future", "at"),
        ("start_naive_time", "at"),
        ("downtime_backwards", "end"),
        ("downtime_no_reason", "reason"),
    ],
)
def test_bad_events_raise_field_errors_and_write_nothing(
    shop: None, now: datetime, event: str, field: str
) -> None:
    state = _state()
    calls = {
        "finish_planned": lambda: operation_finish(operation_id=op("A", 10).pk, at=now, user=None),
        "start_predecessor_planned": lambda: operation_start(
            operation_id=op("A", 20).pk, work_center_id=wc("OVEN-1").pk, at=now, user=None
        ),
        "start_wrong_work_center": lambda: operation_start(
            operation_id=op("B", 10).pk, work_center_id=wc("CUT-2").pk, at=now, user=None
        ),
        "start_in_future": lambda: operation_start(
            operation_id=op("B", 10).pk,
            work_center_id=wc("CUT-1").pk,
            at=now + timedelta(hours=2),
            user=None,
        ),
        "start_naive_time": lambda: operation_start(
            operation_id=op("B", 10).pk,
            work_center_id=wc("CUT-1").pk,
            at=now.replace(tzinfo=None),
            user=None,
        ),
        "downtime_backwards": lambda: work_center_downtime_record(
            work_center_id=wc("CUT-1").pk,
            start=now + timedelta(hours=2),
            end=now,
            reason="x",
            user=None,
        ),
        "downtime_no_reason": lambda: work_center_downtime_record(
            work_center_id=wc("CUT-1").pk,
            start=now,
            end=now + timedelta(hours=1),
            reason="  ",
            user=None,
        ),
    }
    with pytest.raises(ValidationError) as error:
        calls[event]()
    assert field in error.value.message_dict
    _nothing_changed(state)


def test_finish_before_start_and_full_work_center_are_refused(shop: None, now: datetime) -> None:
    operation_start(
        operation_id=op("A", 10).pk,
        work_center_id=wc("CUT-1").pk,
        at=now - timedelta(minutes=30),
        user=None,
    )
    state = _state()
    with pytest.raises(ValidationError) as error:
        operation_finish(operation_id=op("A", 10).pk, at=now - timedelta(minutes=60), user=None)
    assert "at" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        # CUT-1 has capacity 1 and A/10 is running on it.
        operation_start(
            operation_id=op("B", 10).pk, work_center_id=wc("CUT-1").pk, at=now, user=None
        )
    assert "capacity" in " ".join(error.value.message_dict["work_center_id"])
    _nothing_changed(state)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_events_serialise_on_the_board_lock(shop: None, now: datetime) -> None:
    """Two operators record starts at the same moment: both facts are recorded and both
    re-validations commit, one after the other (v1 -> v2 -> v3), none fails as stale."""
    assert connection.vendor == "postgresql"
    first = ScheduleVersion.objects.get(is_current=True)
    events = [("A", "CUT-2"), ("B", "CUT-1")]
    targets = [(op(order, 10).pk, wc(center).pk) for order, center in events]
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def start(index: int) -> None:
        operation_id, work_center_id = targets[index]
        barrier.wait()
        try:
            outcomes.append(
                operation_start(
                    operation_id=operation_id,
                    work_center_id=work_center_id,
                    at=now - timedelta(minutes=2),
                    user=None,
                )
            )
        except Exception as exc:  # recorded for the assertion below, not swallowed
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=start, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert all(getattr(o, "version", None) is not None for o in outcomes), outcomes
    assert {op("A", 10).state, op("B", 10).state} == {"running"}
    versions = list(ScheduleVersion.objects.order_by("number"))
    assert [v.number for v in versions] == [first.number, first.number + 1, first.number + 2]
    assert versions[2].parent == versions[1] and versions[1].parent == first
    assert_current_is_verified()


def test_a_long_breakdown_in_the_demo_shop_gives_a_verified_least_late_projection(
    settings: Any, now: datetime
) -> None:
    from scheduling.boards import board_check
    from scheduling.services.demo import demo_shop_seed

    demo_shop_seed(now=now, seed=1)
    settings.ENGINE_TIME_LIMIT = 1.0  # the shop floor's limit (the production default)
    seeded = ScheduleVersion.objects.get(is_current=True)
    result = down("MILL-1", now, timedelta(days=3), "Spindle crash")
    assert WorkCenterDowntime.objects.count() == 1 and result.message.startswith("Recorded.")
    # The check the event ran, on the board as it now is: no schedule keeps every promise,
    # and the answer shows the least-late one found, naming the orders it leaves late.
    board = board_snapshot(version=seeded, now=now).board
    answer = board_check(board)
    assert answer.status in ("infeasible", "no_solution") and answer.schedule == ()
    assert answer.projection and answer.at_risk
    assert answer.solve_seconds < 3 * settings.ENGINE_TIME_LIMIT
    plan = engine.Answer(status="promised", schedule=answer.projection)
    assert engine.verify(board, plan, accept_late=answer.at_risk) == []
    late = {v.split()[3] for v in engine.verify(board, plan) if v.startswith("rule 5")}
    assert late == set(answer.at_risk)
    # Every operation is in the projection, and none on MILL-1 starts while it is down.
    assert len(answer.projection) == len(board.schedule or ())
    for row in answer.projection:
        if row.work_center == "MILL-1":
            assert not (now <= row.start < now + timedelta(days=3))
