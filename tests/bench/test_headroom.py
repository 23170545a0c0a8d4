"""bench.headroom: the best-known schedule it measures quotes against is real and consistent.

A best known that broke a rule, or a bound above a schedule that exists, would make its verdicts
(search short of the optimum, or bound short of the proof) meaningless; these run its own code
on small generated boards.
"""

from __future__ import annotations

import argparse

from bench.generate import generate_board, generate_requests
from bench.headroom import best_known, markdown, run
from scheduling.engine import load_board, quote
from scheduling.engine.calendars import to_minute
from scheduling.engine.checking import append_baseline


def test_rows_are_consistent_and_verified() -> None:
    rows = run(
        operations=300,
        requests=3,
        limits=[0.3, 1.0],
        long_limit=2.0,
        workers=1,
        seed=2,
        echo=False,
    )
    assert len(rows) == 3
    for row in rows:
        assert row.best_valid and all(q.valid for q in row.quotes)
        # the best known is never later than any answer it was started from ...
        assert row.best <= min(q.completion for q in row.quotes)
        # ... and no bound lies above a schedule that exists
        assert row.best_bound <= row.best
        assert all(q.bound <= row.best for q in row.quotes)
        if row.best_proven:
            assert all(q.completion >= row.best for q in row.quotes)
    args = argparse.Namespace(
        operations=300, requests=3, limits=[0.3, 1.0], long_limit=2.0, workers=1, seed=2
    )
    text = markdown(rows, args)
    assert "**invalid**" not in text and "every schedule valid: yes" in text


def test_best_known_improves_on_a_poor_start_with_a_verified_schedule() -> None:
    """Started from appending the request to the queues, the whole-board model finds an
    earlier completion, and its schedule (rebuilt as an answer) passes the verifier."""
    board_doc = generate_board(operations=300, seed=2)
    board = load_board(generate_requests(board_doc, count=1, seed=1002)[0])
    appended = append_baseline(board)
    assert appended.completion is not None
    engine = quote(board, time_limit=1.0, workers=1, seed=0, earliest=True)
    assert engine.completion is not None and engine.completion < appended.completion
    best, bound, _proven, valid, _seconds = best_known(board, appended, time_limit=2.0, workers=1)
    assert valid
    assert best < to_minute(appended.completion, board.now)
    assert bound <= best
