"""Hypothesis properties of the engine on small random boards.

- every answer the engine returns passes the independent verifier (quote() raises EngineError
  otherwise, so merely returning is the check; we verify again for clarity);
- the completion is never below the reported lower bound;
- on tiny boards the quoted completion equals a brute-force optimum over every start minute;
- choosing a capacity option or adding capacity never makes the promise later.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling.engine import check, load_board, quote, verify

NOW = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)  # a Monday, midnight UTC
CENTERS = ("A", "B")


def clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def instant(minute: int) -> str:
    return (NOW + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")


@st.composite
def tiny_boards(draw: Any, *, max_ops: int = 4, with_options: bool = False) -> dict[str, Any]:
    """Two work centers whose Monday has a few short shifts (minute scale), one or two small
    orders without baseline and a request; everything fits in the first few hours."""
    shifts = []
    cursor = 0
    for _ in range(draw(st.integers(2, 4))):
        start = cursor + draw(st.integers(0, 15))
        end = start + draw(st.integers(5, 30))
        shifts.append([clock(start), clock(end)])
        cursor = end
    weekly: dict[str, list[list[str]]] = {
        d: [] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    }
    weekly["mon"] = shifts
    weekly["tue"] = [["00:00", "24:00"]]  # so that every board has a solution
    capacity = {c: draw(st.integers(1, 2)) for c in CENTERS}
    n_request = draw(st.integers(1, 2))
    n_existing = draw(st.integers(1, max_ops - n_request))
    ops_left = n_existing
    orders: list[dict[str, Any]] = []
    while ops_left > 0:
        length = draw(st.integers(1, ops_left))
        ops_left -= length
        operations = [
            {
                "id": str(10 * (i + 1)),
                "work_centers": draw(st.sampled_from([["A"], ["B"], ["A", "B"]])),
                "minutes": draw(st.integers(1, 12)),
            }
            for i in range(length)
        ]
        if not orders and draw(st.booleans()):
            # Already running since Sunday evening (no working time then): it has received
            # nothing yet and keeps its work center and start.
            first = operations[0]
            first.update(
                state="running",
                start=instant(-draw(st.integers(0, 20))),
                work_center=first["work_centers"][0],
            )
        orders.append(
            {
                "id": f"O{len(orders)}",
                "due": instant(draw(st.integers(40, 400))),
                "operations": operations,
            }
        )
    request = {
        "id": "Q",
        "operations": [
            {
                "id": str(i),
                "work_centers": draw(st.sampled_from([["A"], ["B"], ["A", "B"]])),
                "minutes": draw(st.integers(1, 12)),
            }
            for i in range(n_request)
        ],
    }
    if draw(st.booleans()):
        request["release"] = instant(draw(st.integers(0, 30)))
    document: dict[str, Any] = {
        "format": "board/1",
        "now": instant(0),
        "buffer_minutes": 0,
        "calendars": {"c": {"timezone": "UTC", "weekly": weekly}},
        "work_centers": [{"id": c, "capacity": capacity[c], "calendar": "c"} for c in CENTERS],
        "orders": orders,
        "request": request,
    }
    if with_options:
        start = draw(st.integers(0, 90))
        document["capacity_options"] = [
            {
                "id": "X",
                "work_center": draw(st.sampled_from(CENTERS)),
                "cost": 1,
                "extra": [[instant(start), instant(start + 30)]],
            }
        ]
    return document


# -- an independent brute force ---------------------------------------------------------------
def brute_force_completion(document: dict[str, Any], horizon: int = 24 * 60 + 200) -> int | None:
    """Minimum request completion (minutes) over every start minute of every operation."""
    weekly_mon = [
        (int(a[:2]) * 60 + int(a[3:]), int(b[:2]) * 60 + int(b[3:]))
        for a, b in document["calendars"]["c"]["weekly"]["mon"]
    ]
    working = [False] * horizon
    for a, b in weekly_mon:
        for m in range(a, b):
            working[m] = True
    for m in range(1440, min(horizon, 2880)):
        working[m] = True

    def end_of(start: int, minutes: int) -> int | None:
        if not working[start]:
            return None
        t = start
        while minutes > 0:
            if t >= horizon:
                return None
            if working[t]:
                minutes -= 1
            t += 1
        return t

    capacity = {wc["id"]: wc["capacity"] for wc in document["work_centers"]}
    jobs = []
    for o in document["orders"]:
        deadline = int(
            (datetime.fromisoformat(o["due"].replace("Z", "+00:00")) - NOW).total_seconds() // 60
        )
        jobs.append((o["operations"], 0, deadline))
    request = document["request"]
    release = 0
    if "release" in request:
        release = int(
            (
                datetime.fromisoformat(request["release"].replace("Z", "+00:00")) - NOW
            ).total_seconds()
            // 60
        )
    best: list[int | None] = [None]

    # Depth-first over jobs and operations; the request goes last and stops at the first
    # (earliest) feasible end of each of its operations, which is optimal for a chain on fixed
    # occupations because ends are monotone in starts.
    def occupancy_ok(placed: list[tuple[str, int, int]], wc: str, s: int, e: int) -> bool:
        events = [(a, b) for w, a, b in placed if w == wc and a < e and s < b]
        points = sorted({s} | {a for a, _ in events if s <= a < e})
        return all(sum(1 for a, b in events if a <= p < b) + 1 <= capacity[wc] for p in points)

    def place_job(j: int, k: int, ready: int, placed: list[tuple[str, int, int]]) -> None:
        if j == len(jobs):
            place_request(0, release, placed)
            return
        operations, _, deadline = jobs[j]
        if k == len(operations):
            place_job(j + 1, 0, 0, placed)
            return
        operation = operations[k]
        if operation.get("state") == "running":
            # Fixed: from its start (before now, no working time before Monday 00:00) until
            # it has received its minutes of working time.
            wc = operation["work_center"]
            start = -1
            e = 0
            remaining = operation["minutes"]
            while remaining > 0:
                remaining -= working[e]
                e += 1
            if (k < len(operations) - 1 or e <= deadline) and occupancy_ok(placed, wc, start, e):
                place_job(j, k + 1, e, [*placed, (wc, start, e)])
            return
        for wc in operation["work_centers"]:
            for s in range(ready, horizon):
                end = end_of(s, operation["minutes"])
                if end is None:
                    continue
                if k == len(operations) - 1 and end > deadline:
                    break
                if occupancy_ok(placed, wc, s, end):
                    place_job(j, k + 1, end, [*placed, (wc, s, end)])

    def place_request(k: int, ready: int, placed: list[tuple[str, int, int]]) -> None:
        operations = request["operations"]
        if k == len(operations):
            if best[0] is None or ready < best[0]:
                best[0] = ready
            return
        operation = operations[k]
        options = []
        for wc in operation["work_centers"]:
            for s in range(ready, horizon):
                e = end_of(s, operation["minutes"])
                if e is not None and occupancy_ok(placed, wc, s, e):
                    options.append((e, wc, s))
                    break
        if options:
            e, wc, s = min(options)
            place_request(k + 1, e, [*placed, (wc, s, e)])

    place_job(0, 0, 0, [])
    return best[0]


def completion_minutes(answer) -> int:
    return int((answer.completion - NOW).total_seconds() // 60)


# ENGINE_EXAMPLES raises the number of boards for a longer local run (default kept small so
# the suite stays fast on a shared two-core machine).
SETTINGS = settings(
    max_examples=int(os.environ.get("ENGINE_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SETTINGS
@given(tiny_boards(max_ops=3))
def test_tiny_quotes_match_brute_force(document):
    board = load_board(document)
    answer = quote(board, time_limit=2, workers=1, evaluate_options=False)
    expected = brute_force_completion(document)
    if expected is None:
        # No placement of the existing orders keeps their promises.
        assert answer.status == "infeasible" and answer.at_fault
        return
    if answer.status == "infeasible":
        # The board itself cannot keep a promise: the brute force only counts boards whose
        # orders fit, so it must not have found a schedule for the existing orders either.
        raise AssertionError(f"engine says infeasible {answer.at_fault}, brute force {expected}")
    assert answer.status == "promised"
    assert verify(board, answer) == []
    assert completion_minutes(answer) == expected
    assert answer.completion is not None and answer.lower_bound is not None
    assert answer.lower_bound <= answer.completion


@SETTINGS
@given(tiny_boards(max_ops=4, with_options=True))
def test_answers_verify_and_respect_the_lower_bound(document):
    board = load_board(document)
    answer = quote(board, time_limit=2, workers=1)
    if answer.status == "promised":
        assert verify(board, answer) == []
        assert answer.completion is not None and answer.lower_bound is not None
        assert answer.lower_bound <= answer.completion
        for option in answer.options:
            assert option.completion is not None and option.completion <= answer.completion
    checked = check(replace(board, request=None), time_limit=2, workers=1)
    assert (checked.status == "promised") == (answer.status == "promised")
    if checked.status == "promised":
        # The same board with that plan as its baseline: quoting must keep every promise.
        planned = replace(board, schedule=checked.schedule)
        again = quote(planned, time_limit=2, workers=1)
        assert again.status == "promised" and verify(planned, again) == []
        assert again.completion == answer.completion or not (
            again.proven_optimal and answer.proven_optimal
        )


@SETTINGS
@given(tiny_boards(max_ops=4, with_options=True), st.sampled_from(CENTERS))
def test_more_capacity_never_makes_the_promise_later(document, center):
    board = load_board(document)
    base = quote(board, time_limit=2, workers=1, evaluate_options=False)
    if base.status != "promised" or not base.proven_optimal:
        return
    with_option = quote(
        board, time_limit=2, workers=1, apply_options=("X",), evaluate_options=False
    )
    assert with_option.status == "promised"
    if with_option.proven_optimal:
        assert base.promise is not None and with_option.promise is not None
        assert with_option.promise <= base.promise
    bigger = dict(document)
    bigger["work_centers"] = [
        dict(wc, capacity=wc["capacity"] + (wc["id"] == center)) for wc in document["work_centers"]
    ]
    more = quote(load_board(bigger), time_limit=2, workers=1, evaluate_options=False)
    assert more.status == "promised"
    if more.proven_optimal:
        assert base.promise is not None and more.promise is not None
        assert more.promise <= base.promise


def test_brute_force_oracle_sanity():
    # One shift 00:10-00:30; an order of 15 minutes due at 00:25 must run 00:10-00:25, so a
    # 10-minute request on the same machine gets 5 minutes before the shift ends, pauses until
    # Tuesday 00:00 and ends there + 5 minutes.
    document = {
        "format": "board/1",
        "now": instant(0),
        "buffer_minutes": 0,
        "calendars": {
            "c": {
                "timezone": "UTC",
                "weekly": {
                    "mon": [["00:10", "00:30"]],
                    "tue": [["00:00", "24:00"]],
                    "wed": [],
                    "thu": [],
                    "fri": [],
                    "sat": [],
                    "sun": [],
                },
            }
        },
        "work_centers": [
            {"id": "A", "capacity": 1, "calendar": "c"},
            {"id": "B", "capacity": 1, "calendar": "c"},
        ],
        "orders": [
            {
                "id": "O0",
                "due": instant(25),
                "operations": [{"id": "10", "work_centers": ["A"], "minutes": 15}],
            }
        ],
        "request": {"id": "Q", "operations": [{"id": "0", "work_centers": ["A"], "minutes": 10}]},
    }
    assert brute_force_completion(document) == 1440 + 5
    assert completion_minutes(quote(load_board(document), time_limit=2, workers=1)) == 1445
