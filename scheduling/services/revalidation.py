"""After a shop-floor event or a roll-forward: re-validate every promise on the board as it now is.

`board_revalidate` commits a schedule that keeps every promise, or the least-late projection
with the orders at fault flagged at risk, or else marks the current version as no longer
fitting reality (`BoardDisruption`); no promise row is written or moved. The design and its
reasons: docs/import-export.md ("Shop-floor events"). Called inside the event's transaction,
after `board_lock`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q

from scheduling.boards import board_check, board_now, board_snapshot
from scheduling.engine.model import Answer
from scheduling.models import ScheduleVersion, WorkCenterDowntime
from scheduling.services.commit import CommitResult, ScheduleRejected, schedule_commit
from scheduling.services.disruption import board_disruption_record


@dataclass(frozen=True)
class ShopFloorResult:
    """What a shop-floor event did to the job board."""

    version: ScheduleVersion | None  # the new current version, None when none was committed
    at_risk: tuple[str, ...]  # codes of orders whose promise can no longer be kept
    message: str
    downtime: WorkCenterDowntime | None = None  # the downtime recorded, for its caller


def board_lock() -> ScheduleVersion | None:
    """Lock the current schedule version, first thing in every event's transaction.

    Lock order matters: committing a version takes key-share locks on the operations its rows
    reference, so an event that locked its operation first and the board second deadlocks with
    a commit that holds the board and reaches that operation. Board first, then operation.
    A waiter whose locked row stopped being current meanwhile gets nothing from PostgreSQL's
    re-check; a fresh statement then sees (and locks) the new current version."""
    for _ in range(10):
        current = ScheduleVersion.objects.select_for_update().filter(is_current=True).first()
        if current is not None or not ScheduleVersion.objects.exists():
            return current
    raise RuntimeError("could not lock the current schedule version (it kept changing)")


def _named(codes: tuple[str, ...], limit: int = 12) -> str:
    shown = ", ".join(codes[:limit])
    return shown + (f" and {len(codes) - limit} more" if len(codes) > limit else "")


def _broken(
    *,
    current: ScheduleVersion | None,
    answer: Answer,
    reason: str,
    user: User | None,
    why: str,
) -> ShopFloorResult:
    """The event stands, no schedule replaces the current version: record that the version no
    longer fits reality (with the engine's projection when it has one) and say so."""
    if current is None:
        return ShopFloorResult(
            version=None,
            at_risk=(),
            message=f"Recorded. {why}" + (f" {answer.message}" if answer.message else ""),
        )
    disruption = board_disruption_record(
        version=current,
        answer=answer,
        event=reason,
        user=user,
        # The engine's own words go on the banner; the flash message names the orders.
        message=why + (f" Engine: {answer.message}." if answer.message else ""),
    )
    late = tuple(
        disruption.orders.filter(late=True)
        .order_by("order__code")
        .values_list("order__code", flat=True)
    )
    at_risk = tuple(
        disruption.orders.filter(Q(late=True) | Q(projected_completion__isnull=True))
        .order_by("order__code")
        .values_list("order__code", flat=True)
    )
    if disruption.has_projection:
        outlook = (
            f"The best schedule found leaves {len(late)} order(s) late: {_named(late)}."
            if late
            else "The best schedule found keeps every promise but not every safety buffer."
        )
    elif at_risk:
        outlook = f"No projection: {len(at_risk)} order(s) at risk ({_named(at_risk)})."
    else:
        outlook = "No projection."
    return ShopFloorResult(
        version=None,
        at_risk=at_risk,
        message=f"Recorded. The plan (v{current.number}) no longer fits reality: {why} "
        f"{outlook} No promise was moved; run a repair or re-promise the orders at risk.",
    )


def _commit_in_savepoint(
    *,
    current: ScheduleVersion | None,
    now: datetime,
    answer: Answer,
    kind: str,
    reason: str,
    user: User | None,
    accept_late: Sequence[str] = (),
) -> CommitResult:
    """`schedule_commit` of `answer` over `current` in a savepoint: if the verifier refuses
    (ScheduleRejected, raised on), the recorded event still stands."""
    with transaction.atomic():
        return schedule_commit(
            expected_version_id=current.pk if current else None,
            now=now,
            answer=answer,
            kind=kind,
            reason=reason[:500],
            created_by=user,
            accept_late=accept_late,
        )


def board_revalidate(
    *,
    current: ScheduleVersion | None,
    user: User | None,
    reason: str,
    kind: str = ScheduleVersion.Kind.SHOP_FLOOR,
) -> ShopFloorResult:
    """Check every promise on the board as recorded now and commit a valid schedule if any
    (a version of `kind`); otherwise record that the current version no longer fits reality
    (`_broken`). `current` is the version `board_lock` locked at the start of the
    transaction."""
    now = board_now()
    board = board_snapshot(version=current, now=now).board
    answer = board_check(board)
    if answer.status == "promised":
        try:
            result = _commit_in_savepoint(
                current=current, now=now, answer=answer, kind=kind, reason=reason, user=user
            )
        except ScheduleRejected as exc:
            return _broken(
                current=current,
                answer=answer,
                reason=reason,
                user=user,
                why=f"the repaired schedule was refused by the verifier ({exc}).",
            )
        moved = len(answer.moved)
        return ShopFloorResult(
            version=result.version,
            at_risk=(),
            message=f"Recorded. Every promise still holds; schedule v{result.version.number} "
            f"is current ({moved} operation(s) moved).",
        )
    if answer.status == "infeasible" and answer.projection:
        at_risk = tuple(sorted(answer.at_fault))
        named = f"{len(at_risk)} order(s) at risk ({_named(at_risk)})"
        # Reality made these orders late (proven): the board must still show what will really
        # happen, so the least-late schedule becomes current with them flagged at risk.
        # Their promises stay as they are until a scheduler re-promises them.
        projection = Answer(status="promised", schedule=answer.projection)
        try:
            result = _commit_in_savepoint(
                current=current,
                now=now,
                answer=projection,
                kind=kind,
                reason=f"{reason} | at risk: {', '.join(at_risk)}",
                user=user,
                accept_late=at_risk,
            )
        except ScheduleRejected as exc:
            return _broken(
                current=current,
                answer=answer,
                reason=reason,
                user=user,
                why=f"no schedule keeps every promise any more ({named}), and the projected "
                f"schedule was refused by the verifier ({exc}).",
            )
        return ShopFloorResult(
            version=result.version,
            at_risk=at_risk,
            message=f"Recorded. No schedule keeps every promise any more: {named}. "
            f"Schedule v{result.version.number} shows their projected completion; no "
            "promise was moved: re-promise them or add capacity.",
        )
    if answer.status == "infeasible":
        why = "no schedule keeps every promise any more."
    else:
        # "no_solution": nothing is proven late, so the engine's best attempt is shown as a
        # projection (orders at risk) but not committed; a longer repair may keep them.
        why = "the engine found no schedule keeping every promise within its time limit."
    return _broken(current=current, answer=answer, reason=reason, user=user, why=why)
