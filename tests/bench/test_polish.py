"""bench.polish: a proposal polished from its quote keeps the completion and moves no more.

Runs the benchmark's own code on the 1k board it reports on (short limits, deterministic), so a
polish that crashes, breaks a rule, changes the promise or moves more is caught here first.
"""

from __future__ import annotations

import argparse

from bench.polish import markdown, run


def test_polishing_keeps_the_completion_and_moves_fewer_operations() -> None:
    rows = run(
        operations=1000,
        requests=8,
        quote_limit=0.5,
        polish_limit=1.0,
        workers=1,
        seed=1,
        echo=False,
    )
    assert rows, "no request moved planned work: nothing was polished"
    assert all(r.valid and r.same_completion for r in rows)
    assert all(r.polish_moved <= r.quote_moved for r in rows)
    assert sum(r.polish_moved for r in rows) < sum(r.quote_moved for r in rows)
    args = argparse.Namespace(
        operations=1000, requests=8, quote_limit=0.5, polish_limit=1.0, workers=1, seed=1
    )
    text = markdown(rows, args)
    assert f"Over {len(rows)} proposals" in text and "**no**" not in text
