"""The solver on hand-made boards: each test is a situation a scheduler would recognise."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scheduling.engine import Progress, check, quote, verify
from scheduling.engine.assembly import EngineError
from scheduling.engine.checking import append_baseline

from .solver_boards import board, doc, op, request, row

T = "2026-12-{:02d}T{}:00Z"

# Public benchmark data vendored into the repository (bench/data/, see its README).
ORLIB = str(Path(__file__).resolve().parents[3] / "bench" / "data" / "orlib-jobshop1.txt")


def at(day: int, hhmm: str) -> datetime:
    return datetime.fromisoformat(T.format(day, hhmm).replace("Z", "+00:00")).astimezone(UTC)


def order(order_id: str, due: str, *ops: dict, **extra) -> dict:
    return {"id": order_id, "due": due, "operations": list(ops), **extra}


def iso(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:00Z")


def rows_by_key(answer):
    return {(r.order, r.operation): r for r in answer.schedule}


def test_request_fits_in_a_gap_without_moving_anything():
    b = board(
        orders=[
            order("A", T.format(7, "08:00"), op("10", "MILL", 120)),
            order("B", T.format(7, "12:00"), op("10", "MILL", 120)),
        ],
        schedule=[
            row("A", "10", "MILL", T.format(7, "06:00"), T.format(7, "08:00")),
            row("B", "10", "MILL", T.format(7, "10:00"), T.format(7, "12:00")),
        ],
        request=request([op("10", "MILL", 60)]),
    )
    answer = quote(b, time_limit=2, workers=1)
    assert answer.status == "promised"
    assert answer.completion == at(7, "09:00")
    assert answer.moved == ()
    assert answer.proven_optimal
    assert answer.lower_bound is not None and answer.lower_bound <= answer.completion
    assert verify(b, answer) == []


def test_request_displaces_planned_work_that_has_slack():
    b = board(
        orders=[order("A", T.format(8, "22:00"), op("10", "MILL", 240))],
        schedule=[row("A", "10", "MILL", T.format(7, "06:00"), T.format(7, "10:00"))],
        request=request([op("10", "MILL", 60)]),
    )
    answer = quote(b, time_limit=2, workers=1)
    assert answer.completion == at(7, "07:00")
    assert answer.proven_optimal and answer.lower_bound == at(7, "07:00")
    assert [(m.order, m.from_start, m.to_start) for m in answer.moved] == [
        ("A", at(7, "06:00"), at(7, "07:00"))
    ]
    assert rows_by_key(answer)[("A", "10")].end == at(7, "11:00")


def test_request_waits_for_work_whose_promise_is_tight_and_names_it():
    b = board(
        centers={"MILL": 1, "SAW": 1},
        orders=[
            order("A", T.format(7, "10:00"), op("10", "MILL", 240)),
            order("B", T.format(9, "22:00"), op("10", "SAW", 60)),
        ],
        schedule=[
            row("A", "10", "MILL", T.format(7, "06:00"), T.format(7, "10:00")),
            row("B", "10", "SAW", T.format(7, "06:00"), T.format(7, "07:00")),
        ],
        request=request([op("10", "MILL", 60)]),
    )
    answer = quote(b, time_limit=2, workers=1)
    assert answer.completion == at(7, "11:00")
    assert answer.moved == ()
    assert answer.binding_work_centers == ("MILL",)
    assert answer.binding_orders == ("A",)
    assert answer.proven_optimal  # CP-SAT proves it on the whole (small) board


def test_capacity_two_runs_the_request_alongside_existing_work():
    def make(capacity: int):
        return board(
            centers={"OVEN": capacity},
            orders=[order("A", T.format(7, "14:00"), op("10", "OVEN", 480))],
            schedule=[row("A", "10", "OVEN", T.format(7, "06:00"), T.format(7, "14:00"))],
            request=request([op("10", "OVEN", 120)]),
        )

    assert quote(make(2), time_limit=2, workers=1).completion == at(7, "08:00")
    assert quote(make(1), time_limit=2, workers=1).completion == at(7, "16:00")


def test_alternative_work_center_is_used_when_the_first_is_busy():
    b = board(
        centers={"M1": 1, "M2": 1},
        orders=[order("A", T.format(7, "14:00"), op("10", "M1", 480))],
        schedule=[row("A", "10", "M1", T.format(7, "06:00"), T.format(7, "14:00"))],
        request=request([op("10", ["M1", "M2"], 60)]),
    )
    answer = quote(b, time_limit=2, workers=1)
    assert rows_by_key(answer)[("Q-1", "10")].work_center == "M2"
    assert answer.completion == at(7, "07:00")


def test_running_operation_keeps_its_machine_and_start_and_its_remaining_work():
    # Started Friday 21:00 with 120 minutes: 60 received before the weekend, 60 left on Monday.
    b = board(
        orders=[
            order(
                "A",
                T.format(9, "22:00"),
                op(
                    "10",
                    "MILL",
                    120,
                    state="running",
                    start=T.format(4, "21:00"),
                    work_center="MILL",
                ),
                op("20", "MILL", 30),
            )
        ],
        request=request([op("10", "MILL", 60)]),
    )
    answer = quote(b, time_limit=2, workers=1)
    rows = rows_by_key(answer)
    assert rows[("A", "10")].start == at(4, "21:00")
    assert rows[("A", "10")].end == at(7, "07:00")
    assert rows[("Q-1", "10")].start >= at(7, "07:00")
    assert answer.completion == at(7, "08:00")


def test_release_and_pause_over_the_night():
    b = board(request=request([op("10", "MILL", 960 + 60)], release=T.format(7, "12:00")))
    answer = quote(b, time_limit=2, workers=1)
    start = rows_by_key(answer)[("Q-1", "10")].start
    assert start == at(7, "12:00")
    # 600 minutes on Monday (12:00-22:00), paused overnight, 420 more on Tuesday from 06:00.
    assert answer.completion == at(8, "13:00")
    assert answer.proven_optimal


def test_requested_due_feasible_and_not():
    def make(requested_due: str):
        return board(
            request=request(
                [op("10", "MILL", 60)], requested_due=requested_due, buffer_minutes=120
            ),
            buffer_minutes=999,
        )

    ok = quote(make(T.format(7, "09:00")), time_limit=2, workers=1)
    assert ok.promise == at(7, "09:00") and ok.requested_due_feasible is True
    late = quote(make(T.format(7, "08:59")), time_limit=2, workers=1)
    assert late.requested_due_feasible is False
    none = quote(board(request=request([op("10", "MILL", 60)])), time_limit=2, workers=1)
    assert none.requested_due_feasible is None


def _busy_week(options=None):
    return board(
        orders=[order("A", T.format(11, "22:00"), op("10", "MILL", 5 * 960))],
        schedule=[row("A", "10", "MILL", T.format(7, "06:00"), T.format(11, "22:00"))],
        options=options
        if options is not None
        else [
            {
                "id": "SAT-MILL",
                "work_center": "MILL",
                "cost": 800,
                "extra": [[T.format(12, "06:00"), T.format(12, "14:00")]],
            }
        ],
        request=request([op("10", "MILL", 120)]),
    )


def test_capacity_option_buys_an_earlier_date():
    b = _busy_week()
    answer = quote(b, time_limit=3, workers=1)
    assert answer.completion == at(14, "08:00")
    (option,) = answer.options
    assert option.id == "SAT-MILL"
    assert option.completion == at(12, "08:00")
    assert option.gain_minutes == 2 * 1440
    applied = quote(b, time_limit=3, workers=1, apply_options=("SAT-MILL",))
    assert applied.completion == at(12, "08:00")
    assert verify(b, applied, ("SAT-MILL",)) == []
    # Without the option chosen, that Saturday schedule would break rule 2.
    assert verify(b, replace(applied, options=()), ()) != []


def test_check_names_the_order_that_cannot_keep_its_promise():
    b = board(
        orders=[
            order("A", T.format(7, "14:00"), op("10", "MILL", 600)),
            order("B", T.format(9, "22:00"), op("10", "MILL", 60)),
        ],
    )
    answer = check(b, time_limit=2, workers=1)
    assert answer.status == "infeasible"
    assert answer.at_fault == ("A",)
    assert answer.schedule == ()
    quoted = quote(
        replace(b, request=board(request=request([op("1", "MILL", 5)])).request),
        time_limit=2,
        workers=1,
    )
    assert quoted.status == "infeasible" and quoted.at_fault == ("A",)


def test_check_prefers_the_order_whose_lateness_is_smallest():
    b = board(
        orders=[
            order("A", T.format(7, "14:00"), op("10", "MILL", 480)),
            order("B", T.format(7, "22:00"), op("10", "MILL", 600)),
        ],
    )
    answer = check(b, time_limit=2, workers=1)
    assert answer.status == "infeasible" and answer.at_fault == ("B",)


def test_check_keeps_a_valid_baseline_and_repairs_a_broken_one():
    orders = [
        order("A", T.format(9, "22:00"), op("10", "MILL", 120)),
        order("B", T.format(9, "22:00"), op("10", "MILL", 120)),
    ]
    schedule = [
        row("A", "10", "MILL", T.format(7, "06:00"), T.format(7, "08:00")),
        row("B", "10", "MILL", T.format(7, "08:00"), T.format(7, "10:00")),
    ]
    valid = check(board(orders=orders, schedule=schedule), time_limit=2, workers=1)
    assert valid.status == "promised" and valid.moved == ()
    assert [(r.order, r.start) for r in valid.schedule] == [
        ("A", at(7, "06:00")),
        ("B", at(7, "08:00")),
    ]
    down = doc(orders=orders, schedule=schedule)
    down["calendars"]["day"]["closed"] = [[T.format(7, "06:00"), T.format(7, "09:00")]]
    from scheduling.engine import load_board

    broken = load_board(down)
    repaired = check(broken, time_limit=2, workers=1)
    assert repaired.status == "promised"
    assert verify(broken, repaired) == []
    assert {r.order: r.start for r in repaired.schedule} in (
        {"A": at(7, "09:00"), "B": at(7, "11:00")},
        {"B": at(7, "09:00"), "A": at(7, "11:00")},
    )
    assert len(repaired.moved) == 2


def test_check_builds_a_schedule_for_a_board_without_one():
    b = board(
        centers={"MILL": 1, "LATHE": 1},
        orders=[
            order(f"O{i}", T.format(11, "22:00"), op("10", "LATHE", 90), op("20", "MILL", 60))
            for i in range(6)
        ],
    )
    answer = check(b, time_limit=2, workers=1)
    assert answer.status == "promised"
    assert len(answer.schedule) == 12
    assert verify(b, answer) == []


def test_append_baseline_goes_after_the_queue_and_is_never_better():
    b = board(
        orders=[
            order("A", T.format(8, "08:00"), op("10", "MILL", 120)),
            order("B", T.format(9, "12:00"), op("10", "MILL", 120)),
        ],
        schedule=[
            row("A", "10", "MILL", T.format(7, "06:00"), T.format(7, "08:00")),
            row("B", "10", "MILL", T.format(7, "10:00"), T.format(7, "12:00")),
        ],
        request=request([op("10", "MILL", 60)]),
    )
    appended = append_baseline(b)
    assert appended.completion == at(7, "13:00")
    assert appended.moved == ()
    completion = quote(b, time_limit=2, workers=1).completion
    assert completion is not None and appended.completion is not None
    assert completion < appended.completion


def _hard_board():
    # ft10's routings as ten orders, planned by the engine's own check and promised exactly at
    # their planned ends (no slack anywhere), plus a ten-operation request that has to squeeze
    # in: hard enough that CP-SAT does not prove it in a fraction of a second.
    from scheduling.engine.jssp import load_instance

    instance = load_instance(
        ORLIB,
        "ft10",
    )
    centers = {f"M{k}": 1 for k in range(instance.machines)}
    orders = [
        order(
            f"J{j}",
            T.format(31, "22:00"),
            *[op(str(i), f"M{m}", 10 * d) for i, (m, d) in enumerate(routing)],
        )
        for j, routing in enumerate(instance.jobs)
    ]
    calendar = {
        "timezone": "UTC",
        "weekly": {
            d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        },
    }
    planned = check(board(centers=centers, orders=orders, calendar=calendar), time_limit=1)
    ends: dict[str, datetime] = {}
    for r in planned.schedule:
        ends[r.order] = max(ends.get(r.order, r.end), r.end)
    for o in orders:
        o["due"] = ends[o["id"]].strftime("%Y-%m-%dT%H:%M:%SZ")
    schedule = [
        row(
            r.order,
            r.operation,
            r.work_center,
            r.start.strftime("%Y-%m-%dT%H:%MZ"),
            r.end.strftime("%Y-%m-%dT%H:%MZ"),
        )
        for r in planned.schedule
    ]
    routing = instance.jobs[1]
    return board(
        centers=centers,
        orders=orders,
        calendar=calendar,
        schedule=schedule,
        request=request([op(str(i), f"M{m}", 10 * d) for i, (m, d) in enumerate(routing)]),
    )


def test_cancel_returns_promptly_with_a_valid_incumbent():
    b = _hard_board()
    started = time.monotonic()
    answer = quote(b, time_limit=30, workers=2, cancel=lambda: time.monotonic() - started > 0.5)
    elapsed = time.monotonic() - started
    assert elapsed < 3.0
    assert answer.status in ("promised", "no_solution")
    assert answer.message == "cancelled"
    if answer.status == "promised":
        assert verify(b, answer) == []


def test_progress_is_reported_with_phases():
    seen: list[Progress] = []
    quote(_busy_week(), time_limit=2, workers=1, progress=seen.append)
    assert seen and seen[-1].phase == "done"
    assert all(0.0 <= p.fraction <= 1.0 for p in seen)
    assert seen[-1].best_completion == at(14, "08:00")


def test_workers_one_and_a_fixed_seed_give_identical_answers():
    b = _hard_board()
    first = quote(b, time_limit=2.0, workers=1, seed=7, evaluate_options=False)
    second = quote(b, time_limit=2.0, workers=1, seed=7, evaluate_options=False)
    assert replace(first, solve_seconds=0) == replace(second, solve_seconds=0)


def test_quote_without_request_is_refused():
    with pytest.raises(ValueError):
        quote(board(), time_limit=1)


def test_an_answer_the_verifier_rejects_raises_engine_error(monkeypatch):
    import scheduling.engine.assembly as assembly

    monkeypatch.setattr(assembly, "verify", lambda board, answer, options=(), **_: ["rule 3: fake"])
    with pytest.raises(EngineError) as caught:
        quote(board(request=request([op("10", "MILL", 60)])), time_limit=1)
    assert caught.value.violations == ["rule 3: fake"]


def test_check_repairs_a_plan_overtaken_by_a_running_operation():
    # A started Friday 20:00 needing 240 minutes: 120 before the weekend, so it runs until
    # Monday 08:00, not 07:00 as the stale plan assumed for B.
    b = board(
        orders=[
            order(
                "A",
                T.format(9, "22:00"),
                op(
                    "10",
                    "MILL",
                    240,
                    state="running",
                    start=T.format(4, "20:00"),
                    work_center="MILL",
                ),
            ),
            order("B", T.format(9, "22:00"), op("10", "MILL", 60)),
        ],
        schedule=[row("B", "10", "MILL", T.format(7, "07:00"), T.format(7, "08:00"))],
    )
    answer = check(b, time_limit=2, workers=1)
    assert answer.status == "promised"
    assert rows_by_key(answer)[("B", "10")].start == at(7, "08:00")
    assert [(m.order, m.from_start, m.to_start) for m in answer.moved] == [
        ("B", at(7, "07:00"), at(7, "08:00"))
    ]


def test_work_center_without_working_time():
    never = {
        "timezone": "UTC",
        "weekly": {d: [] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    }
    quoted = doc(centers={"MILL": 1, "DEAD": 1}, request=request([op("10", "DEAD", 60)]))
    quoted["calendars"]["never"] = never
    quoted["work_centers"][1]["calendar"] = "never"
    from scheduling.engine import load_board

    answer = quote(load_board(quoted), time_limit=2, workers=1)
    assert answer.status == "no_solution" and "no working time" in answer.message
    checked = doc(
        centers={"MILL": 1, "DEAD": 1},
        orders=[order("A", T.format(9, "22:00"), op("10", "DEAD", 60))],
    )
    checked["calendars"]["never"] = never
    checked["work_centers"][1]["calendar"] = "never"
    answer = check(load_board(checked), time_limit=2, workers=1)
    assert answer.status == "infeasible" and answer.at_fault == ("A",)


@pytest.mark.parametrize("filler", [0, 300])
def test_request_reaches_its_bound_only_by_reordering_planned_work(filler):
    # MILL runs A then B. B is released at 07:00 and due at 08:00, so B cannot move at all;
    # A has a day of slack. The request needs MILL then LATHE: at its bound (MILL 06:00-07:00
    # is taken by nothing but A) it runs first, so A must go *after* B, not merely later in
    # the same order (shifting A and B right together would make B late). ``filler``
    # operations on an unrelated saw (ample slack) push the board past the size CP-SAT
    # optimises whole, so the windowed search has to find the same reordering.
    orders = [
        order("A", T.format(8, "22:00"), op("10", "MILL", 60)),
        order("B", T.format(7, "08:00"), op("10", "MILL", 60), release=T.format(7, "07:00")),
    ]
    schedule = [
        row("A", "10", "MILL", T.format(7, "06:00"), T.format(7, "07:00")),
        row("B", "10", "MILL", T.format(7, "07:00"), T.format(7, "08:00")),
    ]
    for k in range(filler):
        begin = at(7, "06:00") + timedelta(minutes=2 * k)  # 2-minute saw cuts, back to back
        orders.append(order(f"F{k}", T.format(18, "22:00"), op("10", "SAW", 2)))
        schedule.append(row(f"F{k}", "10", "SAW", iso(begin), iso(begin + timedelta(minutes=2))))
    b = board(
        centers={"MILL": 1, "LATHE": 1, "SAW": 1},
        orders=orders,
        schedule=schedule,
        request=request([op("10", "MILL", 60), op("20", "LATHE", 60)]),
    )
    answer = quote(b, time_limit=2, workers=1)
    assert answer.status == "promised"
    assert answer.completion == at(7, "08:00") == answer.lower_bound
    assert answer.proven_optimal
    rows = rows_by_key(answer)
    assert rows[("B", "10")].start == at(7, "07:00")  # B kept its only possible place
    assert rows[("A", "10")].start >= at(7, "08:00")  # A went after B: reordered
    assert verify(b, answer) == []


def _room_later_in_the_week(requested_due: str):
    # A fills Monday 06:00-10:00 on MILL with days of slack; the rest of the week is free.
    return board(
        orders=[order("A", T.format(11, "22:00"), op("10", "MILL", 240))],
        schedule=[row("A", "10", "MILL", T.format(7, "06:00"), T.format(7, "10:00"))],
        request=request([op("10", "MILL", 60)], requested_due=requested_due, buffer_minutes=60),
    )


def test_a_requested_date_that_can_be_met_is_kept_moving_nothing():
    b = _room_later_in_the_week(T.format(10, "12:00"))
    answer = quote(b, time_limit=2, workers=1)
    assert answer.promise == at(10, "12:00")  # the customer's date, not an earlier one
    assert answer.moved == ()  # nobody else's plan changes for it
    assert answer.completion is not None and answer.completion <= at(10, "11:00")
    # ... and the rep sees how early it could be: first thing Monday, moving A.
    assert answer.earliest_completion == at(7, "07:00")
    assert answer.requested_due_feasible is True
    assert verify(b, answer) == []


def test_earliest_promises_the_earliest_date_with_its_moves():
    b = _room_later_in_the_week(T.format(10, "12:00"))
    answer = quote(b, time_limit=2, workers=1, earliest=True)
    assert answer.completion == at(7, "07:00") and answer.promise == at(7, "08:00")
    assert [(m.order, m.operation) for m in answer.moved] == [("A", "10")]
    assert answer.earliest_completion is None
    assert verify(b, answer) == []


def test_a_requested_date_that_cannot_be_met_gets_the_earliest():
    b = _room_later_in_the_week(T.format(7, "07:30"))  # 07:00 + 60 min buffer is 08:00
    answer = quote(b, time_limit=2, workers=1)
    assert answer.promise == at(7, "08:00") and answer.requested_due_feasible is False
    assert answer.earliest_completion is None
    assert verify(b, answer) == []
