"""Lower bounds: valid for every schedule, and the energy argument where the path is weak."""

from __future__ import annotations

from scheduling.engine import quote
from scheduling.engine.bounds import request_bounds
from scheduling.engine.problem import build_problem

from .solver_boards import board, op, request


def two_full_day_orders():
    # MILL works 06:00-22:00 (960 minutes). Two orders of 480 minutes are both promised for
    # Monday 22:00: together they fill Monday, although neither has a compulsory part alone.
    due = "2026-12-07T22:00:00Z"
    return board(
        orders=[{"id": o, "due": due, "operations": [op("10", "MILL", 480)]} for o in "AB"],
        request=request([op("10", "MILL", 60)]),
    )


def test_energy_bound_sees_a_day_filled_by_promises():
    b = two_full_day_orders()
    problem = build_problem(b)
    assert problem.request_job is not None
    path, lower = request_bounds(problem, problem.request_job)
    assert path is not None and path[-1][2] == 60  # the path alone: Monday 07:00
    assert lower == 1440 + 60  # Tuesday 07:00: 960 + 60 working minutes needed
    answer = quote(b, time_limit=2, workers=1)
    assert answer.completion is not None
    assert answer.completion == answer.lower_bound
    assert answer.completion.isoformat() == "2026-12-08T07:00:00+00:00"
    assert answer.proven_optimal


def test_capacity_two_halves_the_energy():
    b = two_full_day_orders()
    b = b.__class__(
        **{
            **b.__dict__,
            "work_centers": tuple(wc.__class__(wc.id, 2, wc.calendar) for wc in b.work_centers),
        }
    )
    problem = build_problem(b)
    assert problem.request_job is not None
    _, lower = request_bounds(problem, problem.request_job)
    assert lower == 60  # two units: room for the request on Monday morning
    completion = quote(b, time_limit=2, workers=1).completion
    assert completion is not None
    assert completion.isoformat() == "2026-12-07T07:00:00+00:00"
