"""An approval that outlives a changing board: the lease.

An approval asked for on a changed board is carried by the re-solve and committed at once; if
another commit lands meanwhile, the proposal is solved once more and committed under the lock
of the current schedule version. Why and how: docs/quoting.md (the paragraph on
`quoting/services/approving.py`).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from quoting.models import Quote, ReplanProposal
from quoting.services.answers import replan_diff, request_from_doc
from scheduling.boards import board_quote, board_snapshot
from scheduling.engine import model as engine_model
from scheduling.engine.boardio import dump_answer
from scheduling.models import ScheduleVersion
from scheduling.services import ScheduleRejected, StaleSchedule

logger = logging.getLogger(__name__)

_LEASE_SUFFIX = " (committed after a re-solve on the changed board)"


class _NotMine(Exception):
    """The proposal left `resolving` under this run (rejected, or swept to another run)."""


def approved_proposal_commit(
    *,
    proposal_id: int,
    task_id: str,
    answer: engine_model.Answer,
    board: engine_model.Board,
    version_id: int | None,
) -> str:
    """Commit a re-solved proposal whose approval was asked for while it was stale (called by
    `proposal_solve` with a promise no later than the agreed one). Returns the final status,
    or "skipped" when this run no longer holds the proposal.

    Writes: the proposal's new answer and, in the same transaction, everything an approval
    writes (`proposals.proposal_commit`); if the board changed again, the same under the lease
    (docs/quoting.md); or the proposal `awaiting_rep` / `stale` with the reason."""
    from quoting.services.conflicts import PlanExpired

    try:
        with transaction.atomic():
            return _commit(proposal_id, task_id, answer, board, version_id)
    except _NotMine:
        return "skipped"
    except (StaleSchedule, ScheduleRejected, PlanExpired) as exc:
        logger.info(
            "proposal %s: board changed during its re-solve (%s); leasing", proposal_id, exc
        )
    return _solve_under_lease(proposal_id, task_id, answer)


def _commit(
    proposal_id: int,
    task_id: str,
    answer: engine_model.Answer,
    board: engine_model.Board,
    version_id: int | None,
) -> str:
    """Store the answer on the proposal and commit it, inside the caller's transaction."""
    from quoting.services.proposals import proposal_commit

    proposal = (
        ReplanProposal.objects.select_for_update()
        .filter(pk=proposal_id, status=ReplanProposal.Status.RESOLVING, solve_task_id=task_id)
        .exclude(approval_requested_by=None)
        .first()
    )
    if proposal is None:
        raise _NotMine
    quote = Quote.objects.select_for_update().get(pk=proposal.quote_id)
    _store(proposal, answer, board, version_id)
    approver = proposal.approval_requested_by
    assert approver is not None
    proposal_commit(proposal, quote, approved_by=approver, reason_suffix=_LEASE_SUFFIX)
    return ReplanProposal.Status.APPROVED


def _store(
    proposal: ReplanProposal,
    answer: engine_model.Answer,
    board: engine_model.Board,
    version_id: int | None,
) -> None:
    fields: dict[str, Any] = {
        "schedule_version_id": version_id,
        **_answer_fields(answer, board),
        "solve_task_id": "",
        "heartbeat_at": timezone.now(),
    }
    ReplanProposal.objects.filter(pk=proposal.pk).update(**fields)
    for name, value in fields.items():
        setattr(proposal, name, value)


def _solve_under_lease(proposal_id: int, task_id: str, previous: engine_model.Answer) -> str:
    """Lock the current version, solve on it and commit under the same lock."""
    from quoting.services.conflicts import PlanExpired
    from quoting.services.solve_inputs import quote_board

    proposal = ReplanProposal.objects.select_related(
        "quote__repromise_order", "capacity_option"
    ).get(pk=proposal_id)
    request = request_from_doc(proposal.quote.request_doc or {})
    option = proposal.capacity_option
    ending: dict[str, Any]
    try:
        with transaction.atomic():
            # The lease: every commit takes this lock first, so none lands until this ends.
            current = _lock_current_version()
            snapshot = board_snapshot(version=current, request=request)
            board = quote_board(proposal.quote, snapshot.board)
            if option is not None and option.code not in snapshot.option_pks:
                ending = _stale(f"capacity option {option.code} is no longer available")
            else:
                answer = board_quote(
                    board,
                    apply_options=[option.code] if option is not None else [],
                    evaluate_options=False,
                    warm_start=previous.schedule,
                    keep_completion=option is None,
                    earliest=proposal.quote.promise_earliest,
                )
                agreed = proposal.rep_confirmed_promise or proposal.quote.promise
                if answer.status != "promised" or answer.promise is None:
                    ending = _stale(
                        "no schedule on the current board keeps every promise with this order "
                        f"({answer.message or answer.status})"
                    )
                elif agreed is not None and answer.promise > agreed:
                    ending = _awaiting_rep(answer, board, current)
                else:
                    version_id = current.pk if current is not None else None
                    return _commit(proposal_id, task_id, answer, board, version_id)
    except _NotMine:
        return "skipped"
    except (StaleSchedule, ScheduleRejected, PlanExpired) as exc:
        # The verifier, on the board re-read under the lock, said no (or the board vanished).
        ending = _stale(f"the re-solved plan cannot be committed: {exc}")
    written = ReplanProposal.objects.filter(
        pk=proposal_id, status=ReplanProposal.Status.RESOLVING, solve_task_id=task_id
    ).update(
        solve_task_id="",
        heartbeat_at=timezone.now(),
        approval_requested_by=None,
        **ending,
    )
    return str(ending["status"]) if written else "skipped"


def _lock_current_version() -> ScheduleVersion | None:
    """Lock the current version's row. Waiting on a commit that flips it re-reads nothing
    (PostgreSQL re-checks the old row, now not current, and skips it), so read again: each
    statement sees the latest commit."""
    for _ in range(20):
        current = ScheduleVersion.objects.select_for_update().filter(is_current=True).first()
        if current is not None or not ScheduleVersion.objects.filter(is_current=True).exists():
            return current
    raise StaleSchedule(expected_version_id=None, current_version_id=None)


def _stale(reason: str) -> dict[str, Any]:
    return {"status": ReplanProposal.Status.STALE, "error": reason}


def _awaiting_rep(
    answer: engine_model.Answer, board: engine_model.Board, version: ScheduleVersion | None
) -> dict[str, Any]:
    return {
        "status": ReplanProposal.Status.AWAITING_REP,
        "schedule_version": version,
        **_answer_fields(answer, board),
    }


def _answer_fields(answer: engine_model.Answer, board: engine_model.Board) -> dict[str, Any]:
    """The proposal's columns that hold `answer`, solved on `board` (its error cleared)."""
    return {
        "board_now": board.now,
        "answer": dump_answer(answer),
        "completion": answer.completion,
        "promise": answer.promise,
        "diff": replan_diff(board, answer),
        "moved_count": len(answer.moved),
        "error": "",
    }
