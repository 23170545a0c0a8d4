"""The benchmark's board generator and plain baseline: deterministic, valid, and honest.

The engine's verifier is the judge throughout: a generated board's schedule, the append baseline
and the plain CP-SAT model's schedule must all pass it, and the plain model's proven optimum must
agree with the engine's answer and lower bound.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

import pytest

from bench.generate import NOW, generate_board, generate_requests
from bench.plain_cpsat import PlainBoardModel, segments
from bench.run_quotes import plain_answer
from bench.shop_profile import CALENDARS
from bench.worktime import WorkingTime, calendar_windows
from scheduling.engine import Answer, load_board, quote, verify
from scheduling.engine.checking import append_baseline


@pytest.fixture(scope="module")
def board_doc() -> dict:
    return generate_board(operations=1000, seed=7)


def test_same_seed_gives_the_same_board_and_another_seed_does_not(board_doc: dict) -> None:
    again = generate_board(operations=1000, seed=7)
    other = generate_board(operations=1000, seed=8)
    assert json.dumps(again, sort_keys=True) == json.dumps(board_doc, sort_keys=True)
    assert json.dumps(other, sort_keys=True) != json.dumps(board_doc, sort_keys=True)
    requests = generate_requests(board_doc, count=4, seed=3)
    assert json.dumps(requests) == json.dumps(generate_requests(board_doc, count=4, seed=3))


def test_board_loads_and_its_schedule_passes_the_verifier(board_doc: dict) -> None:
    board = load_board(board_doc)
    assert board.schedule is not None
    assert verify(board, Answer(status="promised", schedule=board.schedule)) == []


def test_breaking_the_generated_schedule_is_caught(board_doc: dict) -> None:
    """Guards the test above: the verifier does look at the generated rows."""
    board = load_board(board_doc)
    assert board.schedule is not None
    first, *rest = board.schedule
    moved = type(first)(
        first.order, first.operation, first.work_center, first.start - timedelta(days=30), first.end
    )
    assert verify(board, Answer(status="promised", schedule=(moved, *rest))) != []


def test_board_has_the_features_of_a_real_shop(board_doc: dict) -> None:
    board = load_board(board_doc)
    operations = [op for order in board.orders for op in order.operations]
    open_operations = [op for op in operations if op.effective_state != "done"]
    assert 1000 <= len(open_operations) <= 1010
    assert {wc.capacity for wc in board.work_centers} == {1, 2}
    assert len(board.work_centers) >= 12
    assert any(op.effective_state == "running" for op in operations)
    assert any(len(op.work_centers) > 1 for op in operations)
    assert all(3 <= len(order.operations) <= 8 for order in board.orders)
    releases = [order.release for order in board.orders if order.release is not None]
    assert max(releases) - board.now > timedelta(days=14)
    assert board.capacity_options and all(o.cost > 0 for o in board.capacity_options)
    # tight quotes: most orders have at most four hours between completion + buffer and due
    ends = {row.order: row.end for row in board.schedule or ()}
    margins = [
        order.due - timedelta(minutes=board.order_buffer(order)) - ends[order.id]
        for order in board.orders
    ]
    assert sum(m <= timedelta(hours=4) for m in margins) == len(margins)
    assert any(m < timedelta(0) for m in margins) or len(margins) < 100


def test_requests_differ_and_load(board_doc: dict) -> None:
    documents = generate_requests(board_doc, count=6, seed=11)
    ids = set()
    for document in documents:
        board = load_board(document)
        assert board.request is not None
        assert 3 <= len(board.request.operations) <= 6
        assert board.request.requested_due is not None
        ids.add(board.request.id)
        append = append_baseline(board)
        assert append.status == "promised"
        assert verify(board, append) == []
    assert len(ids) == 6


def test_pause_segments_agree_with_walking_the_calendar() -> None:
    origin = NOW
    walk = WorkingTime(
        calendar_windows(
            CALENDARS["day-shift-berlin"],
            origin=origin,
            first=origin - timedelta(days=3),
            last=origin + timedelta(days=40),
        )
    )
    rng = random.Random(5)
    for _ in range(30):
        minutes = rng.randint(5, 1500)
        low = rng.randint(-2000, 20000)
        high = low + rng.randint(0, 6000)
        expected = {s: walk.end_of(s, minutes) for s in range(low, high + 1) if walk.is_working(s)}
        found = {
            s: s + minutes + seg.pause
            for seg in segments(walk, minutes, low, high)
            for s in range(seg.low, seg.high + 1)
        }
        assert found == expected


def test_plain_model_optimum_is_valid_and_agrees_with_the_engine() -> None:
    document = generate_requests(generate_board(operations=60, seed=2), count=1, seed=2)[0]
    board = load_board(document)
    assert board.request is not None
    plain = PlainBoardModel(document).solve(document, time_limit=5, workers=1)
    assert plain.status == "promised" and plain.proven_optimal
    assert plain.completion is not None
    answer = plain_answer(board.request.id, plain, board.order_buffer(board.request))
    assert verify(board, answer) == []
    engine = quote(board, time_limit=3, workers=1, evaluate_options=False, earliest=True)
    assert engine.status == "promised"
    assert engine.completion is not None and engine.lower_bound is not None
    # neither can beat a proven optimum, and no true lower bound can exceed it
    assert engine.completion >= plain.completion
    assert engine.lower_bound <= plain.completion
    assert isinstance(engine.completion, datetime)


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 11, 29, 3, 0, tzinfo=NOW.tzinfo),  # a Sunday night: every shift is off
        datetime(2026, 11, 27, 22, 30, tzinfo=NOW.tzinfo),  # a Friday after the late shift
        datetime(2026, 12, 2, 4, 0, tzinfo=NOW.tzinfo),  # a weekday before the early shift
    ],
)
def test_boards_generated_off_shift_are_valid(monkeypatch: pytest.MonkeyPatch, now) -> None:
    """Tests generate boards from the real clock; at night or on a weekend, operations must
    still be running from the last shift (started before now), not from the next one."""
    from bench import generate

    monkeypatch.setattr(generate, "NOW", now)
    doc = generate_board(operations=300, seed=1)
    board = load_board(doc)  # rejects a running operation that starts after now
    running = [op for order in board.orders for op in order.operations if op.state == "running"]
    assert running and all(op.start is not None and op.start < board.now for op in running)
    assert verify(board, Answer(status="promised", schedule=board.schedule or ())) == []
