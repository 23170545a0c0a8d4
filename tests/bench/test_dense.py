"""bench.dense: the vendored dense boards and their best known schedules are real, and the
bench's rows are verified answers that never beat a proven optimum.

A best known schedule that broke a rule would make every ratio in docs/benchmarks.md a lie;
so would a row whose answer the verifier rejects.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bench.dense import BOARDS, quote_dense, report
from bench.worktime import parse_instant
from scheduling.engine import load_board, verify
from scheduling.engine.assembly import promised_answer, solution_from_rows
from scheduling.engine.calendars import to_minute
from scheduling.engine.model import Answer, ScheduledOperation
from scheduling.engine.problem import build_problem

KNOWN = sorted(p.name for p in BOARDS.glob("p*.best.json")) + sorted(
    p.name for p in BOARDS.glob("p*.ours.json")
)


@pytest.mark.parametrize("known", KNOWN)
def test_best_known_schedule_passes_the_verifier(known: str) -> None:
    name = known.split(".")[0]
    board = load_board(json.loads((BOARDS / f"{name}.board.json").read_text()))
    best = json.loads((BOARDS / known).read_text())
    rows = [
        ScheduledOperation(
            order=r["order"],
            operation=r["operation"],
            work_center=r["work_center"],
            start=parse_instant(r["start"]),
            end=parse_instant(r["end"]),
        )
        for r in best["schedule"]
    ]
    problem = build_problem(board)
    solution = solution_from_rows(problem, rows, board.now)
    assert solution is not None and len(solution) == len(problem.tasks)
    answer: Answer = promised_answer(board, problem, solution)
    assert verify(board, answer) == []
    assert answer.completion == board.now + timedelta(minutes=best["lead_minutes"])
    assert to_minute(answer.completion, board.now) == best["lead_minutes"]


def test_a_row_is_a_verified_quote_no_earlier_than_the_proven_optimum() -> None:
    # p1's best known (345 min) is proven optimal: no valid answer can complete earlier.
    row = quote_dense("p1", 1.0)
    assert row.problems == ()
    assert row.lead is not None and row.lead >= row.best_lead == 345
    assert row.lower is not None and row.lower <= 345
    text = report([row], ["- Date: test"], "python -m bench.dense --boards p1 --limits 1")
    assert "| p1 | 1 | 0 |" in text and "within target" in text
