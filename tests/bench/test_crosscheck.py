"""The cross-check against an independent optimum: it must catch a lying bound or claim."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bench.crosscheck import CrossRow, markdown, run, summary
from bench.plain_cpsat import PlainResult
from scheduling.engine import Answer

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
OPTIMUM = NOW + timedelta(hours=20)


def _row(
    completion: datetime, lower: datetime, proven: bool, plain_proven: bool = True
) -> CrossRow:
    engine = Answer(
        status="promised",
        request="Q-1",
        completion=completion,
        promise=completion,
        lower_bound=lower,
        proven_optimal=proven,
    )
    plain = PlainResult("promised", OPTIMUM, OPTIMUM if plain_proven else NOW, plain_proven, 1.0)
    return CrossRow(1, "Q-1", NOW, engine, 0.1, [], plain)


def test_a_consistent_answer_has_no_fault() -> None:
    assert _row(OPTIMUM, OPTIMUM, True).faults() == []
    assert _row(OPTIMUM + timedelta(hours=1), OPTIMUM - timedelta(hours=2), False).faults() == []


@pytest.mark.parametrize(
    ("completion", "lower", "proven", "fault"),
    [
        (OPTIMUM + timedelta(hours=1), OPTIMUM + timedelta(minutes=1), False, "lower bound above"),
        (OPTIMUM + timedelta(hours=1), OPTIMUM + timedelta(hours=1), True, "called optimal"),
        (OPTIMUM - timedelta(hours=1), OPTIMUM - timedelta(hours=1), True, "below the optimum"),
    ],
)
def test_a_lying_bound_or_claim_is_a_fault(completion, lower, proven, fault) -> None:
    faults = _row(completion, lower, proven).faults()
    assert any(fault in f for f in faults), faults
    assert summary([_row(completion, lower, proven)])["faults"] == 1


def test_without_a_proven_optimum_only_the_plain_bound_is_checked() -> None:
    row = _row(NOW - timedelta(hours=1), NOW - timedelta(hours=2), False, plain_proven=False)
    assert row.optimum is None
    assert row.faults() == ["completion below the plain model's bound"]


def test_a_real_board_is_checked_against_the_plain_models_proof() -> None:
    rows = run(
        operations=60,
        seeds=(2,),
        requests=2,
        time_limit=2.0,
        plain_time_limit=10.0,
        workers=1,
        echo=False,
    )
    s = summary(rows)
    assert s["requests"] == 2
    assert s["optimum_known"] == 2
    assert s["faults"] == 0
    # the engine's bound holds on a board this small: it never exceeds the optimum
    for row in rows:
        assert row.engine.lower_bound is not None and row.optimum is not None
        assert row.engine.completion is not None
        assert row.engine.lower_bound <= row.optimum <= row.engine.completion
    text = markdown(rows, operations=60, time_limit=2.0, plain_time_limit=10.0)
    assert "Requests with a fault: **0**" in text
    assert rows[0].request in text
