"""The sweeper: solve rows nobody is working on go back on the queue or fail (body of the
periodic task `quoting.sweep_stale_solves`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from quoting.models import Quote, ReplanProposal
from quoting.services.enqueue import enqueue_proposal_solve, enqueue_quote_solve
from quoting.services.quote_solving import MAX_SOLVE_ATTEMPTS

# --- the sweeper ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepReport:
    enqueued: list[int]  # quotes sent to the broker again (never sent, or lost)
    retried: list[int]  # quotes whose worker died, queued again
    failed: list[int]  # quotes whose worker died too often
    proposals: list[int]  # proposals re-enqueued


def solves_sweep_stale(*, now: datetime | None = None) -> SweepReport:
    """Find solve rows that nobody is working on and put them back on the queue or fail them
    (body of the periodic task `quoting.sweep_stale_solves`).

    Writes: quotes `queued` that the broker never took, or took more than SOLVE_STALE_SECONDS
    ago, are enqueued again; quotes `solving` without a heartbeat for SOLVE_STALE_SECONDS go
    back to `queued` (enqueued again) or, after MAX_SOLVE_ATTEMPTS, to `failed` with a message
    (to `cancelled` when a cancel was asked for);
    quotes still `improving` without a heartbeat stop improving (their answer stands);
    proposals `resolving` that were never enqueued or lost their worker are enqueued again.
    Duplicate messages are harmless: a run only works on a row it claimed."""
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.SOLVE_STALE_SECONDS)
    enqueued: list[int] = []
    retried: list[int] = []
    failed: list[int] = []
    proposals: list[int] = []
    waiting = Quote.objects.filter(status=Quote.Status.QUEUED, cancel_requested=False).filter(
        Q(enqueued=False) | Q(enqueued_at__lt=stale_before) | Q(enqueued_at__isnull=True)
    )
    for quote_id in waiting.values_list("pk", flat=True):
        with transaction.atomic():
            enqueue_quote_solve(quote_id)
        enqueued.append(quote_id)
    dead = Quote.objects.filter(status=Quote.Status.SOLVING).filter(
        Q(heartbeat_at__lt=stale_before) | Q(heartbeat_at__isnull=True)
    )
    rows = dead.values_list("pk", "attempts", "worker_deaths", "solve_task_id")
    for quote_id, attempts, deaths, task_id in rows:
        row = Quote.objects.filter(pk=quote_id, status=Quote.Status.SOLVING, solve_task_id=task_id)
        row = row.filter(Q(heartbeat_at__lt=stale_before) | Q(heartbeat_at__isnull=True))
        # Its worker died after someone asked to cancel it: nobody wants the answer.
        if row.filter(cancel_requested=True).update(status=Quote.Status.CANCELLED):
            continue
        if deaths + 1 >= MAX_SOLVE_ATTEMPTS:
            if row.update(
                status=Quote.Status.FAILED,
                worker_deaths=F("worker_deaths") + 1,
                error=f"the worker stopped responding {deaths + 1} times; not retried",
            ):
                failed.append(quote_id)
            continue
        with transaction.atomic():
            if row.update(
                status=Quote.Status.QUEUED,
                solve_task_id="",
                enqueued=False,
                worker_deaths=F("worker_deaths") + 1,
                error=f"the worker stopped responding (attempt {attempts}); retrying",
            ):
                enqueue_quote_solve(quote_id)
                retried.append(quote_id)
    # An improvement whose worker died: the answer on the row stands, and is final now.
    Quote.objects.filter(status=Quote.Status.DONE, improving=True).filter(
        Q(heartbeat_at__lt=stale_before) | Q(heartbeat_at__isnull=True)
    ).update(improving=False)
    lost = ReplanProposal.objects.filter(status=ReplanProposal.Status.RESOLVING).filter(
        (Q(solve_task_id="") & (Q(enqueued=False) | Q(heartbeat_at__lt=stale_before)))
        | (~Q(solve_task_id="") & Q(heartbeat_at__lt=stale_before))
    )
    for proposal_id, task_id in lost.values_list("pk", "solve_task_id"):
        with transaction.atomic():
            if ReplanProposal.objects.filter(
                pk=proposal_id, status=ReplanProposal.Status.RESOLVING, solve_task_id=task_id
            ).update(solve_task_id="", enqueued=False, heartbeat_at=now):
                enqueue_proposal_solve(proposal_id)
                proposals.append(proposal_id)
    return SweepReport(enqueued=enqueued, retried=retried, failed=failed, proposals=proposals)
