"""Re-solving a replan proposal on a worker (body of task `quoting.solve_proposal`), with the
same conditional-UPDATE ownership of the row as quote_solving.py."""

from __future__ import annotations

import logging
from dataclasses import replace

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from quoting.models import ReplanProposal
from quoting.services.answers import (
    replan_diff,
    request_from_doc,
)
from quoting.services.engine_runs import describe_failure, engine_quote
from quoting.services.monitor import SolveMonitor
from quoting.services.solve_inputs import (
    background_repair,
    consistent_snapshot,
    quote_board,
)
from quoting.services.transient import is_transient, retry_transient
from scheduling import engine
from scheduling.engine import model as engine_model
from scheduling.engine.boardio import dump_answer

logger = logging.getLogger(__name__)


# A proposal is re-solved each time the board changes under it; past this, a human decides.
MAX_PROPOSAL_RESOLVES = 10


def _claim_proposal(proposal_id: int, task_id: str) -> bool:
    now = timezone.now()
    fresh = ReplanProposal.objects.filter(
        pk=proposal_id, status=ReplanProposal.Status.RESOLVING, solve_task_id=""
    ).update(solve_task_id=task_id, heartbeat_at=now, resolve_count=F("resolve_count") + 1)
    if fresh:
        return True
    return bool(
        ReplanProposal.objects.filter(
            pk=proposal_id, status=ReplanProposal.Status.RESOLVING, solve_task_id=task_id
        ).update(heartbeat_at=now)
    )


def proposal_solve(*, proposal_id: int, task_id: str) -> str:
    """Re-solve a proposal's quote on the current board (body of task `quoting.solve_proposal`):
    with its capacity option applied, or because the board changed since it was solved.

    Writes to the proposal row only: the new answer, diff and the version it was solved
    against, status `pending` again; `stale` when no schedule exists on the current board
    (e.g. the capacity option was taken); `failed` with the error on an exception. When a
    scheduler's approval awaits the re-solve (`approval_requested_by`), a promise no later than
    the agreed one is committed at once (`approving.approved_proposal_commit`). Lost database
    or broker connections are retried as in `quote_solve`."""
    what = f"proposal {proposal_id}"
    if not retry_transient(lambda: _claim_proposal(proposal_id, task_id), what=what):
        return "skipped"
    return retry_transient(lambda: _proposal_solve_claimed(proposal_id, task_id), what=what)


def _proposal_solve_claimed(proposal_id: int, task_id: str) -> str:
    mine = ReplanProposal.objects.filter(
        pk=proposal_id, status=ReplanProposal.Status.RESOLVING, solve_task_id=task_id
    )
    proposal = ReplanProposal.objects.select_related(
        "quote__repromise_order", "capacity_option"
    ).get(pk=proposal_id)
    # Every end but a commit: the scheduler's pending approval, if any, does not carry over.
    done = {"solve_task_id": "", "heartbeat_at": timezone.now(), "approval_requested_by": None}
    try:
        if proposal.resolve_count > MAX_PROPOSAL_RESOLVES:
            raise RuntimeError(
                f"re-solved {MAX_PROPOSAL_RESOLVES} times and the board kept changing; "
                "reject it and quote again"
            )
        request = request_from_doc(proposal.quote.request_doc or {})
        snapshot = consistent_snapshot(request=request)
        board = quote_board(proposal.quote, snapshot.board)
        option = proposal.capacity_option
        apply = [option.code] if option is not None else []
        if option is not None and option.code not in snapshot.option_pks:
            mine.update(
                status=ReplanProposal.Status.STALE,
                error=f"capacity option {option.code} is no longer available",
                **done,
            )
            return ReplanProposal.Status.STALE
        previous = _previous_answer(proposal)
        # Without an option the promise stays the quoted one and the time goes to moving
        # fewer operations (an option is bought to finish earlier). When the quoted schedule
        # still holds, that polish can stop at any moment with a valid answer at the quoted
        # promise, so it makes way for quotes that wait for a worker.
        holding = (
            previous
            if option is None and previous is not None and not engine.verify(board, previous)
            else None
        )
        with SolveMonitor(
            ReplanProposal, proposal_id, task_id, make_way=holding is not None
        ) as monitor:
            answer = engine_quote(
                board,
                monitor,
                settings.ENGINE_PROPOSAL_TIME_LIMIT,
                apply_options=apply,
                evaluate_options=False,
                warm_start=previous.schedule if previous is not None else (),
                keep_completion=option is None,
                earliest=proposal.quote.promise_earliest,
                against_repair=snapshot.disrupted,
                repair=background_repair(snapshot),
            )
        if monitor.errors:
            raise RuntimeError(f"progress monitor failed: {monitor.errors[0]}")
        if holding is not None and monitor.made_way.is_set():
            if answer.status != "promised":
                answer = holding  # stopped before it had anything: the quoted plan stands
            answer = replace(answer, message="polish cut short: quotes were waiting")
    except Exception as exc:
        if is_transient(exc):
            raise  # retried by the caller
        logger.exception("proposal %s re-solve failed", proposal_id)
        mine.update(status=ReplanProposal.Status.FAILED, error=describe_failure(exc), **done)
        return ReplanProposal.Status.FAILED
    if monitor.lost.is_set():
        return "skipped"
    if answer.status != "promised":
        mine.update(
            status=ReplanProposal.Status.STALE,
            error=answer.message or f"no schedule on the current board ({answer.status})",
            **done,
        )
        return ReplanProposal.Status.STALE
    # A promise never changes behind the rep's back: later than what they agreed to, the
    # proposal goes back to them before a scheduler may approve it.
    agreed = proposal.rep_confirmed_promise or proposal.quote.promise
    later = agreed is not None and answer.promise is not None and answer.promise > agreed
    status = ReplanProposal.Status.AWAITING_REP if later else ReplanProposal.Status.PENDING
    if status == ReplanProposal.Status.PENDING and proposal.approval_requested_by_id is not None:
        from quoting.services.approving import approved_proposal_commit

        return approved_proposal_commit(
            proposal_id=proposal_id,
            task_id=task_id,
            answer=answer,
            board=board,
            version_id=snapshot.version.pk if snapshot.version is not None else None,
        )
    written = mine.update(
        status=status,
        schedule_version=snapshot.version,
        board_now=board.now,
        answer=dump_answer(answer),
        completion=answer.completion,
        promise=answer.promise,
        diff=replan_diff(board, answer),
        moved_count=len(answer.moved),
        error="",
        **done,
    )
    return status if written else "skipped"


def _previous_answer(proposal: ReplanProposal) -> engine_model.Answer | None:
    """The answer this proposal (or its quote) was last given: the re-solve starts from its
    schedule where it still holds, so adding the capacity option, or re-solving a board whose
    change did not touch it, never makes the promise later."""
    row = proposal if proposal.answer else proposal.quote
    if not row.answer:
        return None
    try:
        return row.engine_answer()
    except engine.BoardError:
        logger.warning("proposal %s: stored answer unreadable; solving afresh", proposal.pk)
        return None
