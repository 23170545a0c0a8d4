"""The shop's state in a simulation: orders (jobs), their operations, and the books kept."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from bench.simulate.disturbances import Breakdown

DAY = 1440
OpState = Literal["waiting", "running", "done"]


@dataclass(eq=False)
class Op:
    order: str
    id: str
    work_centers: tuple[str, ...]
    planned: int  # minutes the planners know
    actual: int  # minutes it really takes
    state: OpState = "waiting"
    work_center: str | None = None
    start: int | None = None
    end: int | None = None
    plan_wc: str | None = None  # the current plan's place for it (plan-following policies)
    plan_start: int | None = None
    plan_end: int | None = None


@dataclass(eq=False)
class Job:
    """An order in the shop (named Job to keep it apart from the engine's Order)."""

    id: str
    arrival: int
    release: int
    buffer: int
    ops: list[Op]
    requested: int | None = None  # the customer's requested date (orders that arrive in the run)
    promise: int | None = None
    promises: list[tuple[int, int]] = field(default_factory=list)  # (when, promised date)
    delivered: int | None = None
    queue_key: int = 0  # the yes policy's queue position
    expedited: bool = False

    @property
    def is_new(self) -> bool:
        return self.requested is not None

    def next_op(self) -> Op | None:
        return next((op for op in self.ops if op.state != "done"), None)


@dataclass(frozen=True)
class Delivery:
    order: str
    at: int
    promise: int  # the promise current at delivery
    arrival: int
    is_new: bool


@dataclass
class Books:
    arrivals: list[str] = field(default_factory=list)
    breakdowns_seen: list[Breakdown] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    quotes: list[tuple[str, int, int]] = field(default_factory=list)  # (order, at, promise)
    requested_kept: int = 0  # quotes whose promise is the customer's requested date
    expedites: int = 0
    promises_changed: int = 0
    overtime_minutes: int = 0
    overtime_cost: float = 0.0
    engine_calls: int = 0
    fallbacks: int = 0  # promise policy: the engine found no answer, the insertion promised
    # (board, answer, options, accept_late) of every schedule the promise policy committed,
    # when kept
    commits: list[tuple[Any, Any, tuple[str, ...], tuple[str, ...]]] = field(default_factory=list)
    rejected_commits: int = 0
    wip_minutes: float = 0.0  # integral of open orders over time
