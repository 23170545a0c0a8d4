"""bench.kept_rounds: both variants run on the same demo board, every kept answer verified, the
moves never grow from one round to the next, and the engine is left as it was."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import scheduling.engine.solver as solver
from bench import kept_rounds


def test_both_variants_are_measured_and_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kept_rounds, "FIRST", 0.3)
    monkeypatch.setattr(kept_rounds, "ROUNDS", (0.3,))
    # The boards are in the project: a fresh clone has them.
    assert (kept_rounds.BOARDS / "demo-kept-8d.board.json").exists()
    variants: list[Any] = []
    real = kept_rounds.run

    def recorded(path: Path, seed: int) -> Any:
        variants.append(solver.KEPT_DATE_ROOM)
        trace, completion, valid = real(path, seed)
        assert trace == sorted(trace, reverse=True)  # a round never keeps more moves
        return trace, completion, valid

    monkeypatch.setattr(kept_rounds, "run", recorded)
    output = tmp_path / "kept.md"
    assert (
        kept_rounds.main(["--seeds", "0", "--boards", "demo-kept-6d", "--output", str(output)]) == 0
    )
    assert variants == [False, True]
    assert solver.KEPT_DATE_ROOM is True
    text = output.read_text()
    assert "| demo-kept-6d | 0 | completion kept (before) |" in text
    assert "| demo-kept-6d | 0 | request free up to the date |" in text
    assert "| NO |" not in text
