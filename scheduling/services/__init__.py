"""Writes to the job board. Every schedule version and every promise is written by
`schedule_commit` (commit.py), after the engine's verifier has passed (invariant 2)."""

from scheduling.services.commit import (
    CommitResult,
    NewOrderSpec,
    PromiseSpec,
    ScheduleRejected,
    StaleSchedule,
    schedule_commit,
)

__all__ = [
    "CommitResult",
    "NewOrderSpec",
    "PromiseSpec",
    "ScheduleRejected",
    "StaleSchedule",
    "schedule_commit",
]
