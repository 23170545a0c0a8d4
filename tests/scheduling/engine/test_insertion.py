"""Inserting the request by relocating planned work (``scheduling.engine.insertion``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hypothesis import given

from scheduling.engine import load_board, quote, verify
from scheduling.engine.budget import BUILD_SECONDS_PER_TASK, Clock
from scheduling.engine.dispatch import insert_job
from scheduling.engine.existing import existing_schedule
from scheduling.engine.insertion import insert_with_relocation
from scheduling.engine.options import evaluate_option
from scheduling.engine.problem import baseline_solution, build_problem, violations
from scheduling.engine.search import CompletionSearch

from .solver_boards import board, op, request, row
from .test_properties import SETTINGS, tiny_boards

MONDAY = "2026-12-07T"


def _job(problem) -> int:
    assert problem.request_job is not None
    return problem.request_job


def _end(problem, solution) -> int:
    return solution[problem.jobs[_job(problem)].tasks[-1]][2]


def test_displaced_work_moves_to_its_alternative():
    # A (MILL or LATHE) is planned on MILL 06:00-10:00; the request needs MILL for an hour.
    # The plan's gaps put the request at 10:00; moving A to the idle LATHE frees 06:00.
    b = board(
        centers={"MILL": 1, "LATHE": 1},
        orders=[
            {
                "id": "A",
                "due": MONDAY + "22:00:00Z",
                "operations": [op("10", ["MILL", "LATHE"], 240)],
            }
        ],
        schedule=[row("A", "10", "MILL", MONDAY + "06:00:00Z", MONDAY + "10:00:00Z")],
        request=request([op("10", "MILL", 60)]),
    )
    problem = build_problem(b)
    existing = baseline_solution(problem)
    assert existing is not None
    assert _end(problem, insert_job(problem, existing, _job(problem))) == 300
    moved = insert_with_relocation(problem, existing, _job(problem))
    assert moved is not None and violations(problem, moved) == []
    assert _end(problem, moved) == 60
    a = problem.jobs[0].tasks[0]
    assert problem.machines[moved[a][0]].id == "LATHE"
    answer = quote(b, time_limit=2, workers=1)
    assert answer.completion is not None
    assert answer.completion.isoformat() == "2026-12-07T07:00:00+00:00"
    assert answer.proven_optimal


def packed_mill():
    # A 06:00-10:00 then B 10:00-14:00 on MILL, each with an hour of slack: the only way to
    # start the request at 06:00 is to shift both right by its hour (no gap takes A in time).
    return board(
        orders=[
            {"id": "A", "due": MONDAY + "11:00:00Z", "operations": [op("10", "MILL", 240)]},
            {"id": "B", "due": MONDAY + "15:00:00Z", "operations": [op("10", "MILL", 240)]},
        ],
        schedule=[
            row("A", "10", "MILL", MONDAY + "06:00:00Z", MONDAY + "10:00:00Z"),
            row("B", "10", "MILL", MONDAY + "10:00:00Z", MONDAY + "14:00:00Z"),
        ],
        request=request([op("10", "MILL", 60)]),
    )


def _both_modes(b):
    """The problem and the request inserted into gaps and by shifting, both checked valid."""
    problem = build_problem(b)
    existing = baseline_solution(problem)
    assert existing is not None
    into_gaps = insert_with_relocation(problem, existing, _job(problem))
    shifted = insert_with_relocation(problem, existing, _job(problem), shift=True)
    assert into_gaps is not None and shifted is not None
    assert violations(problem, into_gaps) == [] and violations(problem, shifted) == []
    return problem, into_gaps, shifted


def test_packed_lane_shifts_right_within_the_promises():
    b = packed_mill()
    problem, into_gaps, shifted = _both_modes(b)
    assert _end(problem, shifted) == 60
    assert _end(problem, into_gaps) > 60  # A fits no gap before its promise
    answer = quote(b, time_limit=2, workers=1)
    assert verify(b, answer) == []
    assert answer.completion is not None
    assert answer.completion.isoformat() == "2026-12-07T07:00:00+00:00"


def test_a_promise_limits_the_shift():
    # One minute less slack for B: shifting both by the request's hour would make B late, so
    # neither insertion may start the request at 06:00.
    document = packed_mill()
    orders = list(document.orders)
    b_order = orders[1]
    orders[1] = replace(b_order, due=b_order.due - timedelta(minutes=1))
    tighter = replace(document, orders=tuple(orders))
    problem = build_problem(tighter)
    existing = baseline_solution(problem)
    assert existing is not None
    for shift in (False, True):
        result = insert_with_relocation(problem, existing, _job(problem), shift=shift)
        assert result is not None and violations(problem, result) == []
        assert _end(problem, result) > 60


def shift_or_gap():
    # MILL: A 06:00-10:00 (MILL only, an hour of slack), B 10:00-14:00 (MILL or LATHE, half an
    # hour of slack); LATHE: C 06:00-09:00. For the request to start at 06:00, A must shift
    # right (no gap takes it in time) and B must leave for the LATHE gap after C (shifting it
    # too would make it late): neither mode alone gets there.
    return board(
        centers={"MILL": 1, "LATHE": 1},
        orders=[
            {"id": "A", "due": MONDAY + "11:00:00Z", "operations": [op("10", "MILL", 240)]},
            {
                "id": "B",
                "due": MONDAY + "14:30:00Z",
                "operations": [op("10", ["MILL", "LATHE"], 240)],
            },
            {"id": "C", "due": MONDAY + "22:00:00Z", "operations": [op("10", "LATHE", 180)]},
        ],
        schedule=[
            row("A", "10", "MILL", MONDAY + "06:00:00Z", MONDAY + "10:00:00Z"),
            row("B", "10", "MILL", MONDAY + "10:00:00Z", MONDAY + "14:00:00Z"),
            row("C", "10", "LATHE", MONDAY + "06:00:00Z", MONDAY + "09:00:00Z"),
        ],
        request=request([op("10", "MILL", 60)]),
    )


def test_a_shift_hands_displaced_work_to_a_gap_that_keeps_its_promise():
    problem, into_gaps, shifted = _both_modes(shift_or_gap())
    assert _end(problem, into_gaps) > 60
    assert _end(problem, shifted) == 60
    a, b = (problem.jobs[k].tasks[0] for k in (0, 1))
    assert (problem.machines[shifted[a][0]].id, shifted[a][1]) == ("MILL", 60)  # shifted
    assert (problem.machines[shifted[b][0]].id, shifted[b][1]) == ("LATHE", 180)  # into the gap


def test_the_work_cap_stops_trials_and_keeps_a_valid_insertion():
    problem = build_problem(shift_or_gap())
    existing = baseline_solution(problem)
    assert existing is not None
    plain = insert_job(problem, existing, _job(problem))
    for shift in (False, True):
        capped = insert_with_relocation(problem, existing, _job(problem), shift=shift, max_work=0)
        assert capped is not None and violations(problem, capped) == []
        assert _end(problem, capped) == _end(problem, plain)  # nothing tried: the plan's gaps
        assert {t: capped[t] for t in existing} == existing  # and nothing moved


@SETTINGS
@given(tiny_boards(max_ops=4))
def test_relocations_keep_every_rule(document):
    b = load_board(document)
    problem = build_problem(b)
    existing = existing_schedule(problem, Clock(2, None, None, b.now), 1, 0, share=0.5)
    if existing.solution is None:
        return
    for shift in (False, True):
        result = insert_with_relocation(problem, existing.solution, _job(problem), shift=shift)
        assert result is not None  # the plan's own gaps are always a candidate
        assert violations(problem, result) == []


def test_an_option_is_valued_by_relocating_planned_work_into_its_hours():
    # MILL is packed on Monday (A 06:00-14:00, B 14:00-22:00, each with an hour of slack once
    # the 22:00-24:00 overtime exists). With the overtime, shifting A and B by an hour lets the
    # request run 06:00-07:00; the overtime's own gap alone would only give 22:00-23:00. The
    # option's share here is too short for any CP-SAT search: the gain comes from relocation.
    b = board(
        orders=[
            {"id": "A", "due": MONDAY + "15:00:00Z", "operations": [op("10", "MILL", 480)]},
            {"id": "B", "due": MONDAY + "23:00:00Z", "operations": [op("10", "MILL", 480)]},
        ],
        schedule=[
            row("A", "10", "MILL", MONDAY + "06:00:00Z", MONDAY + "14:00:00Z"),
            row("B", "10", "MILL", MONDAY + "14:00:00Z", MONDAY + "22:00:00Z"),
        ],
        options=[
            {
                "id": "OT-MILL",
                "work_center": "MILL",
                "cost": 300,
                "extra": [[MONDAY + "22:00:00Z", "2026-12-08T00:00:00Z"]],
            }
        ],
        request=request([op("10", "MILL", 60)]),
    )
    problem = build_problem(b)
    existing = baseline_solution(problem)
    assert existing is not None
    clock = Clock(10, None, None, b.now)
    search = CompletionSearch(problem, existing, clock, 1, 0)
    search.try_relocation()
    assert search.completion == 1440 + 60  # Tuesday 07:00: no room on Monday without overtime
    result = evaluate_option(b, problem, "OT-MILL", search, clock, 1, 0, budget=0.002)
    assert result.completion is not None
    assert result.completion.isoformat() == "2026-12-07T07:00:00+00:00"
    assert result.gain_minutes == 1440


def test_deterministic_clock_counts_the_relocation_and_model_work():
    """With one worker the clock is virtual: every phase's work must advance it, or the quote
    overruns its time limit (deterministic quotes used to take 1.5-3x their limit, counting
    only CP-SAT's own work)."""
    b = shift_or_gap()
    problem = build_problem(b)
    existing = baseline_solution(problem)
    assert existing is not None
    clock = Clock(2.0, None, None, b.now)
    clock.deterministic = True
    search = CompletionSearch(problem, existing, clock, 1, 0)
    search.try_relocation()
    work: list[int] = []
    insert_with_relocation(problem, existing, _job(problem), shift=True, work_done=work)
    assert work and work[0] > 0  # the shift mode takes planned work out of its lane
    assert clock.elapsed() > 0  # ... and the virtual clock saw it
    before = clock.elapsed()
    search.run(deadline=clock.elapsed() + 0.5, share=0.5)
    assert search.variable  # a model was built and solved
    # building, presolving and loading it is charged per operation, on top of CP-SAT's work
    assert clock.elapsed() - before >= len(search.variable) * BUILD_SECONDS_PER_TASK
    assert clock.wall() < clock.time_limit
