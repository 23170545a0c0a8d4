"""board_import / board_export: round trips, whole-file rejection, verified commits."""

from __future__ import annotations

import copy
import dataclasses
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from orders.models import Customer, Operation, Order, Product, Promise
from scheduling import engine
from scheduling.boards import board_snapshot
from scheduling.models import (
    Calendar,
    CalendarException,
    CapacityOption,
    ScheduledOperation,
    ScheduleVersion,
    WorkCenter,
    WorkCenterDowntime,
)
from tests.scheduling.board_builders import DEFAULT_BUFFER, canonical_board_doc

FIXTURES = Path(__file__).parent / "engine" / "fixtures"
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_engine_limits(settings: Any) -> None:
    settings.ENGINE_TIME_LIMIT = 2
    settings.ENGINE_WORKERS = 1


def fixture_doc(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}-board.json").read_text())


def import_doc(doc: dict[str, Any], tmp_path: Path, name: str = "board.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    out = io.StringIO()
    call_command("board_import", str(path), stdout=out)
    return out.getvalue()


def export_doc(now: str, buffer_minutes: int) -> dict[str, Any]:
    out = io.StringIO()
    call_command(
        "board_export", "-", "--now", now, "--buffer-minutes", str(buffer_minutes), stdout=out
    )
    return json.loads(out.getvalue())


def shop_is_empty() -> bool:
    return not any(
        model.objects.exists()
        for model in (
            Calendar,
            CalendarException,
            WorkCenter,
            CapacityOption,
            Product,
            Order,
            Operation,
            Promise,
            ScheduleVersion,
            ScheduledOperation,
        )
    )


def assert_current_schedule_keeps_promises() -> None:
    """The current version verified against the promises alone (no baseline to excuse
    lateness), as of the instant it was planned."""
    version = ScheduleVersion.objects.get(is_current=True)
    board = board_snapshot(version=version, now=version.planned_at).board
    answer = engine.Answer(status="promised", schedule=board.schedule or ())
    assert engine.verify(dataclasses.replace(board, schedule=None), answer) == []


def test_example_fixture_round_trips_exactly_except_the_quote_request(tmp_path: Path) -> None:
    doc = fixture_doc("example")
    output = import_doc(doc, tmp_path)
    assert "request Q-77 was not imported" in output
    exported = export_doc(doc["now"], doc["buffer_minutes"])
    expected = copy.deepcopy(doc)
    del expected["request"]
    assert exported == expected
    assert_current_schedule_keeps_promises()
    version = ScheduleVersion.objects.get(is_current=True)
    assert version.kind == "import" and version.planned_at.isoformat().startswith(
        "2026-12-01T06:00"
    )
    promises = Promise.objects.order_by("order__code")
    assert [(p.order.code, p.kind, p.due, p.buffer_minutes) for p in promises] == [
        ("SO-1001", "imported", datetime(2026, 12, 8, 22, 0, tzinfo=UTC), 960),
        ("SO-1002", "imported", datetime(2026, 12, 4, 22, 0, tzinfo=UTC), 1440),
    ]
    running = Operation.objects.get(order__code="SO-1001", sequence=10)
    assert running.state == "running" and running.work_center is not None
    assert running.work_center.code == "LATHE-1"


@pytest.mark.parametrize("name", ["small-shop", "dst-berlin"])
def test_fixtures_round_trip_up_to_what_the_shop_rebuilds(name: str, tmp_path: Path) -> None:
    """small-shop's baseline leaves W-3 unscheduled and lists a done operation; dst-berlin has
    no schedule: the shop repairs / builds a verified schedule, everything else comes back."""
    doc = fixture_doc(name)
    output = import_doc(doc, tmp_path)
    assert "engine.check" in output
    exported = export_doc(doc["now"], doc["buffer_minutes"])
    expected = copy.deepcopy(doc)
    expected.pop("request", None)
    for order in expected["orders"]:
        for op in order["operations"]:
            if op.get("state") == "planned":
                del op["state"]  # the default, written without a state
    assert {k: v for k, v in exported.items() if k != "schedule"} == {
        k: v for k, v in expected.items() if k != "schedule"
    }
    board = engine.load_board(exported)
    assert board.schedule
    assert (
        engine.verify(
            dataclasses.replace(board, schedule=None),
            engine.Answer(status="promised", schedule=board.schedule),
        )
        == []
    )
    assert_current_schedule_keeps_promises()


def test_generated_board_round_trips_exactly(tmp_path: Path) -> None:
    doc = canonical_board_doc(now=NOW, seed=3, orders=10)
    import_doc(doc, tmp_path)
    first = export_doc(doc["now"], DEFAULT_BUFFER)
    assert first == doc
    assert_current_schedule_keeps_promises()
    # One product per distinct routing, quantity 1, minutes given back by the routing.
    order = Order.objects.get(code="B-001")
    assert order.customer.code == "IMPORT" and order.quantity == 1
    for op in order.operations.all():
        step = order.product.routing.get(sequence=op.sequence)
        assert step.minutes_for(1) == op.minutes


@pytest.mark.parametrize("seed", [5, 8])
def test_export_of_an_import_imports_back_identically(seed: int, tmp_path: Path) -> None:
    doc = canonical_board_doc(now=NOW, seed=seed, orders=7)
    # Make it non-canonical the ways a foreign file would be: unsorted lists, explicit
    # default buffers and states.
    doc["work_centers"].reverse()
    doc["orders"].reverse()
    doc["schedule"].reverse()
    doc["orders"][0]["buffer_minutes"] = DEFAULT_BUFFER
    for order in doc["orders"]:
        for op in order["operations"]:
            op.setdefault("state", "planned")
            op["work_centers"].reverse()

    class Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            import_doc(doc, tmp_path)
            first = export_doc(doc["now"], DEFAULT_BUFFER)
            raise Rollback
    except Rollback:
        pass
    assert shop_is_empty()
    assert first != doc  # normalised...
    assert engine.load_board(first) is not None
    import_doc(first, tmp_path, "first.json")
    second = export_doc(first["now"], DEFAULT_BUFFER)
    assert second == first  # ...and stable from then on


def test_import_into_a_shop_that_is_not_empty_is_refused(tmp_path: Path) -> None:
    doc = fixture_doc("example")
    import_doc(doc, tmp_path)
    before = Order.objects.count(), ScheduleVersion.objects.count()
    with pytest.raises(CommandError, match="empty shop only"):
        import_doc(fixture_doc("small-shop"), tmp_path, "second.json")
    assert (Order.objects.count(), ScheduleVersion.objects.count()) == before


def _broken(mutate: Any) -> dict[str, Any]:
    doc = fixture_doc("example")
    mutate(doc)
    return doc


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["work_centers"][1].update(capacity=0), "work_centers[1].capacity"),
        (lambda d: d["orders"][1].update(colour="red"), "orders[1].colour"),
        (
            lambda d: d["orders"][1]["operations"][0].update(minutes=1.5),
            "orders[1].operations[0].minutes",
        ),
        (lambda d: d["schedule"][2].update(end="2026-12-01 08:00"), "schedule[2].end"),
        (
            lambda d: (
                d["orders"][1]["operations"][0].update(id="turn"),
                d["schedule"][2].update(operation="turn"),
            ),
            "orders[1].operations[0].id",
        ),
        (
            lambda d: (
                d["orders"][1]["operations"][0].update(id="010"),
                d["schedule"][2].update(operation="010"),
            ),
            "orders[1].operations[0].id",
        ),
        (lambda d: d["capacity_options"][0].update(cost=10.125), "capacity_options[0].cost"),
        (lambda d: d.update(format="board/2"), "format"),
        (
            lambda d: d["orders"][1]["operations"][0].update(minutes=10**18),
            "orders[1].operations[0].minutes",
        ),
        (lambda d: d["orders"][1].update(buffer_minutes=10**18), "orders[1].buffer_minutes"),
        (lambda d: d["work_centers"][1].update(capacity=10**18), "work_centers[1].capacity"),
    ],
)
def test_bad_board_file_is_rejected_whole_naming_the_field(
    mutate: Any, field: str, tmp_path: Path
) -> None:
    with pytest.raises(CommandError) as error:
        import_doc(_broken(mutate), tmp_path)
    assert field in str(error.value)
    assert "nothing imported" in str(error.value)
    assert shop_is_empty()


def test_not_json_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "board.json"
    path.write_text("{not json")
    with pytest.raises(CommandError, match="not JSON"):
        call_command("board_import", str(path))
    assert shop_is_empty()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"format": "board/1", "now": "\xff\xfe"}', "is not UTF-8 text \\(byte 30\\)"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
    ids=["not UTF-8", "deeply nested"],
)
def test_unreadable_json_is_reported_not_a_traceback(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "board.json"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        call_command("board_import", str(path))
    assert shop_is_empty()


def test_board_no_schedule_can_keep_is_rejected_with_the_orders_at_fault(tmp_path: Path) -> None:
    doc = fixture_doc("example")
    del doc["schedule"]
    # SO-1002 needs 120 minutes but is due, buffer included, before the shift starts.
    doc["orders"][1]["due"] = "2026-12-02T06:30:00Z"
    with pytest.raises(CommandError) as error:
        import_doc(doc, tmp_path)
    assert "SO-1002" in str(error.value) and "SO-1001" not in str(error.value)
    assert shop_is_empty()


def test_invalid_file_schedule_is_repaired_and_verified(tmp_path: Path) -> None:
    doc = fixture_doc("example")
    # Both lathe jobs at once on LATHE-1 (capacity 1): rule 3 broken in the file.
    doc["schedule"][2].update(work_center="LATHE-1")
    output = import_doc(doc, tmp_path)
    assert "repaired" in output
    assert_current_schedule_keeps_promises()
    rows = ScheduledOperation.objects.filter(version__is_current=True)
    assert rows.count() == 3
    assert Customer.objects.filter(code="IMPORT").exists()


def test_export_of_an_empty_shop_is_a_valid_board(tmp_path: Path) -> None:
    doc = export_doc("2026-12-01T06:00:00Z", 1440)
    assert doc["orders"] == [] and "schedule" not in doc
    engine.load_board(doc)


def test_export_writes_a_file(tmp_path: Path) -> None:
    import_doc(fixture_doc("example"), tmp_path)
    target = tmp_path / "out.json"
    call_command("board_export", str(target), "--now", "2026-12-01T06:00:00Z", stdout=io.StringIO())
    assert engine.load_board(json.loads(target.read_text())).orders


def test_order_late_in_the_files_plan_needs_repromise_late(tmp_path: Path) -> None:
    doc = fixture_doc("example")
    # The file's plan ends SO-1002 at 08:00 on Dec 1; due - buffer is 07:00 and SO-1002 cannot
    # finish before 08:00 (the shift starts at 06:00 and it needs 120 minutes).
    doc["orders"][1]["due"] = "2026-12-02T07:00:00Z"
    with pytest.raises(CommandError) as error:
        import_doc(doc, tmp_path)
    assert "SO-1002" in str(error.value) and "--repromise-late" in str(error.value)
    assert shop_is_empty()

    out = io.StringIO()
    path = tmp_path / "late.json"
    path.write_text(json.dumps(doc))
    call_command("board_import", str(path), "--repromise-late", stdout=out)
    assert "re-promised at completion + buffer: SO-1002" in out.getvalue()
    promise = Promise.objects.get(order__code="SO-1002")
    assert promise.due == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)  # completion 08:00 + 1 day
    assert "file due 2026-12-02 07:00 UTC" in promise.reason
    assert Promise.objects.get(order__code="SO-1001").due == datetime(
        2026, 12, 8, 22, 0, tzinfo=UTC
    )
    assert_current_schedule_keeps_promises()
    exported = export_doc(doc["now"], doc["buffer_minutes"])
    assert exported["schedule"] == doc["schedule"]  # the file's plan, kept as it was


def test_export_with_downtime_and_applied_option_imports_back_identically(tmp_path: Path) -> None:
    """A work center whose time differs from its calendar is exported with a calendar of its
    own (`<calendar>@<work center>`); that document survives another import and export."""
    doc = fixture_doc("example")

    class Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            import_doc(doc, tmp_path)
            mill = WorkCenter.objects.get(code="MILL-1")
            # Facts set up directly, far from anything scheduled: a repair stop and an option
            # marked applied (as an approved proposal would).
            WorkCenterDowntime.objects.create(
                work_center=mill,
                start=datetime(2026, 12, 14, 6, 0, tzinfo=UTC),
                end=datetime(2026, 12, 14, 12, 0, tzinfo=UTC),
                reason="Spindle bearing",
            )
            CapacityOption.objects.filter(code="SAT-MILL").update(status="applied")
            first = export_doc(doc["now"], doc["buffer_minutes"])
            raise Rollback  # promises refuse DELETE: a fresh shop comes from a rollback
    except Rollback:
        pass
    assert shop_is_empty()
    assert [wc["calendar"] for wc in first["work_centers"]] == [
        "two-shift",
        "two-shift",
        "two-shift@MILL-1",
    ]
    own = first["calendars"]["two-shift@MILL-1"]
    assert ["2026-12-14T06:00:00Z", "2026-12-14T12:00:00Z"] in own["closed"]
    assert ["2026-12-05T06:00:00Z", "2026-12-05T14:00:00Z"] in own["extra"]
    assert "capacity_options" not in first

    import_doc(first, tmp_path, "first.json")
    assert export_doc(first["now"], doc["buffer_minutes"]) == first


def test_done_operation_without_history_imports_and_round_trips(tmp_path: Path) -> None:
    """ERP boards (and bench.generate) often say only "done": no start, no work center."""
    doc = canonical_board_doc(now=NOW, seed=3, orders=6)
    first_op = doc["orders"][0]["operations"][0]
    assert first_op["state"] == "done"
    del first_op["start"], first_op["work_center"]
    import_doc(doc, tmp_path)
    done = Operation.objects.get(order__code="B-001", sequence=int(first_op["id"]))
    assert (done.state, done.work_center, done.actual_start) == ("done", None, None)
    assert export_doc(doc["now"], DEFAULT_BUFFER) == doc
    assert_current_schedule_keeps_promises()
    # Only a done operation may lack its history: a running one still needs both.
    running = Operation.objects.get(order__code="B-001", state="running")
    with pytest.raises(IntegrityError), transaction.atomic():
        Operation.objects.filter(pk=running.pk).update(actual_start=None)
