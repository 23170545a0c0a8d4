"""check() on a board that reality has made infeasible: it names the orders at fault and gives
the least-late projection, which keeps every rule but rule 5 for exactly those orders."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ortools.sat.python.cp_model import CpSolver

from scheduling.engine import check, cpmodel, dump_answer, existing, load_board, quote, verify
from scheduling.engine.model import Answer

DAY = ["06:00", "22:00"]


def _oven_board(
    window: list[str], closed: list[list[str]], due_a: str, due_b: str, minutes: int
) -> dict[str, Any]:
    """One OVEN, open ``window`` every day, and orders A and B of one ``minutes`` operation."""
    return {
        "format": "board/1",
        "now": "2026-12-07T06:00:00Z",
        "buffer_minutes": 0,
        "calendars": {
            "shop": {
                "timezone": "UTC",
                "weekly": {d: [window] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
                "closed": closed,
            }
        },
        "work_centers": [{"id": "OVEN", "capacity": 1, "calendar": "shop"}],
        "orders": [
            {
                "id": order,
                "due": due,
                "operations": [{"id": "10", "work_centers": ["OVEN"], "minutes": minutes}],
            }
            for order, due in (("A", due_a), ("B", due_b))
        ],
    }


def _board() -> dict[str, Any]:
    # OVEN is down all of Tuesday; A (due Tuesday night) cannot make it, B (due Friday) can.
    return _oven_board(
        DAY,
        [["2026-12-07T06:00:00Z", "2026-12-09T06:00:00Z"]],
        "2026-12-08T22:00:00Z",
        "2026-12-11T22:00:00Z",
        240,
    )


def test_infeasible_check_names_the_late_order_and_projects_it() -> None:
    board = load_board(_board())
    answer = check(board, time_limit=2, workers=1)

    assert answer.status == "infeasible"
    assert answer.at_fault == ("A",) and answer.at_risk == ("A",)
    assert answer.schedule == ()  # never a schedule that breaks a rule
    rows = {row.order: row for row in answer.projection}
    assert set(rows) == {"A", "B"}
    # The projection is the least late: A runs first thing after the outage.
    assert rows["A"].start.isoformat() == "2026-12-09T06:00:00+00:00"
    as_plan = Answer(status="promised", schedule=answer.projection)
    assert verify(board, as_plan, accept_late=answer.at_fault) == []
    assert any(v.startswith("rule 5: order A") for v in verify(board, as_plan))
    assert dump_answer(answer)["projection"]


def test_a_feasible_check_has_no_projection() -> None:
    doc = _board()
    doc["orders"][0]["due"] = "2026-12-09T22:00:00Z"
    answer = check(load_board(doc), time_limit=2, workers=1)
    assert answer.status == "promised" and answer.projection == ()
    assert answer.at_fault == () and {row.order for row in answer.schedule} == {"A", "B"}


# -- a repair that finds no valid schedule but proves nothing ----------------------------------
def _needs_reordering() -> dict[str, Any]:
    # No plan on the board; B must go first (due 2 h after now), A after it. A dispatch that
    # takes A first leaves B late, though a valid schedule exists.
    return _oven_board(["00:00", "24:00"], [], "2026-12-07T14:00:00Z", "2026-12-07T08:10:00Z", 120)


def _a_first(monkeypatch: Any, *, rebalance: bool = False) -> None:
    """Every dispatch rule takes A before B (so the dispatch leaves B late), and (unless
    ``rebalance``) no rounds move the late B forward."""
    monkeypatch.setattr(existing, "dispatch_priorities", lambda problem: [{0: 0, 1: 1}])
    if not rebalance:
        monkeypatch.setattr(existing, "REBALANCE_ROUNDS", 0)


def _solver_returns(monkeypatch: Any, status: str, bound: float | None) -> None:
    """The repair's CP-SAT run ends with ``status`` and ``bound`` and no better schedule than
    its hint (what a time limit reached early looks like)."""

    def solve(self: cpmodel.ScheduleModel, **kwargs: Any) -> cpmodel.SolveResult:
        return cpmodel.SolveResult(status, 0.0, None, None, bound, False, 0.0, CpSolver())

    monkeypatch.setattr(cpmodel.ScheduleModel, "solve", solve)


def _request(doc: dict[str, Any]) -> dict[str, Any]:
    doc["request"] = {
        "id": "Q-1",
        "operations": [{"id": "10", "work_centers": ["OVEN"], "minutes": 60}],
    }
    return doc


def test_the_repair_finds_the_reordering_the_dispatch_missed(monkeypatch: Any) -> None:
    _a_first(monkeypatch)
    board = load_board(_needs_reordering())
    answer = check(board, time_limit=2, workers=1)
    assert answer.status == "promised"
    assert verify(board, answer) == []
    quoted = quote(load_board(_request(_needs_reordering())), time_limit=2, workers=1)
    assert quoted.status == "promised" and quoted.proven_optimal


def test_a_repair_cut_short_without_proof_is_no_solution_not_infeasible(monkeypatch: Any) -> None:
    _a_first(monkeypatch)
    _solver_returns(monkeypatch, "UNKNOWN", None)
    for doc in (_needs_reordering(), _request(_needs_reordering())):
        board = load_board(doc)
        answer = check(board, time_limit=2) if board.request is None else quote(board)
        # B may well make it: nobody is condemned (at fault), but the best attempt is there
        # to show, B at risk in it, valid but for B's promise.
        assert answer.status == "no_solution"
        assert answer.at_fault == () and answer.at_risk == ("B",)
        assert "leaves 1 order(s) late: B" in answer.message
        as_plan = Answer(status="promised", schedule=answer.projection)
        assert {row.order for row in answer.projection} == {"A", "B"}
        assert verify(load_board(_needs_reordering()), as_plan, accept_late=("B",)) == []


def test_a_solver_bound_above_zero_proves_the_board_infeasible(monkeypatch: Any) -> None:
    _a_first(monkeypatch)
    _solver_returns(monkeypatch, "FEASIBLE", 1.0)  # some lateness is unavoidable
    answer = check(load_board(_needs_reordering()), time_limit=2)
    assert answer.status == "infeasible" and answer.at_fault == ("B",)
    assert "proven" in answer.message and answer.projection


def test_a_repair_keeps_its_dispatch_when_the_solver_ends_on_a_later_schedule(
    monkeypatch: Any,
) -> None:
    _a_first(monkeypatch)  # the dispatch leaves only B late

    def solve(self: cpmodel.ScheduleModel, **kwargs: Any) -> cpmodel.SolveResult:
        # Cut short on a schedule that is worse than its hint: A and B both late.
        worse = {0: (0, 600, 720), 1: (0, 720, 840)}
        return cpmodel.SolveResult("FEASIBLE", 0.0, worse, 1, None, False, 0.0, CpSolver())

    monkeypatch.setattr(cpmodel.ScheduleModel, "solve", solve)
    board = load_board(_needs_reordering())
    answer = check(board, time_limit=2)
    assert answer.status == "no_solution" and answer.at_risk == ("B",)
    assert "leaves 1 order(s) late: B" in answer.message
    rows = {row.order: row for row in answer.projection}
    assert rows["A"].start.isoformat() == "2026-12-07T06:00:00+00:00"


def test_rebalancing_rounds_move_the_late_order_forward_without_the_solver(
    monkeypatch: Any,
) -> None:
    _a_first(monkeypatch, rebalance=True)
    _solver_returns(monkeypatch, "UNKNOWN", None)
    board = load_board(_needs_reordering())
    answer = check(board, time_limit=2, workers=1)
    assert answer.status == "promised" and verify(board, answer) == []
    rows = {row.order: row for row in answer.schedule}
    assert rows["B"].start < rows["A"].start


# -- a quote against the repair ---------------------------------------------------------------
def _with_request(doc: dict[str, Any]) -> dict[str, Any]:
    doc["request"] = {
        "id": "R",
        "operations": [{"id": "10", "work_centers": ["OVEN"], "minutes": 240}],
    }
    return doc


def test_a_quote_on_a_broken_board_is_refused_unless_asked_against_the_repair() -> None:
    board = load_board(_with_request(_board()))
    assert quote(board, time_limit=2, workers=1).status == "infeasible"

    answer = quote(board, time_limit=2, workers=1, against_repair=True)
    assert answer.status == "promised" and answer.at_risk == ("A",)
    assert "A" in answer.message and "repair" in answer.message
    rows = {row.order: row for row in answer.schedule}
    # A keeps its least-late end (first thing after the outage); B keeps its promise; the
    # request goes in the next free hours, never in front of A.
    assert rows["A"].end.isoformat() == "2026-12-09T10:00:00+00:00"
    assert rows["R"].start >= rows["A"].end
    assert answer.completion is not None
    assert answer.completion.isoformat() == "2026-12-09T14:00:00+00:00"
    assert rows["B"].end.isoformat() <= "2026-12-11T22:00:00+00:00"
    assert verify(board, answer, accept_late=answer.at_risk) == []
    assert any(v.startswith("rule 5: order A") for v in verify(board, answer))
    assert dump_answer(answer)["at_risk"] == ["A"]


def test_against_the_repair_changes_nothing_on_a_board_that_holds() -> None:
    doc = _with_request(_board())
    doc["orders"][0]["due"] = "2026-12-09T22:00:00Z"  # A can make it after the outage
    board = load_board(doc)
    plain = quote(board, time_limit=2, workers=1)
    repaired = quote(board, time_limit=2, workers=1, against_repair=True)
    assert plain.status == repaired.status == "promised"
    assert repaired.at_risk == () and repaired.message == ""
    assert repaired.completion == plain.completion


def test_a_less_late_repair_found_before_is_quoted_against(monkeypatch: Any) -> None:
    """The background repair (given as ``repair``) wins over a worse one found in the quote's
    own second; an invalid one is ignored."""
    from scheduling.engine import solver
    from scheduling.engine.existing import Existing

    board = load_board(_with_request(_board()))
    own = quote(board, time_limit=2, workers=1, against_repair=True)
    background = tuple(row for row in own.schedule if row.order != "R")  # A first after the outage

    real = solver.existing_schedule

    def worse(problem: Any, *args: Any, **kwargs: Any) -> Existing:
        found = real(problem, *args, **kwargs)
        # B first after the outage (Wed 06:00-10:00), A after it: A four hours later.
        return Existing(
            None, found.at_fault, found.message, {1: (0, 2880, 3120), 0: (0, 3120, 3360)}
        )

    monkeypatch.setattr(solver, "existing_schedule", worse)
    alone = quote(board, time_limit=2, workers=1, against_repair=True)
    assert {r.order: r for r in alone.schedule}["A"].end.isoformat() == "2026-12-09T14:00:00+00:00"

    helped = quote(board, time_limit=2, workers=1, against_repair=True, repair=background)
    assert helped.at_risk == ("A",)
    assert {r.order: r for r in helped.schedule}["A"].end.isoformat() == "2026-12-09T10:00:00+00:00"
    assert verify(board, helped, accept_late=helped.at_risk) == []

    broken = tuple(replace(row, start=row.start.replace(hour=3)) for row in background)
    ignored = quote(board, time_limit=2, workers=1, against_repair=True, repair=broken)
    assert {r.order: r for r in ignored.schedule}["A"].end == {r.order: r for r in alone.schedule}[
        "A"
    ].end
