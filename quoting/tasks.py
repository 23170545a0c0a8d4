"""Celery tasks of the quoting app: thin wrappers that take ids and call a service.

Routed to the `solver` queue by `CELERY_TASK_ROUTES` ("quoting.*"); acks late with reject on
worker lost (settings), so a solve whose worker dies is redelivered, and the services make
every redelivery or duplicate harmless.
"""

from __future__ import annotations

from celery import shared_task
from django.db import close_old_connections

from quoting import services
from scheduling.boards import PLAN_START_GRACE
from scheduling.services.roll_forward import schedule_roll_forward


@shared_task(name="quoting.solve_quote", bind=True)
def solve_quote(self, quote_id: int) -> str:  # type: ignore[no-untyped-def]
    """Solve quote `quote_id` against the current schedule and store the answer on its row."""
    close_old_connections()  # a worker's connection may have been idle for hours
    try:
        result = services.quote_solve(quote_id=quote_id, task_id=self.request.id or "")
        if result == "done":
            # Anytime: the rep has the first answer; go on improving it while it is worth it.
            services.quote_improve(quote_id=quote_id, task_id=self.request.id or "")
        return result
    finally:
        close_old_connections()


@shared_task(name="quoting.solve_quote_member", bind=True)
def solve_quote_member(self, member_id: int) -> str:  # type: ignore[no-untyped-def]
    """One member of a quote's portfolio (ENGINE_PORTFOLIO > 1): solve with the member's seed,
    keep its answer on the quote if it is the best, and improve it while it is."""
    close_old_connections()
    try:
        return services.portfolio_member_solve(
            member_id=member_id, task_id=self.request.id or "", worker=self.request.hostname or ""
        )
    finally:
        close_old_connections()


@shared_task(name="quoting.solve_proposal", bind=True)
def solve_proposal(self, proposal_id: int) -> str:  # type: ignore[no-untyped-def]
    """Re-solve proposal `proposal_id` on the current schedule (option applied, or stale)."""
    close_old_connections()
    try:
        return services.proposal_solve(proposal_id=proposal_id, task_id=self.request.id or "")
    finally:
        close_old_connections()


@shared_task(name="quoting.solve_repair", bind=True)
def solve_repair(self, repair_id: int) -> str:  # type: ignore[no-untyped-def]
    """Solve repair `repair_id` of a broken board with ENGINE_REPAIR_TIME_LIMIT."""
    close_old_connections()
    try:
        return services.repair_solve(repair_id=repair_id, task_id=self.request.id or "")
    finally:
        close_old_connections()


@shared_task(name="quoting.sweep_stale_solves")
def sweep_stale_solves() -> dict[str, list[int]]:
    """Periodic (beat, every SWEEP_SECONDS): re-enqueue or fail solve rows nobody is working on."""
    close_old_connections()
    report = services.solves_sweep_stale()
    return {
        "enqueued": report.enqueued,
        "retried": report.retried,
        "failed": report.failed,
        "proposals": report.proposals,
    }


@shared_task(name="quoting.roll_forward")
def roll_forward() -> dict[str, object]:
    """Periodic (beat, every ROLL_FORWARD_SECONDS): move operations whose planned start passed
    more than PLAN_START_GRACE ago without a report to now, keeping every promise, as a new
    verified version (or through the disruption path when that breaks a promise)."""
    close_old_connections()
    try:
        done = schedule_roll_forward(grace=PLAN_START_GRACE)
        result = done.result
        return {
            "overdue": len(done.overdue),
            "version": result.version.number if result and result.version else None,
            "at_risk": list(result.at_risk) if result else [],
            "skipped": done.skipped,
        }
    finally:
        close_old_connections()
