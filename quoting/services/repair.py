"""Repairing a board that no longer fits reality, as a proposal the scheduler approves.

When a shop-floor event leaves the current version broken (`scheduling.models.BoardDisruption`)
the scheduler asks for a repair: the engine's check runs on a worker (`quoting.solve_repair`,
`solver` queue) with `ENGINE_REPAIR_TIME_LIMIT`, far longer than a shop-floor report may take.
Its result is stored on a `RepairProposal`: the schedule to commit (every promise kept, or the
least-late schedule found), who moves and who becomes late. Approval commits exactly that
schedule through `schedule_commit` (kind `repair`, rule 5 waived only for the orders it shows
late) if the board has not changed since, and lists a re-promise proposal for each order that
now misses its promise, for the sales rep to confirm with the customer. Nothing here changes a
promise.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from config.celery import app as celery_app
from orders.models import Order, Promise
from quoting.models import AuditEvent, RepairProposal, RepromiseProposal
from quoting.services.answers import replan_diff
from quoting.services.audit import audit_event_record
from quoting.services.conflicts import QuotingConflict
from quoting.services.engine_runs import describe_failure
from quoting.services.enqueue import BROKER_ERRORS
from quoting.services.repromise import order_repromise, repromise_due
from quoting.services.solve_inputs import consistent_snapshot
from scheduling.boards import PLAN_START_GRACE, board_check
from scheduling.engine import model as engine_model
from scheduling.engine.boardio import dump_answer
from scheduling.models import ScheduleVersion
from scheduling.selectors_disruption import open_disruption
from scheduling.services import ScheduleRejected, StaleSchedule, schedule_commit

logger = logging.getLogger(__name__)

# A solve row with no result this long after its time limit lost its worker: the scheduler may
# ask again (the engine stops at its limit; the rest covers building the board and writing).
LOST_AFTER = timedelta(seconds=60)
OPEN = (RepairProposal.Status.QUEUED, RepairProposal.Status.SOLVING, RepairProposal.Status.PENDING)


def _enqueue(repair_id: int) -> None:
    try:
        # By name: quoting.tasks imports these services, so they never import it back.
        celery_app.signature("quoting.solve_repair", args=[repair_id]).apply_async()
    except BROKER_ERRORS as exc:
        logger.warning("broker unavailable, repair %s not enqueued: %s", repair_id, exc)
        RepairProposal.objects.filter(pk=repair_id, status=RepairProposal.Status.QUEUED).update(
            status=RepairProposal.Status.FAILED,
            error=f"the job queue is unavailable ({exc}); try again in a moment",
        )


def repair_request(*, requested_by: User) -> RepairProposal:
    """Ask for a repair of the current, disrupted version (idempotent while one is open).

    Writes a RepairProposal (queued) for the open disruption, or returns the open one; marks a
    solve whose worker was lost as failed first. Enqueues `quoting.solve_repair` after commit.
    Raises QuotingConflict when the current version is not disrupted."""
    with transaction.atomic():
        current = ScheduleVersion.objects.select_for_update().filter(is_current=True).first()
        disruption = open_disruption(current) if current is not None else None
        if current is None or disruption is None:
            raise QuotingConflict("the current schedule fits reality: there is nothing to repair")
        existing = (
            RepairProposal.objects.select_for_update()
            .filter(disruption=disruption, status__in=OPEN)
            .first()
        )
        if existing is not None and not _lost(existing):
            return existing
        if existing is not None:
            RepairProposal.objects.filter(pk=existing.pk, status__in=OPEN).update(
                status=RepairProposal.Status.FAILED,
                error="no result long after its time limit: the worker was lost",
            )
        repair = RepairProposal.objects.create(
            disruption=disruption,
            schedule_version=current,
            created_by=requested_by,
            time_limit=settings.ENGINE_REPAIR_TIME_LIMIT,
        )
        transaction.on_commit(lambda: _enqueue(repair.pk))
        return repair


def _lost(repair: RepairProposal) -> bool:
    started = repair.started_at or repair.created_at
    deadline = started + timedelta(seconds=repair.time_limit) + LOST_AFTER
    return repair.status != RepairProposal.Status.PENDING and timezone.now() > deadline


def _moves(
    board: engine_model.Board, schedule: tuple[engine_model.ScheduledOperation, ...]
) -> tuple[Any, ...]:
    before = {(r.order, r.operation): r.start for r in board.schedule or ()}
    return tuple(
        engine_model.MovedOperation(r.order, r.operation, before[(r.order, r.operation)], r.start)
        for r in schedule
        if (r.order, r.operation) in before and before[(r.order, r.operation)] != r.start
    )


def _late(
    board: engine_model.Board, schedule: tuple[engine_model.ScheduledOperation, ...]
) -> list[dict[str, Any]]:
    """Orders finishing after their protected date (promise minus buffer) on `schedule`."""
    ends: dict[str, datetime] = {}
    for row in schedule:
        ends[row.order] = max(ends.get(row.order, row.end), row.end)
    late = []
    for order in board.orders:
        end = ends.get(order.id)
        if end is None or end <= order.due - timedelta(minutes=board.order_buffer(order)):
            continue
        late.append(
            {
                "order": order.id,
                "promised": order.due.isoformat(),
                "projected": end.isoformat(),
                "minutes_late": int((end - order.due).total_seconds() // 60),
            }
        )
    return sorted(late, key=lambda row: -row["minutes_late"])


def repair_solve(*, repair_id: int, task_id: str) -> str:
    """Solve a queued repair (body of task `quoting.solve_repair`).

    Writes to the repair row only: solving (with when it started), then pending with the
    schedule, its moves and late orders; stale when the board changed before the solve began;
    failed with the engine's words when it found no schedule at all, or the error."""
    claimed = RepairProposal.objects.filter(
        pk=repair_id, status=RepairProposal.Status.QUEUED
    ).update(status=RepairProposal.Status.SOLVING, started_at=timezone.now(), solve_task_id=task_id)
    if not claimed:
        return "skipped"
    mine = RepairProposal.objects.filter(
        pk=repair_id, status=RepairProposal.Status.SOLVING, solve_task_id=task_id
    )
    repair = RepairProposal.objects.get(pk=repair_id)
    try:
        snapshot = consistent_snapshot()
        if snapshot.version is None or snapshot.version.pk != repair.schedule_version_id:
            mine.update(
                status=RepairProposal.Status.STALE,
                error="the board changed before the repair started",
            )
            return RepairProposal.Status.STALE
        board = snapshot.board
        answer = board_check(board, time_limit=repair.time_limit)
    except Exception as exc:
        logger.exception("repair %s failed", repair_id)
        mine.update(status=RepairProposal.Status.FAILED, error=describe_failure(exc))
        return RepairProposal.Status.FAILED
    if answer.status == "promised":
        schedule = answer.schedule
    elif answer.projection:
        schedule = answer.projection
    else:
        mine.update(
            status=RepairProposal.Status.FAILED,
            answer_status=answer.status,
            error=f"no schedule found in {repair.time_limit:g} s"
            + (f": {answer.message}" if answer.message else ""),
        )
        return RepairProposal.Status.FAILED
    proposed = engine_model.Answer(
        status="promised", schedule=schedule, moved=_moves(board, schedule)
    )
    written = mine.update(
        status=RepairProposal.Status.PENDING,
        board_now=board.now,
        answer_status=answer.status,
        answer=dump_answer(proposed),
        late=_late(board, schedule),
        diff=replan_diff(board, proposed),
        moved_count=len(proposed.moved),
        message=answer.message,
        error="",
    )
    return RepairProposal.Status.PENDING if written else "skipped"


def repair_approve(*, repair_id: int, approved_by: User) -> RepairProposal:
    """Commit a pending repair: its schedule becomes the current version (kind `repair`), the
    orders it shows late flagged at risk (their promises untouched), and a RepromiseProposal is
    listed for each order that now misses its promise (new date: its completion plus its
    buffer, on the hour). Writes an AuditEvent. Enqueues nothing.

    Raises QuotingConflict if it is not pending; marks it stale (nothing committed) and raises
    QuotingConflict if the board changed since it was solved, the verifier refuses it, or its
    plan should already have started."""
    try:
        with transaction.atomic():
            repair = RepairProposal.objects.select_for_update().get(pk=repair_id)
            if repair.status != RepairProposal.Status.PENDING:
                raise QuotingConflict(f"repair {repair.pk} is {repair.get_status_display()}")
            answer = repair.engine_answer()
            oldest = timezone.now() - PLAN_START_GRACE
            if any(m.to_start < oldest for m in answer.moved):
                raise ScheduleRejected(
                    ["the repair was solved too long ago: some moves should already have started"]
                )
            late = [row["order"] for row in repair.late]
            result = schedule_commit(
                expected_version_id=repair.schedule_version_id,
                now=repair.board_now,  # type: ignore[arg-type]
                answer=answer,
                kind=ScheduleVersion.Kind.REPAIR,
                reason=f"Repair after: {repair.disruption.event}"[:500],
                created_by=approved_by,
                accept_late=late,
            )
            RepairProposal.objects.filter(pk=repair.pk).update(
                status=RepairProposal.Status.APPROVED,
                decided_by=approved_by,
                decided_at=timezone.now(),
                committed_version=result.version,
            )
            orders = {o.code: o for o in Order.objects.filter(code__in=late)}
            RepromiseProposal.objects.bulk_create(
                RepromiseProposal(
                    repair=repair,
                    order=orders[row["order"]],
                    old_due=orders[row["order"]].promised_due,
                    projected_completion=datetime.fromisoformat(row["projected"]),
                    new_due=repromise_due(
                        datetime.fromisoformat(row["projected"]),
                        orders[row["order"]].buffer_minutes,
                    ),
                )
                for row in repair.late
                if row["minutes_late"] > 0 and row["order"] in orders
            )
            audit_event_record(
                kind=AuditEvent.Kind.REPAIR_APPROVED,
                actor=approved_by,
                reason=f"Repair after: {repair.disruption.event}"[:500],
                schedule_version=result.version,
                detail={"repair": repair.pk, "moved": repair.moved_count, "late": repair.late},
            )
    except (StaleSchedule, ScheduleRejected) as exc:
        RepairProposal.objects.filter(pk=repair_id, status=RepairProposal.Status.PENDING).update(
            status=RepairProposal.Status.STALE, error=str(exc)[:1000]
        )
        raise QuotingConflict(
            f"the repair was not committed: {exc}. Run the repair again on today's board."
        ) from exc
    return RepairProposal.objects.get(pk=repair_id)


def repair_reject(*, repair_id: int, rejected_by: User, reason: str) -> RepairProposal:
    """Reject a repair that is not committed (who, when, why; an AuditEvent). Raises
    ValidationError without a reason, QuotingConflict once approved or rejected."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the repair is rejected."})
    with transaction.atomic():
        rejected = RepairProposal.objects.filter(
            pk=repair_id,
            status__in=[*OPEN, RepairProposal.Status.STALE, RepairProposal.Status.FAILED],
        ).update(
            status=RepairProposal.Status.REJECTED,
            decided_by=rejected_by,
            decided_at=timezone.now(),
            reject_reason=reason[:500],
        )
        if not rejected:
            raise QuotingConflict(f"repair {repair_id} was already decided")
        audit_event_record(
            kind=AuditEvent.Kind.REPAIR_REJECTED,
            actor=rejected_by,
            reason=reason[:500],
            detail={"repair": repair_id},
        )
    return RepairProposal.objects.get(pk=repair_id)


def repromise_proposal_confirm(*, repromise_id: int, confirmed_by: User) -> Promise:
    """The rep confirms a re-promise proposal: the order is re-promised for its new date through
    `order_repromise` (verified, audited; the old promise stays in its history).

    Raises QuotingConflict when it was already decided, and what `order_repromise` raises
    (ValidationError, RepromiseInfeasible) when the date can no longer be kept."""
    with transaction.atomic():
        proposal = RepromiseProposal.objects.select_for_update().get(pk=repromise_id)
        if proposal.status != RepromiseProposal.Status.OPEN:
            raise QuotingConflict(f"this re-promise is {proposal.get_status_display().lower()}")
        promise = order_repromise(
            order_id=proposal.order_id,
            due=proposal.new_due,
            reason="New date after a breakdown on the shop floor "
            f"(repair #{proposal.repair_id} approved)",
            repromised_by=confirmed_by,
        )
        RepromiseProposal.objects.filter(pk=proposal.pk).update(
            status=RepromiseProposal.Status.CONFIRMED,
            decided_by=confirmed_by,
            decided_at=timezone.now(),
            promise=promise,
        )
        return promise
