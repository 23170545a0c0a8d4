"""Completion-search strategies (``quote(strategy=...)``), which a portfolio of quotes runs side
by side: each one answers with a verified schedule, and they search different neighbourhoods."""

from __future__ import annotations

import pytest

from bench.generate import generate_board, generate_requests
from scheduling.engine import STRATEGIES, load_board, quote, verify
from scheduling.engine.budget import Clock
from scheduling.engine.problem import baseline_solution, build_problem
from scheduling.engine.search import CompletionSearch


@pytest.fixture(scope="module")
def board():  # type: ignore[no-untyped-def]
    doc = generate_requests(generate_board(operations=600, seed=3), count=1, seed=3)[0]
    return load_board(doc)


def test_every_strategy_answers_with_a_verified_schedule(board) -> None:  # type: ignore[no-untyped-def]
    for strategy in range(STRATEGIES):
        answer = quote(board, time_limit=0.6, workers=1, strategy=strategy, earliest=True)
        assert answer.status == "promised", (strategy, answer.message)
        assert verify(board, answer) == [], strategy


def test_an_unknown_strategy_is_refused(board) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="strategy"):
        quote(board, time_limit=0.2, workers=1, strategy=STRATEGIES)


def test_the_strategies_search_different_neighbourhoods(board) -> None:  # type: ignore[no-untyped-def]
    problem = build_problem(board)
    existing = baseline_solution(problem)
    assert existing is not None
    search = CompletionSearch(problem, existing, Clock(1.0, None, None, board.now), 1, 0)
    assert search.best is not None

    def starts(window: list[int] | None) -> list[int]:
        assert window is not None and len(window) > 10
        return [search.best[t][1] for t in window]  # type: ignore[index]

    default = search.levels()
    assert [level.later_only for level in default][:2] == [True, False]
    assert starts(default[0].window) == sorted(starts(default[0].window))  # earliest first
    search.strategy = 1
    (near,) = search.levels()
    assert not near.later_only
    # The work planned just before the request's completion first (the time left cuts the
    # window from the other end).
    assert starts(near.window) == sorted(starts(near.window), reverse=True)
    search.strategy = 2
    (single,) = search.levels()
    assert not single.later_only and single.window == default[1].window
