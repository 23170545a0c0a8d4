"""The completion search's phases without CP-SAT (``scheduling.engine.constructive``): the
request first with the plan shifted right behind it, and the relocating insertion. The
right-justified phases are tested beside ``justify`` (test_justify.py).

The board: MILL holds A at 06:00-08:00 and B at 08:00-10:00; the request needs MILL for an hour
(test_search.py's board; inserted into the plan's gaps it completes at 11:00, minute 300).
"""

from __future__ import annotations

from scheduling.engine.problem import violations

from .test_search import MILL, MONDAY_08, MONDAY_10, REQUEST, A, B, _search


def test_request_first_is_adopted_when_every_promise_still_holds() -> None:
    problem, completion_search = _search()
    completion_search.try_request_first([(MILL, 0, 60)])
    assert completion_search.best == {
        A: (MILL, 60, 180),
        B: (MILL, 180, 300),
        REQUEST: (MILL, 0, 60),
    }
    assert completion_search.completion == 60
    assert violations(problem, completion_search.best) == []


def test_request_first_is_not_adopted_when_it_would_make_an_order_late() -> None:
    # A is due at 08:00: shifting it right for the request breaks its promise.
    _, completion_search = _search(a_due=MONDAY_08)
    before = dict(completion_search.best or {})
    completion_search.try_request_first([(MILL, 0, 60)])
    assert completion_search.best == before
    assert completion_search.completion == 300


def test_request_first_is_not_adopted_when_it_completes_later() -> None:
    _, completion_search = _search()
    completion_search.try_request_first([(MILL, 360, 420)])  # valid, but 12:00-13:00
    assert completion_search.completion == 300


def test_relocation_adopts_a_valid_schedule_with_an_earlier_completion() -> None:
    # A is due at 08:00 and stays; B has days of slack and makes room after the request.
    problem, completion_search = _search(a_due=MONDAY_08)
    completion_search.try_relocation()
    assert completion_search.best == {
        A: (MILL, 0, 120),
        REQUEST: (MILL, 120, 180),
        B: (MILL, 180, 300),
    }
    assert completion_search.completion == 180
    assert violations(problem, completion_search.best) == []


def test_relocation_keeps_the_incumbent_when_no_planned_work_may_move() -> None:
    _, completion_search = _search(a_due=MONDAY_08, b_due=MONDAY_10)
    before = dict(completion_search.best or {})
    completion_search.try_relocation()
    assert completion_search.best == before
