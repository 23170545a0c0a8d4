"""quote(warm_start=...): a schedule found before for the request is where the search starts.

The earliest promise (``earliest=True``: these boards carry requested dates). On a generated
board a 3 s quote finds an earlier completion than a 0.1 s one. Handed the 3 s
schedule, the 0.1 s quote completes no later; with a capacity option added (extra working time
shortens pauses, so the old ends are recomputed) too. A schedule that does not fit the board is
ignored, not an error.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bench.generate import generate_board, generate_requests
from scheduling.engine import Answer, Board, load_board, quote, verify


@pytest.fixture(scope="module")
def solved() -> tuple[Board, Answer, Answer]:
    doc = generate_requests(generate_board(operations=300, seed=2), count=2, seed=2)[1]
    board = load_board(doc)
    long = quote(board, time_limit=3, earliest=True, workers=1)
    cold = quote(board, time_limit=0.1, earliest=True, workers=1)
    assert long.completion is not None and cold.completion is not None
    assert long.completion < cold.completion  # else this board shows nothing
    return board, long, cold


def test_a_short_quote_keeps_what_a_longer_one_found(solved: tuple[Board, Answer, Answer]) -> None:
    board, long, _ = solved
    warm = quote(board, time_limit=0.1, earliest=True, workers=1, warm_start=long.schedule)
    assert warm.completion is not None and long.completion is not None
    assert warm.completion <= long.completion
    assert verify(board, warm) == []


def test_adding_a_capacity_option_never_makes_it_later(
    solved: tuple[Board, Answer, Answer],
) -> None:
    board, long, _ = solved
    assert board.capacity_options
    option = board.capacity_options[0].id
    warm = quote(
        board,
        time_limit=0.1,
        earliest=True,
        workers=1,
        warm_start=long.schedule,
        apply_options=[option],
    )
    assert warm.completion is not None and long.completion is not None
    assert warm.completion <= long.completion
    assert verify(board, warm, [option]) == []


def test_a_schedule_that_does_not_fit_is_ignored(solved: tuple[Board, Answer, Answer]) -> None:
    board, long, cold = solved
    last = long.schedule[-1]
    broken = (*long.schedule[:-1], replace(last, start=last.start - timedelta(days=30)))
    for rows in (broken, long.schedule[:-1]):  # before now / incomplete
        answer = quote(board, time_limit=0.1, earliest=True, workers=1, warm_start=rows)
        assert answer.completion == cold.completion


def test_keep_completion_spends_the_time_on_moving_fewer_operations(
    solved: tuple[Board, Answer, Answer],
) -> None:
    board, _, cold = solved
    polished = quote(
        board,
        time_limit=1,
        earliest=True,
        workers=1,
        warm_start=cold.schedule,
        keep_completion=True,
    )
    searched = quote(board, time_limit=1, earliest=True, workers=1, warm_start=cold.schedule)
    assert polished.completion == cold.completion  # the promise is kept, not searched
    assert searched.completion is not None and cold.completion is not None
    assert searched.completion < cold.completion  # (which a search would have improved)
    assert len(polished.moved) < len(cold.moved)
    assert verify(board, polished) == []
