"""Generated boards read hours after their plan was made: the engine repairs or proves.

A board exported in the morning and quoted after lunch is the everyday case: planned operations
that should have started are still "planned", running ones may have overrun, and the tight
promises of the generator leave little room. Each quote and check must either promise a schedule
the verifier accepts (the plan repaired) or say "infeasible" only with proof, naming the orders at
fault with a least-late projection that keeps every rule but their promise. The statuses below
are facts about these boards (a proven answer either way), so they do not depend on the search.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from bench.generate import generate_board, generate_requests
from scheduling.engine import Answer, check, load_board, quote, verify

FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def _read_later(seed: int, hours: int) -> dict[str, Any]:
    doc = generate_requests(generate_board(operations=60, seed=seed), count=1, seed=seed)[0]
    now = datetime.strptime(doc["now"], FORMAT) + timedelta(hours=hours)
    doc["now"] = now.strftime(FORMAT)
    for order in [*doc["orders"], doc["request"]]:
        if order.get("release") and datetime.strptime(order["release"], FORMAT) < now:
            order["release"] = doc["now"]  # a release is never before now
    return doc


@pytest.mark.parametrize(
    ("seed", "hours", "status"),
    [(1, 2, "promised"), (5, 6, "promised"), (1, 6, "infeasible"), (2, 2, "infeasible")],
)
def test_a_stale_board_is_repaired_or_proven_infeasible(seed: int, hours: int, status: str) -> None:
    doc = _read_later(seed, hours)
    board = load_board(doc)
    quoted = quote(board, time_limit=2, workers=1)
    checked = check(load_board({k: v for k, v in doc.items() if k != "request"}), time_limit=2)
    assert quoted.status == checked.status == status, quoted.message
    if status == "promised":
        assert verify(board, quoted) == []
        assert any(row.order == doc["request"]["id"] for row in quoted.schedule)
        assert quoted.moved  # work planned before the new "now" had to move
        return
    for answer in (quoted, checked):
        assert answer.at_fault and "(proven" in answer.message
        assert answer.schedule == ()
    # check() also gives the least-late projection: every rule holds but the late promises.
    projection = Answer(status="promised", schedule=checked.projection)
    assert checked.projection
    assert verify(replace(board, request=None), projection, accept_late=checked.at_fault) == []
    assert verify(replace(board, request=None), projection)  # ...which are really late
