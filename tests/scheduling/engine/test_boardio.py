"""board/1 and answer/1 loading, validation and export (scheduling.engine.boardio)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from scheduling.engine.boardio import (
    BoardError,
    dump_answer,
    dump_board,
    load_answer,
    load_board,
    load_board_file,
)
from scheduling.engine.model import Answer, OptionResult
from tests.scheduling.engine.conftest import BOARD_FIXTURES, FIXTURES

Doc = dict[str, Any]
ROOT = Path(__file__).resolve().parents[3]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# --- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", BOARD_FIXTURES)
def test_canonical_board_fixture_round_trips_exactly(name: str, fixture_doc) -> None:
    doc = fixture_doc(f"{name}-board")
    board = load_board(doc)
    assert dump_board(board) == doc
    assert load_board(dump_board(board)) == board


@pytest.mark.parametrize("name", BOARD_FIXTURES)
def test_canonical_answer_fixture_round_trips_exactly(name: str, fixture_doc) -> None:
    doc = fixture_doc(f"{name}-answer")
    answer = load_answer(doc)
    assert dump_answer(answer) == doc
    assert load_answer(dump_answer(answer)) == answer


def test_example_board_is_read_into_the_dataclasses(fixture_doc) -> None:
    board = load_board(fixture_doc("example-board"))
    assert board.now == datetime(2026, 12, 1, 6, tzinfo=UTC)
    assert board.buffer_minutes == 1440
    calendar = board.calendar("two-shift")
    assert calendar.weekly[0] == ((360, 1320),)  # Monday 06:00-22:00
    assert calendar.weekly[5] == ()
    assert calendar.closed == ((utc("2026-12-24T00:00:00Z"), utc("2026-12-27T00:00:00Z")),)
    order = board.orders[0]
    assert order.buffer_minutes == 960 and board.order_buffer(order) == 960
    assert board.order_buffer(board.orders[1]) == 1440  # board default
    running, planned = order.operations
    assert running.effective_state == "running" and running.work_center == "LATHE-1"
    assert running.start == utc("2026-12-01T05:00:00Z")
    assert planned.state is None and planned.effective_state == "planned"
    assert board.request is not None and board.request.requested_due == utc("2026-12-04T22:00:00Z")
    assert board.capacity_options is not None and board.capacity_options[0].cost == 800


def test_offsets_are_converted_to_utc_and_exported_as_z(fixture_doc) -> None:
    doc = fixture_doc("example-board")
    doc["now"] = "2026-12-01T07:00:00+01:00"
    doc["orders"][0]["due"] = "2026-12-08T17:00-05:00"  # seconds may be left out
    board = load_board(doc)
    assert board.now == datetime(2026, 12, 1, 6, tzinfo=UTC)
    assert board.orders[0].due == datetime(2026, 12, 8, 22, tzinfo=UTC)
    out = dump_board(board)
    assert out["now"] == "2026-12-01T06:00:00Z"
    assert out["orders"][0]["due"] == "2026-12-08T22:00:00Z"
    assert load_board(out) == board


def test_optional_keys_are_omitted_on_export(fixture_doc) -> None:
    doc = fixture_doc("dst-berlin-board")
    out = dump_board(load_board(doc))
    assert "schedule" not in out and "capacity_options" not in out
    assert set(out["request"]) == {"id", "operations"}
    assert set(out["calendars"]["berlin-day"]) == {"timezone", "weekly"}
    assert set(out["orders"][0]) == {"id", "due", "operations"}


def test_explicit_planned_state_and_empty_lists_are_kept(fixture_doc) -> None:
    doc = fixture_doc("small-shop-board")
    doc["schedule"] = []
    doc["capacity_options"] = []
    board = load_board(doc)
    assert board.orders[0].operations[2].state == "planned"
    assert board.schedule == () and board.capacity_options == ()
    assert dump_board(board) == doc


def test_window_may_end_at_midnight_and_windows_may_touch(fixture_doc) -> None:
    doc = fixture_doc("example-board")
    doc["calendars"]["two-shift"]["weekly"]["fri"] = [["06:00", "14:00"], ["14:00", "24:00"]]
    board = load_board(doc)
    assert board.calendar("two-shift").weekly[4] == ((360, 840), (840, 1440))
    assert dump_board(board)["calendars"]["two-shift"]["weekly"]["fri"][1] == ["14:00", "24:00"]


def test_running_operations_up_to_capacity_are_accepted(fixture_doc) -> None:
    doc = fixture_doc("small-shop-board")
    doc["work_centers"][1]["capacity"] = 2  # WELD-1
    del doc["schedule"]
    doc["orders"][1]["operations"][0] = {
        "id": "10",
        "work_centers": ["WELD-1"],
        "minutes": 480,
        "state": "running",
        "start": "2026-12-21T06:00:00Z",
        "work_center": "WELD-1",
    }
    board = load_board(doc)
    assert board.orders[1].operations[0].effective_state == "running"


def test_dump_writes_aware_non_utc_datetimes_in_utc(fixture_doc) -> None:
    board = load_board(fixture_doc("dst-berlin-board"))
    berlin = datetime(2027, 3, 29, 8, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    answer = Answer(status="promised", completion=berlin)
    assert dump_answer(answer)["completion"] == "2027-03-29T06:00:00Z"
    assert board.now.tzinfo is UTC


# --- validation errors, each with the JSON path of the offending field ------------------------


def _set(path: list[Any], value: Any) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def _delete(path: list[Any]) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        target = doc
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return mutate


def _make_op0_planned_and_op1_running(doc: Doc) -> None:
    first, second = doc["orders"][0]["operations"]
    first.pop("state"), first.pop("start"), first.pop("work_center")
    second.update(state="running", start="2026-12-01T05:00:00Z", work_center="MILL-1")


def _second_running_op_on_lathe(doc: Doc) -> None:
    doc["orders"][1]["operations"][0].update(
        state="running", start="2026-12-01T04:00:00Z", work_center="LATHE-1"
    )


def _two_running_in_one_order(doc: Doc) -> None:
    doc["orders"][0]["operations"][1].update(
        state="running", start="2026-12-01T05:30:00Z", work_center="MILL-1"
    )


def _duplicate_capacity_option(doc: Doc) -> None:
    doc["capacity_options"].append(
        {"id": "SAT-MILL", "work_center": "MILL-1", "extra": [], "cost": 1}
    )


def _duplicate_schedule_row(doc: Doc) -> None:
    doc["schedule"].append(dict(doc["schedule"][0]))


ORDER0 = ["orders", 0]
OP0 = [*ORDER0, "operations", 0]
OP1 = [*ORDER0, "operations", 1]
WEEKLY = ["calendars", "two-shift", "weekly"]
T = "2026-12-01T06:00:00Z"

INVALID: list[tuple[str, Callable[[Doc], None], str, str]] = [
    ("unknown root key", _set(["colour"], "red"), "colour", "unknown key"),
    ("unknown nested key", _set([*OP1, "colour"], 1), "orders[0].operations[1].colour", "unknown"),
    ("wrong format", _set(["format"], "board/2"), "format", "board/1"),
    ("missing now", _delete(["now"]), "now", "required"),
    ("naive instant", _set(["now"], "2026-12-01T06:00:00"), "now", "explicit offset"),
    ("date only", _set(["now"], "2026-12-01"), "now", "explicit offset"),
    ("instant not a string", _set(["now"], 1764568800), "now", "instant"),
    ("seconds", _set(["now"], "2026-12-01T06:00:30Z"), "now", "one minute"),
    ("microseconds", _set(["now"], "2026-12-01T06:00:00.5Z"), "now", "one minute"),
    ("impossible date", _set(["now"], "2026-02-30T06:00:00Z"), "now", "not a valid"),
    ("float minutes", _set([*OP1, "minutes"], 90.0), "orders[0].operations[1].minutes", "whole"),
    ("bool minutes", _set([*OP1, "minutes"], True), "orders[0].operations[1].minutes", "whole"),
    ("zero minutes", _set([*OP1, "minutes"], 0), "orders[0].operations[1].minutes", "at least 1"),
    ("negative buffer", _set(["buffer_minutes"], -1), "buffer_minutes", "at least 0"),
    ("order buffer float", _set([*ORDER0, "buffer_minutes"], 1.5), "orders[0].buffer_minutes", ""),
    (
        "bad clock",
        _set([*WEEKLY, "mon", 0, 1], "25:00"),
        "calendars.two-shift.weekly.mon[0][1]",
        "",
    ),
    (
        "clock format",
        _set([*WEEKLY, "mon", 0, 0], "6:00"),
        "calendars.two-shift.weekly.mon[0][0]",
        "",
    ),
    ("24:00 as start", _set([*WEEKLY, "mon", 0], ["24:00", "24:00"]), "weekly.mon[0]", "before"),
    ("window backwards", _set([*WEEKLY, "tue", 0], ["22:00", "06:00"]), "weekly.tue[0]", "before"),
    (
        "overlapping windows",
        _set([*WEEKLY, "wed"], [["06:00", "14:00"], ["13:00", "22:00"]]),
        "calendars.two-shift.weekly.wed[1]",
        "overlaps",
    ),
    (
        "unsorted windows",
        _set([*WEEKLY, "thu"], [["14:00", "22:00"], ["06:00", "14:00"]]),
        "calendars.two-shift.weekly.thu[1]",
        "sorted",
    ),
    (
        "window triple",
        _set([*WEEKLY, "fri", 0], ["06:00", "08:00", "09:00"]),
        "weekly.fri[0]",
        "pair",
    ),
    ("missing weekday", _delete([*WEEKLY, "sun"]), "calendars.two-shift.weekly.sun", "required"),
    ("unknown weekday", _set([*WEEKLY, "sunday"], []), "calendars.two-shift.weekly.sunday", ""),
    ("bad zone", _set(["calendars", "two-shift", "timezone"], "Mars/Olympus"), "timezone", "IANA"),
    ("zone path", _set(["calendars", "two-shift", "timezone"], "../etc"), "timezone", "IANA"),
    (
        "closed backwards",
        _set(
            ["calendars", "two-shift", "closed", 0],
            ["2026-12-27T00:00:00Z", "2026-12-24T00:00:00Z"],
        ),
        "calendars.two-shift.closed[0]",
        "before",
    ),
    (
        "extra empty",
        _set(["calendars", "two-shift", "extra", 0], [T, T]),
        "calendars.two-shift.extra[0]",
        "before",
    ),
    (
        "extra naive",
        _set(["calendars", "two-shift", "extra", 0, 1], "2026-12-05T14:00"),
        "extra[0][1]",
        "",
    ),
    (
        "duplicate work center",
        _set(["work_centers", 1, "id"], "LATHE-1"),
        "work_centers[1].id",
        "dup",
    ),
    ("capacity zero", _set(["work_centers", 0, "capacity"], 0), "work_centers[0].capacity", ""),
    ("capacity string", _set(["work_centers", 0, "capacity"], "1"), "work_centers[0].capacity", ""),
    (
        "unknown calendar",
        _set(["work_centers", 2, "calendar"], "night"),
        "work_centers[2].calendar",
        "",
    ),
    ("duplicate order", _set(["orders", 1, "id"], "SO-1001"), "orders[1].id", "duplicate"),
    ("order id not string", _set(["orders", 1, "id"], 1002), "orders[1].id", "string"),
    ("no operations", _set([*ORDER0, "operations"], []), "orders[0].operations", "empty"),
    ("duplicate operation", _set([*OP1, "id"], "10"), "orders[0].operations[1].id", "duplicate"),
    (
        "no work centers",
        _set([*OP1, "work_centers"], []),
        "orders[0].operations[1].work_centers",
        "",
    ),
    (
        "unknown work center",
        _set([*OP1, "work_centers"], ["MILL-9"]),
        "orders[0].operations[1].work_centers[0]",
        "unknown work center",
    ),
    ("bad state", _set([*OP0, "state"], "paused"), "orders[0].operations[0].state", "one of"),
    ("running without start", _delete([*OP0, "start"]), "orders[0].operations[0].start", "running"),
    (
        "running without work center",
        _delete([*OP0, "work_center"]),
        "orders[0].operations[0].work_center",
        "running",
    ),
    (
        "running on a work center not allowed",
        _set([*OP0, "work_center"], "MILL-1"),
        "orders[0].operations[0].work_center",
        "not one of",
    ),
    (
        "running start after now",
        _set([*OP0, "start"], "2026-12-01T06:01:00Z"),
        "operations[0].start",
        "after now",
    ),
    (
        "planned with start",
        _set([*OP1, "start"], T),
        "orders[0].operations[1].start",
        "only running",
    ),
    (
        "planned with work center",
        _set([*OP1, "work_center"], "MILL-1"),
        "orders[0].operations[1].work_center",
        "only running",
    ),
    (
        "running after planned",
        _make_op0_planned_and_op1_running,
        "orders[0].operations[1].state",
        "",
    ),
    ("two running", _two_running_in_one_order, "orders[0].operations[1].state", "at most one"),
    ("done after running", _set([*OP1, "state"], "done"), "orders[0].operations[1].state", "done"),
    (
        "overlapping running operations",
        _second_running_op_on_lathe,
        "orders[1].operations[0].work_center",
        "overlapping running operations",
    ),
    ("release naive", _set([*ORDER0, "release"], "2026-12-01 06:00"), "orders[0].release", ""),
    (
        "schedule unknown order",
        _set(["schedule", 0, "order"], "Q-77"),
        "schedule[0].order",
        "unknown",
    ),
    (
        "schedule unknown operation",
        _set(["schedule", 1, "operation"], "30"),
        "schedule[1].operation",
        "",
    ),
    (
        "schedule work center not allowed",
        _set(["schedule", 1, "work_center"], "LATHE-1"),
        "schedule[1].work_center",
        "not one of",
    ),
    (
        "schedule unknown work center",
        _set(["schedule", 1, "work_center"], "MILL-9"),
        "schedule[1].work_center",
        "unknown",
    ),
    ("schedule duplicate", _duplicate_schedule_row, "schedule[3]", "already scheduled"),
    ("schedule empty row", _set(["schedule", 2, "end"], T), "schedule[2].end", "after start"),
    ("schedule missing end", _delete(["schedule", 2, "end"]), "schedule[2].end", "required"),
    ("option duplicate", _duplicate_capacity_option, "capacity_options[1].id", "duplicate"),
    (
        "option unknown center",
        _set(["capacity_options", 0, "work_center"], "X"),
        "capacity_options[0].work_center",
        "",
    ),
    (
        "option negative cost",
        _set(["capacity_options", 0, "cost"], -5),
        "capacity_options[0].cost",
        ">= 0",
    ),
    (
        "option cost bool",
        _set(["capacity_options", 0, "cost"], False),
        "capacity_options[0].cost",
        "",
    ),
    (
        "option cost nan",
        _set(["capacity_options", 0, "cost"], float("nan")),
        "capacity_options[0].cost",
        "",
    ),
    (
        "option span",
        _set(["capacity_options", 0, "extra", 0], [T]),
        "capacity_options[0].extra[0]",
        "pair",
    ),
    ("request id collides", _set(["request", "id"], "SO-1002"), "request.id", "already the id"),
    (
        "request running",
        _set(["request", "operations", 0, "state"], "running"),
        "request.operations[0].state",
        "",
    ),
    (
        "request zero minutes",
        _set(["request", "operations", 0, "minutes"], 0),
        "request.operations[0].minutes",
        "",
    ),
    ("request unknown key", _set(["request", "customer"], "ACME"), "request.customer", "unknown"),
    (
        "request due naive",
        _set(["request", "requested_due"], "2026-12-04"),
        "request.requested_due",
        "",
    ),
    ("request no operations", _delete(["request", "operations"]), "request.operations", "required"),
    ("calendars not object", _set(["calendars"], []), "calendars", "object"),
    ("orders not array", _set(["orders"], {}), "orders", "array"),
]


@pytest.mark.parametrize(
    ("mutate", "field", "fragment"),
    [case[1:] for case in INVALID],
    ids=[case[0] for case in INVALID],
)
def test_invalid_board_is_rejected_with_field_path(
    mutate: Callable[[Doc], None], field: str, fragment: str, fixture_doc
) -> None:
    doc = fixture_doc("example-board")
    load_board(doc)  # the unmodified fixture is valid: the mutation alone causes the error
    mutate(doc)
    with pytest.raises(BoardError) as caught:
        load_board(doc)
    error = caught.value
    assert error.field.endswith(field), str(error)
    assert fragment.lower() in error.message.lower(), str(error)
    assert str(error) == f"{error.field}: {error.message}"
    assert isinstance(error, ValueError)


def test_root_must_be_an_object() -> None:
    with pytest.raises(BoardError) as caught:
        load_board(["format", "board/1"])
    assert caught.value.field == ""
    assert str(caught.value).startswith("(root): must be an object")


# --- files -------------------------------------------------------------------------------------


def test_load_board_file_reads_a_fixture() -> None:
    board = load_board_file(FIXTURES / "small-shop-board.json")
    assert [wc.capacity for wc in board.work_centers] == [2, 1]


def test_load_board_file_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(BoardError, match=r"cannot read .*nope\.json"):
        load_board_file(missing)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b'{"format": "board/1",', "not valid JSON"),
        (b"\xff\xfe\x00garbage", "cannot read"),
        (b'{"format": "board/1", "format": "board/1"}', "duplicate key 'format'"),
        (b'{"format": NaN}', "NaN is not a JSON number"),
    ],
)
def test_load_board_file_rejects_non_json(tmp_path: Path, content: bytes, fragment: str) -> None:
    path = tmp_path / "board.json"
    path.write_bytes(content)
    with pytest.raises(BoardError) as caught:
        load_board_file(path)
    assert fragment in caught.value.message


def test_load_board_file_reports_field_errors_too(tmp_path: Path, fixture_doc) -> None:
    doc = fixture_doc("example-board")
    doc["orders"][1]["operations"][0]["minutes"] = 12.5
    path = tmp_path / "board.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(BoardError) as caught:
        load_board_file(path)
    assert caught.value.field == "orders[1].operations[0].minutes"


# --- answers -----------------------------------------------------------------------------------


def test_infeasible_answer_writes_at_fault_and_message() -> None:
    answer = Answer(status="infeasible", at_fault=("SO-1001",), message="SO-1001 cannot make it")
    doc = dump_answer(answer)
    assert doc["at_fault"] == ["SO-1001"]
    assert doc["message"] == "SO-1001 cannot make it"
    assert doc["completion"] is None and doc["promise"] is None and doc["lower_bound"] is None
    assert doc["binding"] == {"work_centers": [], "orders": []}
    assert load_answer(doc) == answer


def test_promised_answer_omits_empty_at_fault_and_message(fixture_doc) -> None:
    answer = load_answer(fixture_doc("example-answer"))
    doc = dump_answer(answer)
    assert "at_fault" not in doc and "message" not in doc
    assert doc["moved"][0] == {
        "order": "SO-1001",
        "operation": "20",
        "from": "2026-12-01T10:00:00Z",
        "to": "2026-12-01T11:00:00Z",
    }


def test_a_kept_requested_date_round_trips_its_earliest_completion(fixture_doc) -> None:
    answer = load_answer(fixture_doc("example-answer"))
    assert "earliest_completion" not in dump_answer(answer)
    kept = dataclasses.replace(answer, earliest_completion=datetime(2026, 12, 1, 9, tzinfo=UTC))
    doc = dump_answer(kept)
    assert doc["earliest_completion"] == "2026-12-01T09:00:00Z"
    assert load_answer(doc) == kept


def test_option_without_schedule_has_null_instants() -> None:
    answer = Answer(
        status="promised", options=(OptionResult("SAT", None, None, 0),), solve_seconds=1.5
    )
    doc = dump_answer(answer)
    assert doc["options"] == [{"id": "SAT", "completion": None, "promise": None, "gain_minutes": 0}]
    assert load_answer(doc) == answer


@pytest.mark.parametrize(
    ("key", "value", "field"),
    [
        ("format", "answer/2", "format"),
        ("status", "maybe", "status"),
        ("completion", "2026-12-01T11:00:00", "completion"),
        ("proven_optimal", "yes", "proven_optimal"),
        ("requested_due_feasible", 1, "requested_due_feasible"),
        ("binding", {"work_centers": []}, "binding.orders"),
        ("moved", [{"order": "A", "operation": "1", "from": "x", "to": "y"}], "moved[0].from"),
        ("solve_seconds", -1, "solve_seconds"),
        ("earliest_completion", "2026-12-01", "earliest_completion"),
        ("extra_key", 1, "extra_key"),
    ],
)
def test_invalid_answer_is_rejected(key: str, value: Any, field: str, fixture_doc) -> None:
    doc = fixture_doc("example-answer")
    doc[key] = value
    with pytest.raises(BoardError) as caught:
        load_answer(doc)
    assert caught.value.field == field


# --- no Django -------------------------------------------------------------------------------


def test_engine_modules_import_without_django() -> None:
    code = (
        "import scheduling.engine.boardio, scheduling.engine.verify, sys; "
        "assert not any(m.startswith('django') for m in sys.modules), "
        "sorted(m for m in sys.modules if m.startswith('django'))"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def _projected_row(order: str) -> Any:
    from scheduling.engine.model import ScheduledOperation

    return ScheduledOperation(
        order=order,
        operation="10",
        work_center="MILL-1",
        start=datetime(2026, 12, 1, 6, tzinfo=UTC),
        end=datetime(2026, 12, 1, 8, tzinfo=UTC),
    )


def test_an_infeasible_answer_round_trips_its_projection() -> None:
    from scheduling.engine.model import Answer

    row = _projected_row("SO-1")
    answer = Answer(status="infeasible", at_fault=("SO-1",), projection=(row,), message="late")
    doc = dump_answer(answer)
    assert doc["projection"][0]["order"] == "SO-1" and doc["schedule"] == []
    assert load_answer(doc) == answer
    assert "projection" not in dump_answer(Answer(status="promised"))


def test_a_no_solution_answer_round_trips_its_projection_and_the_orders_at_risk() -> None:
    from scheduling.engine.model import Answer

    answer = Answer(
        status="no_solution",
        projection=(_projected_row("SO-2"),),
        at_risk=("SO-2",),
        message="late",
    )
    doc = dump_answer(answer)
    assert doc["at_risk"] == ["SO-2"] and "at_fault" not in doc
    assert load_answer(doc) == answer
    assert "at_risk" not in dump_answer(Answer(status="promised"))
    doc["at_risk"] = [""]
    with pytest.raises(BoardError, match=r"at_risk\[0\]"):
        load_answer(doc)


def test_a_request_round_trips_on_its_own_and_reads_older_nulls() -> None:
    from datetime import UTC, datetime

    from scheduling.engine.boardio import dump_request, load_request
    from scheduling.engine.model import Operation, Request

    request = Request(
        id="Q-7",
        operations=(Operation(id="10", work_centers=("SAW", "SAW-2"), minutes=30),),
        requested_due=datetime(2026, 12, 21, 16, 0, tzinfo=UTC),
        buffer_minutes=1440,
    )
    doc = dump_request(request)
    assert doc == {
        "id": "Q-7",
        "requested_due": "2026-12-21T16:00:00Z",
        "buffer_minutes": 1440,
        "operations": [{"id": "10", "work_centers": ["SAW", "SAW-2"], "minutes": 30}],
    }
    assert load_request(doc) == request
    # Rows stored before the engine wrote requests spelled absent fields as null.
    assert load_request({**doc, "release": None, "buffer_minutes": None}) == Request(
        id="Q-7", operations=request.operations, requested_due=request.requested_due
    )
    with pytest.raises(BoardError, match=r"request\.operations\[0\]\.minutes"):
        load_request({**doc, "operations": [{"id": "10", "work_centers": ["SAW"], "minutes": 0}]})
    with pytest.raises(BoardError, match=r"request\.operations\[0\]\.state"):
        load_request({**doc, "operations": [{**doc["operations"][0], "state": "running"}]})
