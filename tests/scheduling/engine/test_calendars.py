"""Working time on the minute axis: DST, closed/extra windows, pauses, options."""

from __future__ import annotations

from datetime import UTC, datetime

from scheduling.engine.calendars import WorkingTime, merge_windows, subtract_windows
from scheduling.engine.model import Calendar
from scheduling.engine.problem import build_problem

from .solver_boards import board, op, request

WEEKDAYS_ONLY = tuple(((360, 1320),) if d < 5 else () for d in range(7))
ALL_DAY = tuple(((0, 1440),) for _ in range(7))


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_spring_forward_keeps_the_wall_clock_shift():
    # Berlin moves to summer time on Sunday 2026-03-29: the 06:00 shift starts at 05:00 UTC
    # on Friday and at 04:00 UTC on Monday.
    now = utc(2026, 3, 27, 5, 0)
    wt = WorkingTime(Calendar("c", "Europe/Berlin", WEEKDAYS_ONLY), now, -60, 7 * 1440)
    windows = wt.windows_between(0, 4 * 1440)
    assert windows[0] == (0, 960)
    monday_0400 = int((utc(2026, 3, 30, 4, 0) - now).total_seconds() // 60)
    assert windows[1] == (monday_0400, monday_0400 + 960)


def test_autumn_change_day_has_25_hours_of_all_day_work():
    now = utc(2026, 10, 24, 22, 0)  # Sunday 2026-10-25 00:00 in Berlin (CEST, +2)
    wt = WorkingTime(Calendar("c", "Europe/Berlin", ALL_DAY), now, 0, 3 * 1440)
    # One merged window, but the Sunday alone spans 25 hours of UTC time.
    sunday_end = int((utc(2026, 10, 25, 23, 0) - now).total_seconds() // 60)
    assert sunday_end == 25 * 60
    assert wt.work_between(0, sunday_end) == 25 * 60


def test_closed_removes_and_extra_adds_with_closed_winning():
    now = utc(2026, 12, 7, 0, 0)  # Monday
    calendar = Calendar(
        "c",
        "UTC",
        WEEKDAYS_ONLY,
        closed=(
            (utc(2026, 12, 8, 0, 0), utc(2026, 12, 9, 0, 0)),  # Tuesday off
            (utc(2026, 12, 12, 10, 0), utc(2026, 12, 12, 11, 0)),
        ),
        extra=((utc(2026, 12, 12, 6, 0), utc(2026, 12, 12, 14, 0)),),  # Saturday morning
    )
    wt = WorkingTime(calendar, now, 0, 14 * 1440)
    assert not wt.is_working(1440 + 600)  # Tuesday 10:00
    saturday = 5 * 1440
    assert wt.windows_between(saturday, saturday + 1440) == [
        (saturday + 360, saturday + 600),
        (saturday + 660, saturday + 840),
    ]


def test_operation_pauses_over_night_and_weekend():
    now = utc(2026, 12, 11, 20, 0)  # Friday 20:00; shifts 06:00-22:00 Monday to Friday
    wt = WorkingTime(Calendar("c", "UTC", WEEKDAYS_ONLY), now, 0, 10 * 1440)
    end = wt.end_after(0, 180)  # 120 minutes on Friday, 60 on Monday
    assert end == int((utc(2026, 12, 14, 7, 0) - now).total_seconds() // 60)
    assert wt.start_before(end, 180) == 0
    assert wt.next_working(150) == int((utc(2026, 12, 14, 6, 0) - now).total_seconds() // 60)
    assert wt.end_after(0, 120) == 120  # exactly fills the shift: ends at 22:00, not Monday


def test_offset_groups_agree_with_end_after_at_every_start():
    now = utc(2026, 12, 7, 0, 0)
    calendar = Calendar(
        "c",
        "UTC",
        tuple(((360, 600), (660, 1000)) if d < 5 else () for d in range(7)),
        closed=((utc(2026, 12, 9, 7, 0), utc(2026, 12, 9, 9, 30)),),
    )
    wt = WorkingTime(calendar, now, 0, 14 * 1440)
    for minutes in (1, 45, 300, 700):
        groups = wt.offset_groups(0, 5 * 1440, minutes)
        covered = {}
        for offset, spans in groups.items():
            for lo, hi in spans:
                for s in range(lo, hi + 1):
                    assert s not in covered
                    covered[s] = offset
        for s in range(0, 5 * 1440 + 1):
            if wt.is_working(s):
                end = wt.end_after(s, minutes)
                assert end is not None
                assert covered.get(s) == end - s
            else:
                assert s not in covered


def test_interval_helpers():
    assert merge_windows([(5, 8), (0, 2), (2, 3), (7, 9)]) == [(0, 3), (5, 9)]
    assert subtract_windows([(0, 10), (20, 30)], [(5, 22), (25, 26)]) == [
        (0, 5),
        (22, 25),
        (26, 30),
    ]


def test_capacity_option_adds_windows_to_its_work_center_only_when_chosen():
    b = board(
        centers={"MILL": 1, "SAW": 1},
        options=[
            {
                "id": "SAT",
                "work_center": "MILL",
                "cost": 1,
                "extra": [["2026-12-12T06:00:00Z", "2026-12-12T14:00:00Z"]],
            }
        ],
        request=request([op("10", "MILL", 60)]),
    )
    saturday_9 = 5 * 1440 + 180  # now is Monday 06:00
    plain = build_problem(b)
    chosen = build_problem(b, options=("SAT",))
    mill, saw = chosen.machine_by_id["MILL"], chosen.machine_by_id["SAW"]
    assert not plain.machines[mill].wt.is_working(saturday_9)
    assert chosen.machines[mill].wt.is_working(saturday_9)
    assert not chosen.machines[saw].wt.is_working(saturday_9)
