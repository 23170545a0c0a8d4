"""The engine's vocabulary: frozen dataclasses for a board (the problem) and an answer.

They mirror the board/1 and answer/1 JSON formats (docs/board-format.md) one to one.
All instants are timezone-aware datetimes in UTC at minute resolution; durations are whole
minutes. Optional fields that were absent in the source document are ``None`` so that an export
writes back exactly what was read. Nothing here imports Django.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

OperationState = Literal["planned", "running", "done"]
AnswerStatus = Literal["promised", "infeasible", "no_solution"]

# Weekdays in the order the board format lists them; index 0 is Monday like datetime.weekday().
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Span = tuple[datetime, datetime]  # half-open [start, end)


@dataclass(frozen=True)
class Calendar:
    id: str
    timezone: str
    # weekly[d] lists the working windows of weekday d (0 = Monday) as minutes after local
    # midnight, half-open, end at most 1440 ("24:00").
    weekly: tuple[tuple[tuple[int, int], ...], ...]
    closed: tuple[Span, ...] = ()
    extra: tuple[Span, ...] = ()


@dataclass(frozen=True)
class WorkCenter:
    id: str
    capacity: int
    calendar: str


@dataclass(frozen=True)
class Operation:
    id: str
    work_centers: tuple[str, ...]
    minutes: int
    state: OperationState | None = None  # None: absent in the source, means "planned"
    start: datetime | None = None  # running operations only
    work_center: str | None = None  # running operations only

    @property
    def effective_state(self) -> OperationState:
        return self.state or "planned"


@dataclass(frozen=True)
class Order:
    id: str
    due: datetime
    operations: tuple[Operation, ...]
    buffer_minutes: int | None = None  # None: the board's default applies
    release: datetime | None = None


@dataclass(frozen=True)
class ScheduledOperation:
    order: str
    operation: str
    work_center: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class CapacityOption:
    id: str
    work_center: str
    extra: tuple[Span, ...]
    cost: float


@dataclass(frozen=True)
class Request:
    id: str
    operations: tuple[Operation, ...]
    release: datetime | None = None
    requested_due: datetime | None = None
    buffer_minutes: int | None = None


@dataclass(frozen=True)
class Board:
    now: datetime
    buffer_minutes: int
    calendars: tuple[Calendar, ...]
    work_centers: tuple[WorkCenter, ...]
    orders: tuple[Order, ...]
    schedule: tuple[ScheduledOperation, ...] | None = None  # None: key absent
    capacity_options: tuple[CapacityOption, ...] | None = None
    request: Request | None = None

    def order_buffer(self, order: Order | Request) -> int:
        return self.buffer_minutes if order.buffer_minutes is None else order.buffer_minutes

    def calendar(self, calendar_id: str) -> Calendar:
        for calendar in self.calendars:
            if calendar.id == calendar_id:
                return calendar
        raise KeyError(calendar_id)

    def work_center(self, work_center_id: str) -> WorkCenter:
        for work_center in self.work_centers:
            if work_center.id == work_center_id:
                return work_center
        raise KeyError(work_center_id)


@dataclass(frozen=True)
class MovedOperation:
    order: str
    operation: str
    from_start: datetime  # "from" in JSON
    to_start: datetime  # "to" in JSON


@dataclass(frozen=True)
class OptionResult:
    id: str
    completion: datetime | None  # None when no schedule was found with this option
    promise: datetime | None
    gain_minutes: int  # how much earlier than the answer without options (>= 0)


@dataclass(frozen=True)
class Answer:
    status: AnswerStatus
    request: str | None = None
    completion: datetime | None = None
    promise: datetime | None = None
    lower_bound: datetime | None = None
    proven_optimal: bool = False
    requested_due_feasible: bool | None = None  # None when the request had no requested_due
    # When the promise keeps the request's requested date (the default when it can be met),
    # ``completion`` is the request's end in a schedule that moves as little planned work as
    # possible and ``promise`` is the requested date; this is the earliest completion found,
    # what the rep could promise instead (completion + buffer), at the cost of more moves.
    earliest_completion: datetime | None = None
    schedule: tuple[ScheduledOperation, ...] = ()
    moved: tuple[MovedOperation, ...] = ()
    options: tuple[OptionResult, ...] = ()
    binding_work_centers: tuple[str, ...] = ()  # "binding": {"work_centers": [...]}
    binding_orders: tuple[str, ...] = ()  # "binding": {"orders": [...]}
    # With status "infeasible": the existing orders whose promise cannot be kept ("at_fault").
    at_fault: tuple[str, ...] = ()
    # With status "infeasible" or "no_solution": the least-late schedule found ("projection"),
    # whenever the engine found one (without the request, for a quote). It keeps rules 1-4,
    # and rule 5 for every order except those in ``at_risk``, whose projected completion it
    # shows. Not a promise: the shop-floor path commits it, flagging those orders at risk, so
    # the board keeps representing reality when a machine breaks (see product.md invariant 1).
    projection: tuple[ScheduledOperation, ...] = ()
    # With a projection: the orders it leaves late ("at_risk"). When "infeasible" these are
    # the orders at fault (no schedule keeps their promise); when "no_solution" nothing is
    # proven: the best schedule found within the time limit leaves them late.
    at_risk: tuple[str, ...] = ()
    solve_seconds: float = 0.0
    message: str = field(default="")  # human-readable reason for infeasible / no_solution
