"""bench.requested: each pair is two verified answers, and keeping a requested date two weeks
out on a dense board moves no more than the earliest date does, and none where a schedule
moving nothing meets the date."""

from __future__ import annotations

import json

from bench.dense import BOARDS
from bench.requested import compare, report
from scheduling.engine import load_board


def test_keeping_the_requested_date_moves_no_more_than_the_earliest() -> None:
    board = load_board(json.loads((BOARDS / "p1.board.json").read_text()))
    # One worker: both runs deterministic, so the comparison does not depend on the load.
    pair = compare("p1", board, 2, 2.0, workers=1)
    assert pair.valid
    assert pair.feasible  # p1's request can be done in hours; two weeks is easy
    assert pair.kept_moved <= pair.earliest_moved
    assert pair.kept_promise_days == 14.0  # the promise is the requested date itself
    assert pair.earliest_promise_days < 14.0
    text = report([pair], ["- Date: test"], "python -m bench.requested")
    assert "no operation moved" in text and "| p1 | 2 | yes |" in text
    # Two weeks out, the request in the plan's gaps (nothing moved) ends too late...
    assert not pair.zero_move_possible and "| p1 | 2 | yes | no |" in text
    # ...three weeks out it meets the date, and then the date is kept moving nothing.
    later = compare("p1", board, 3, 2.0, workers=1)
    assert later.valid and later.zero_move_possible and later.kept_moved == 0
    assert "kept with none moved on **1/1** of those" in report([pair, later], [], "")
