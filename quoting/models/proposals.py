"""Proposals a scheduler or a sales rep decides: a quote's replan, the repair of a broken board,
and the re-promise of an order that repair leaves late."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from quoting.models.quotes import Quote
from quoting.models.solve_rows import SolveRow, StoredAnswer


class Decision(models.Model):
    """Who approved or rejected a proposal for the scheduler, when, and why a rejection."""

    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        abstract = True


class ReplanProposal(SolveRow, Decision):
    """A quote's schedule that moves other orders or uses extra capacity, for a scheduler."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending approval"
        # Re-solved on a changed board to a promise later than the one the rep accepted: the
        # scheduler cannot approve it until the rep confirms the later date (or withdraws).
        AWAITING_REP = "awaiting_rep", "Later promise: waiting for the sales rep"
        RESOLVING = "resolving", "Being re-solved"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        STALE = "stale", "Stale (no schedule found on the current board)"
        FAILED = "failed", "Failed"

    HELD_STATUS = Status.RESOLVING

    quote = models.OneToOneField(Quote, on_delete=models.PROTECT, related_name="proposal")
    capacity_option = models.ForeignKey(
        "scheduling.CapacityOption",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proposals",
    )
    status = models.CharField(max_length=16, choices=Status.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # The candidate schedule: answer/1 document solved against `schedule_version` at `board_now`.
    schedule_version = models.ForeignKey(
        "scheduling.ScheduleVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proposals",
    )

    # Re-solves (capacity option applied, or the board changed under it).
    resolve_count = models.PositiveIntegerField(default=0)

    # The latest promise the rep has agreed to: the quote's, or a later one confirmed since.
    rep_confirmed_promise = models.DateTimeField(null=True, blank=True)

    # A scheduler approved it, but the board had changed: the approval stands for the re-solve
    # on the current board (committed at once when its promise is no later than the one the
    # rep agreed to; see quoting/services/approving.py). Cleared when it ends otherwise.
    approval_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approval_requested_at = models.DateTimeField(null=True, blank=True)

    committed_version = models.OneToOneField(
        "scheduling.ScheduleVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approved_proposal",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reject_reason=""),
                name="rejected_proposal_has_reason",
            )
        ]

    def __str__(self) -> str:
        return f"Proposal {self.pk} for {self.quote.request_id} ({self.status})"


class RepairProposal(StoredAnswer, Decision):
    """A repair of a board that no longer fits reality (a `BoardDisruption`), solved in the
    background with a longer limit, for a scheduler to approve: who moves, who becomes late.

    Its solve row is read by the pages (status, when it started, its time limit); its answer is
    the engine's answer/1 document of the schedule to commit, so approval commits exactly what
    the scheduler reviewed, through `schedule_commit` (kind `repair`)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SOLVING = "solving", "Solving"
        PENDING = "pending", "Waiting for approval"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        STALE = "stale", "Stale (the board changed; run it again)"
        FAILED = "failed", "Failed"

    disruption = models.ForeignKey(
        "scheduling.BoardDisruption", on_delete=models.PROTECT, related_name="repairs"
    )
    schedule_version = models.ForeignKey(
        "scheduling.ScheduleVersion", on_delete=models.PROTECT, related_name="repairs"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    time_limit = models.FloatField()
    started_at = models.DateTimeField(null=True, blank=True)
    solve_task_id = models.CharField(max_length=64, blank=True)

    board_now = models.DateTimeField(null=True, blank=True)
    answer_status = models.CharField(max_length=16, blank=True)  # the engine's
    answer = models.JSONField(null=True, blank=True)  # answer/1, status promised
    # Orders the repair finishes after their protected date: order, promised, projected,
    # minutes_late (after the promise; <= 0 when only the buffer is eaten).
    late = models.JSONField(default=list, blank=True)
    diff = models.JSONField(default=dict, blank=True)  # quoting.services.answers.replan_diff
    moved_count = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    error = models.TextField(blank=True)

    committed_version = models.OneToOneField(
        "scheduling.ScheduleVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approved_repair",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reject_reason=""),
                name="rejected_repair_has_reason",
            )
        ]

    def __str__(self) -> str:
        return f"Repair {self.pk} ({self.status})"


class RepromiseProposal(models.Model):
    """A new date for an order an approved repair finishes after its promise, for the sales
    rep to confirm with the customer (the promise changes only when the rep confirms). The
    repair is a RepairProposal, or a ReplanProposal whose quote was made against the repair of
    a disrupted board (exactly one of the two)."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for the rep"
        CONFIRMED = "confirmed", "Re-promised"
        DISMISSED = "dismissed", "Dismissed"

    repair = models.ForeignKey(
        RepairProposal,
        on_delete=models.PROTECT,
        related_name="repromises",
        null=True,
        blank=True,
    )
    replan = models.ForeignKey(
        "ReplanProposal",
        on_delete=models.PROTECT,
        related_name="repromises",
        null=True,
        blank=True,
    )
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="+")
    old_due = models.DateTimeField()
    new_due = models.DateTimeField()
    projected_completion = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    promise = models.OneToOneField(
        "orders.Promise", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["old_due", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(repair__isnull=False, replan__isnull=True)
                | Q(repair__isnull=True, replan__isnull=False),
                name="repromise_from_one_repair",
            )
        ]

    def __str__(self) -> str:
        return f"Re-promise {self.order} {self.old_due:%Y-%m-%d} -> {self.new_due:%Y-%m-%d}"
