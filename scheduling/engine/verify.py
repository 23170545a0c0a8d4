"""Independent feasibility check of an answer against its board (rules 1-6 of board-format.md).

Every promise and schedule version passes through here before it is written; it shares no code
with the solver or ``calendars.py`` (its own walk of working time is ``verify_calendar.py``).
How it reads the rules, and the interpretations the solver must share: docs/board-format.md
("How the verifier reads these rules") and docs/engine.md ("The verifier").
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta

from scheduling.engine.model import (
    Answer,
    Board,
    CapacityOption,
    Operation,
    Order,
    Request,
    ScheduledOperation,
    Span,
)
from scheduling.engine.verify_calendar import WorkingTime
from scheduling.engine.verify_calendar import show_instant as _show


def verify(
    board: Board,
    answer: Answer,
    options: Sequence[str] = (),
    *,
    accept_late: Collection[str] = (),
) -> list[str]:
    """Violations of rules 1-6 by ``answer`` on ``board``; an empty list means valid.

    ``options`` are the ids of the chosen capacity options: their extra windows count as
    working time, each on its own work center only. ``accept_late`` names existing orders
    exempt from rule 5 (and only rule 5): orders that reality (a breakdown, an overrun) has
    already made late, committed from the shop floor with their projected completion and
    flagged at risk. Every other rule still holds for them.
    """
    if answer.status != "promised":
        return [f"answer status is {answer.status!r}: only a 'promised' answer has a schedule"]
    violations: list[str] = []
    jobs, request = _jobs_to_cover(board, answer, violations)
    working_time = _working_time_of(board, options, violations)
    operations: dict[tuple[str, str], Operation] = {
        (job.id, op.id): op for job in jobs for op in job.operations
    }
    rows = _rule_1_each_operation_once(board, answer, operations, violations)
    violations.extend(_rule_2_calendar(board, operations, rows, working_time))
    violations.extend(_rule_3_capacity(board, rows))
    baseline = {(r.order, r.operation): r for r in board.schedule or ()}
    for job in jobs:
        violations.extend(_rule_4_routing(board, job, rows))
        if isinstance(job, Order) and job.id not in accept_late:
            violations.extend(_rule_5_promise(board, job, rows, baseline))
    if request is not None:
        violations.extend(_rule_6_request(board, answer, request, rows))
    return violations


def _jobs_to_cover(
    board: Board, answer: Answer, violations: list[str]
) -> tuple[list[Order | Request], Request | None]:
    """The orders the schedule must cover, plus the board's request when the answer is for it."""
    jobs: list[Order | Request] = list(board.orders)
    if answer.request is None:
        return jobs, None
    if board.request is None:
        violations.append(f"answer is for request {answer.request!r} but the board has none")
        return jobs, None
    if board.request.id != answer.request:
        violations.append(
            f"answer is for request {answer.request!r} but the board's request is "
            f"{board.request.id!r}"
        )
        return jobs, None
    jobs.append(board.request)
    return jobs, board.request


def _working_time_of(
    board: Board, options: Sequence[str], violations: list[str]
) -> Callable[[str], WorkingTime]:
    """Working time per work center (built on first use), with the chosen options' windows."""
    option_by_id: dict[str, CapacityOption] = {o.id: o for o in board.capacity_options or ()}
    extra_by_center: dict[str, list[Span]] = {}
    for option_id in options:
        option = option_by_id.get(option_id)
        if option is None:
            violations.append(f"unknown capacity option {option_id!r}")
            continue
        extra_by_center.setdefault(option.work_center, []).extend(option.extra)
    centers = {wc.id: wc for wc in board.work_centers}
    calendars = {c.id: c for c in board.calendars}
    working: dict[str, WorkingTime] = {}

    def working_time(center_id: str) -> WorkingTime:
        if center_id not in working:
            calendar = calendars[centers[center_id].calendar]
            working[center_id] = WorkingTime(calendar, extra_by_center.get(center_id, ()))
        return working[center_id]

    return working_time


def _rule_1_each_operation_once(
    board: Board,
    answer: Answer,
    operations: dict[tuple[str, str], Operation],
    violations: list[str],
) -> dict[tuple[str, str], ScheduledOperation]:
    """Rule 1: every non-done operation exactly once, on one of its work centers. Returns the
    rows that pass (and end after they start: rule 2's first check), the ones later rules read."""
    centers = {wc.id for wc in board.work_centers}
    rows: dict[tuple[str, str], ScheduledOperation] = {}
    for row in answer.schedule:
        key = (row.order, row.operation)
        name = f"{row.order}/{row.operation}"
        op = operations.get(key)
        if op is None:
            violations.append(f"rule 1: {name} is not an operation on the board")
            continue
        if op.effective_state == "done":
            violations.append(f"rule 1: {name} is done but scheduled")
            continue
        if key in rows:
            violations.append(f"rule 1: {name} is scheduled more than once")
            continue
        if row.work_center not in op.work_centers or row.work_center not in centers:
            violations.append(
                f"rule 1: {name} is on {row.work_center}, not one of its work centers "
                f"{', '.join(op.work_centers)}"
            )
            continue
        if op.effective_state == "running" and (
            row.work_center != op.work_center or row.start != op.start
        ):
            violations.append(
                f"rule 1: {name} is running on {op.work_center} since {_show(op.start)} but is "
                f"scheduled on {row.work_center} from {_show(row.start)}"
            )
            continue
        if not row.start < row.end:
            violations.append(
                f"rule 2: {name} on {row.work_center} ends {_show(row.end)}, not after its start "
                f"{_show(row.start)}"
            )
            continue
        rows[key] = row
    # Operations whose row was rejected above are not also reported as missing.
    mentioned = {(row.order, row.operation) for row in answer.schedule}
    for key, op in operations.items():
        if op.effective_state != "done" and key not in rows and key not in mentioned:
            violations.append(f"rule 1: {key[0]}/{key[1]} is not scheduled")
    return rows


def _rule_2_calendar(
    board: Board,
    operations: dict[tuple[str, str], Operation],
    rows: dict[tuple[str, str], ScheduledOperation],
    working_time: Callable[[str], WorkingTime],
) -> list[str]:
    """Rule 2: each operation starts in working time and ends after its working minutes."""
    violations: list[str] = []
    for key, row in rows.items():
        op = operations[key]
        name = f"{row.order}/{row.operation}"
        calendar = working_time(row.work_center)
        running = op.effective_state == "running"
        if not running and not calendar.is_working(row.start):
            violations.append(
                f"rule 2: {name} starts {_show(row.start)}, outside the working time of "
                f"{row.work_center}"
            )
            continue
        expected = calendar.end_after(row.start, op.minutes)
        if expected is None:
            violations.append(
                f"rule 2: {row.work_center} has no working time for {name}'s {op.minutes} "
                f"minutes after {_show(row.start)}"
            )
            continue
        if running:
            expected = max(expected, board.now)
        if row.end != expected:
            violations.append(
                f"rule 2: {name} on {row.work_center} from {_show(row.start)} needs "
                f"{op.minutes} working minutes and so ends {_show(expected)}, not {_show(row.end)}"
            )
    return violations


def _rule_3_capacity(board: Board, rows: dict[tuple[str, str], ScheduledOperation]) -> list[str]:
    """Rule 3: no work center runs more operations at once than its capacity."""
    capacities = {wc.id: wc.capacity for wc in board.work_centers}
    by_center: dict[str, list[ScheduledOperation]] = {}
    for row in rows.values():
        by_center.setdefault(row.work_center, []).append(row)
    violations: list[str] = []
    for center_id, center_rows in by_center.items():
        violations.extend(_capacity_violations(center_id, capacities[center_id], center_rows))
    return violations


def _rule_4_routing(
    board: Board, job: Order | Request, rows: dict[tuple[str, str], ScheduledOperation]
) -> list[str]:
    """Rule 4: a job's operations run in routing order, the first open one not before
    max(now, release)."""
    violations: list[str] = []
    previous: ScheduledOperation | None = None
    first_open = _first_open(job)
    for op in job.operations:
        if op.effective_state == "done":
            continue
        current = rows.get((job.id, op.id))
        if current is None:
            previous = None  # already reported under rule 1; do not chain through a gap
            continue
        name = f"{job.id}/{op.id}"
        if previous is not None:
            if current.start < previous.end:
                violations.append(
                    f"rule 4: {name} starts {_show(current.start)}, before {job.id}/"
                    f"{previous.operation} ends {_show(previous.end)}"
                )
        elif op is first_open and op.effective_state != "running":
            earliest = max(board.now, job.release or board.now)
            if current.start < earliest:
                violations.append(
                    f"rule 4: {name} starts {_show(current.start)}, before {_show(earliest)} "
                    f"(max of now and the release)"
                )
        previous = current
    return violations


def _rule_5_promise(
    board: Board,
    job: Order,
    rows: dict[tuple[str, str], ScheduledOperation],
    baseline: dict[tuple[str, str], ScheduledOperation],
) -> list[str]:
    """Rule 5: an order ends by due - buffer, or by its baseline end when that is later."""
    last = job.operations[-1]
    last_row = rows.get((job.id, last.id))
    if last_row is None:
        return []
    protected = job.due - timedelta(minutes=board.order_buffer(job))
    limit = protected
    base_row = baseline.get((job.id, last.id))
    if base_row is not None and base_row.end > limit:
        limit = base_row.end
    if last_row.end <= limit:
        return []
    detail = f"its protected date {_show(protected)} (due {_show(job.due)} - buffer)"
    if limit != protected:
        detail = f"its baseline end {_show(limit)} (already after {_show(protected)})"
    return [
        f"rule 5: order {job.id} ends {_show(last_row.end)} ({job.id}/{last.id} on "
        f"{last_row.work_center}), after {detail}"
    ]


def _rule_6_request(
    board: Board,
    answer: Answer,
    request: Request,
    rows: dict[tuple[str, str], ScheduledOperation],
) -> list[str]:
    """Rule 6: the request's completion, promise, earliest completion and lower bound agree
    with its schedule."""
    violations: list[str] = []
    last_row = rows.get((request.id, request.operations[-1].id))
    if last_row is not None and answer.completion != last_row.end:
        violations.append(
            f"rule 6: completion {_show(answer.completion)} is not the end "
            f"{_show(last_row.end)} of the request's last operation "
            f"{request.id}/{request.operations[-1].id}"
        )
    if answer.completion is None:
        violations.append(f"rule 6: a promised answer for {request.id} has no completion")
        return violations
    promise = answer.completion + timedelta(minutes=board.order_buffer(request))
    # The promise is completion + buffer, or the requested date itself when the
    # schedule's completion + buffer keeps it (the default answer to a requested date).
    keeps_requested = (
        request.requested_due is not None
        and answer.promise == request.requested_due
        and promise <= request.requested_due
    )
    if answer.promise != promise and not keeps_requested:
        violations.append(
            f"rule 6: promise {_show(answer.promise)} is not completion "
            f"{_show(answer.completion)} + {board.order_buffer(request)} buffer minutes "
            f"= {_show(promise)}, nor the requested date kept by it"
        )
    earliest_found = answer.earliest_completion
    if earliest_found is not None and earliest_found > answer.completion:
        violations.append(
            f"rule 6: earliest completion {_show(earliest_found)} is after the completion "
            f"{_show(answer.completion)} of this schedule"
        )
    if earliest_found is not None and not keeps_requested:
        violations.append(
            "rule 6: an earliest completion is given but the promise does not keep "
            "the requested date"
        )
    reached = earliest_found if earliest_found is not None else answer.completion
    if answer.lower_bound is not None and answer.lower_bound > reached:
        violations.append(
            f"rule 6: lower bound {_show(answer.lower_bound)} is after the completion "
            f"{_show(reached)} that a schedule reaches"
        )
    return violations


def _first_open(job: Order | Request) -> Operation | None:
    for op in job.operations:
        if op.effective_state != "done":
            return op
    return None


def _capacity_violations(
    center_id: str, capacity: int, rows: list[ScheduledOperation]
) -> list[str]:
    # Sweep over start/end events; at equal instants ends come first, since [start, end) is
    # half-open: one operation may start exactly when another ends.
    events: list[tuple[datetime, int, int]] = []
    for index, row in enumerate(rows):
        events.append((row.start, 1, index))
        events.append((row.end, 0, index))
    events.sort()
    active: set[int] = set()
    violations = []
    reported = False
    for instant, is_start, index in events:
        if not is_start:
            active.discard(index)
            if len(active) <= capacity:
                reported = False
            continue
        active.add(index)
        if len(active) > capacity and not reported:
            reported = True  # one message per overload episode, not one per extra start
            names = ", ".join(
                _describe(rows[i])
                for i in sorted(active, key=lambda i: (rows[i].start, rows[i].order))
            )
            violations.append(
                f"rule 3: {center_id} (capacity {capacity}) runs {len(active)} operations at "
                f"{_show(instant)}: {names}"
            )
    return violations


def _describe(row: ScheduledOperation) -> str:
    return f"{row.order}/{row.operation} [{_show(row.start)}, {_show(row.end)})"
