"""Quotes, replan proposals, the audit trail and customers' date requests.

A `Quote` is both the sales rep's request and the solve row the UI polls: the worker writes its
status, progress, heartbeat and answer here (the UI never reads the Celery result backend). The
answer is the engine's answer/1 document, so that a commit re-uses exactly the schedule that was
solved, never a re-computation of it; the parts the pages show are read from it.

None of these models writes a promise or a schedule version: `quoting.services` does that, only
through `scheduling.services.schedule_commit`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from scheduling.engine import Progress
    from scheduling.engine.model import Answer


class StoredAnswer:
    """The one way to read a row's stored answer/1 document (`answer`): `engine_answer()`
    returns the engine's typed Answer, parsed once per document the row holds."""

    answer: Any
    _parsed: tuple[Any, Answer] | None = None

    def engine_answer(self) -> Answer:
        """The stored answer as `scheduling.engine.model.Answer`. Raises ValueError when the
        row has no answer yet (look at its status first)."""
        doc = self.answer
        if not doc:
            raise ValueError(f"{self} has no stored answer")
        if self._parsed is None or self._parsed[0] is not doc:
            from scheduling.engine.boardio import load_answer  # the engine loads on use only

            self._parsed = (doc, load_answer(doc))
        return self._parsed[1]


class SolveStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SOLVING = "solving", "Solving"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class SolveRow(StoredAnswer, models.Model):
    """The columns a worker's solve writes, shared by quotes and replan proposals: which run
    holds the row and whether it is alive, whether the broker took its task, and the answer
    (the engine's answer/1 document solved at `board_now`, with the columns shown from it)."""

    # The status of a row while a worker holds it; the solve monitor writes only then.
    HELD_STATUS: ClassVar[str]
    # The boolean column a user sets to ask a running solve to stop, if the row has one.
    CANCEL_FIELD: ClassVar[str | None] = None

    # The Celery task id of the run that holds the row; a redelivery of the same message after
    # its worker died carries the same id, which is how the task knows it may take over.
    solve_task_id = models.CharField(max_length=64, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    enqueued = models.BooleanField(default=False)
    enqueue_error = models.TextField(blank=True)
    error = models.TextField(blank=True)

    board_now = models.DateTimeField(null=True, blank=True)
    answer = models.JSONField(null=True, blank=True)  # answer/1 document
    completion = models.DateTimeField(null=True, blank=True)
    promise = models.DateTimeField(null=True, blank=True)
    diff = models.JSONField(default=dict, blank=True)
    moved_count = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    @classmethod
    def progress_fields(cls, update: Progress) -> dict[str, Any]:
        """The columns a progress update of the engine writes on this kind of row: none
        unless the row shows a solve's progress."""
        return {}


class Quote(SolveRow):
    """A quote request and the engine's answer to it, tied to the version it was solved against."""

    Status = SolveStatus
    HELD_STATUS = SolveStatus.SOLVING
    CANCEL_FIELD = "cancel_requested"

    customer = models.ForeignKey("orders.Customer", on_delete=models.PROTECT, related_name="quotes")
    product = models.ForeignKey("orders.Product", on_delete=models.PROTECT, related_name="quotes")
    quantity = models.PositiveIntegerField()
    requested_due = models.DateTimeField(null=True, blank=True)
    # The customer's purchase-order reference, carried onto the order the quote creates.
    customer_po = models.CharField(
        "customer's PO reference", max_length=64, blank=True, default="", db_default=""
    )
    # The rep asked for the earliest date even when the requested date could be kept with
    # fewer operations of other orders moved (the default keeps the requested date).
    promise_earliest = models.BooleanField(default=False)
    # Capacity options to evaluate; empty means "every available option".
    requested_options = models.ManyToManyField(
        "scheduling.CapacityOption", blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="quotes"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # --- the solve row ---------------------------------------------------------------------
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0.0)
    best_completion = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0)  # solve runs started, whatever the reason
    # Runs whose worker died under them (a redelivery, or the sweeper finding no heartbeat).
    # Counted apart from `attempts`: a quote re-solved after stale accepts is not unlucky with
    # workers, and only deaths decide when it stops being retried.
    worker_deaths = models.PositiveIntegerField(default=0)
    enqueued_at = models.DateTimeField(null=True, blank=True)

    # --- what it was solved against --------------------------------------------------------
    schedule_version = models.ForeignKey(
        "scheduling.ScheduleVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="quotes",
    )
    request_doc = models.JSONField(null=True, blank=True)  # the engine request, as solved

    # --- the answer -------------------------------------------------------------------------
    # The answer itself is `answer` (read typed by `engine_answer()`; the properties below show
    # its parts). Two parts are also columns, copies of the answer kept for queries that do
    # not load it: the list filters by `answer_status`, and the quote list, which defers the
    # ~200 kB answer, shows `requested_due_feasible` on every row.
    answer_status = models.CharField(max_length=16, blank=True)  # promised/infeasible/no_solution
    requested_due_feasible = models.BooleanField(null=True, blank=True)
    solve_seconds = models.FloatField(null=True, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)
    # Anytime quotes: the solve goes on improving the stored answer after the first one (see
    # quoting/services/improving.py); each better answer is one entry of the history.
    improving = models.BooleanField(default=False)
    improvements = models.JSONField(default=list, blank=True)

    # --- acceptance -------------------------------------------------------------------------
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    accepted_option = models.ForeignKey(
        "scheduling.CapacityOption",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # A quote made for a customer's date request re-promises this existing order instead of
    # creating a new one (its operations are taken off the board and solved as the request).
    repromise_order = models.ForeignKey(
        "orders.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="repromise_quotes",
    )
    # One quote commits at most one order and one promise (unique one-to-one columns).
    order = models.OneToOneField(
        "orders.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="quote"
    )
    committed_promise = models.OneToOneField(
        "orders.Promise", on_delete=models.PROTECT, null=True, blank=True, related_name="quote"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="quote_qty_gte_1"),
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=1), name="quote_progress_0_1"
            ),
        ]
        indexes = [models.Index(fields=["status", "heartbeat_at"])]

    def __str__(self) -> str:
        return self.request_id

    @classmethod
    def progress_fields(cls, update: Progress) -> dict[str, Any]:
        """A quote shows its solve's progress and the best completion found so far."""
        fields: dict[str, Any] = {"progress": min(1.0, max(0.0, float(update.fraction)))}
        if update.best_completion is not None:
            fields["best_completion"] = update.best_completion
        return fields

    @property
    def request_id(self) -> str:
        """The request's id on engine boards."""
        return f"Q-{self.pk}"

    @property
    def earliest_promise(self) -> datetime | None:
        """When the promise keeps the requested date: how early it could be instead (the
        earliest completion found + the request's buffer), else None."""
        if not self.answer or not self.request_doc:
            return None
        earliest = self.engine_answer().earliest_completion
        if earliest is None:
            return None
        buffer = timedelta(minutes=int(self.request_doc.get("buffer_minutes") or 0))
        return earliest + buffer

    @property
    def lower_bound(self) -> datetime | None:
        """No schedule can finish the request before this (the answer's)."""
        return self.engine_answer().lower_bound if self.answer else None

    @property
    def proven_optimal(self) -> bool | None:
        """Whether the engine proved the completion optimal; None before an answer."""
        return self.engine_answer().proven_optimal if self.answer else None

    @property
    def options(self) -> list[dict[str, Any]]:
        """The capacity options the answer evaluated, as answer/1 writes them."""
        from scheduling.engine.boardio import format_instant  # the engine loads on use only

        def instant(value: datetime | None) -> str | None:
            return None if value is None else format_instant(value)

        return [
            {
                "id": option.id,
                "completion": instant(option.completion),
                "promise": instant(option.promise),
                "gain_minutes": option.gain_minutes,
            }
            for option in (self.engine_answer().options if self.answer else ())
        ]

    @property
    def binding(self) -> dict[str, list[str]]:
        """The work centers and orders that bind the completion ({} before an answer)."""
        if not self.answer:
            return {}
        answer = self.engine_answer()
        return {
            "work_centers": list(answer.binding_work_centers),
            "orders": list(answer.binding_orders),
        }

    @property
    def message(self) -> str:
        """The engine's reason when the answer has no promise."""
        return self.engine_answer().message if self.answer else ""

    @property
    def at_risk_orders(self) -> tuple[str, ...]:
        """The orders a quote made against a repair of a disrupted board leaves at risk."""
        return self.engine_answer().at_risk if self.answer else ()

    @property
    def order_code(self) -> str:
        """How the quote's order is labelled: its code once committed (the shop's numbering,
        given at commit), the request id on the board before that."""
        if self.order_id is not None:
            return self.order.code  # type: ignore[union-attr]
        if self.repromise_order_id is not None:
            return self.repromise_order.code  # type: ignore[union-attr]
        return self.request_id


class PortfolioMember(models.Model):
    """One solver task of a quote solved as a portfolio (ENGINE_PORTFOLIO > 1; see
    quoting/services/portfolio.py): its own search strategy and seed, the worker that ran it,
    and how it ended.
    The member whose answer is on the quote is `won` (its task id is the quote's
    `solve_task_id`); every other one ends `revoked`, with the reason."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SOLVING = "solving", "Solving"
        WON = "won", "Won"
        REVOKED = "revoked", "Revoked"
        FAILED = "failed", "Failed"

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="portfolio_members")
    portfolio = models.CharField(max_length=64, db_index=True)  # one id per enqueue
    task_id = models.CharField(max_length=64, unique=True)
    seed = models.PositiveIntegerField()  # CP-SAT's
    strategy = models.PositiveIntegerField(default=0)  # the engine's completion search
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    worker = models.CharField(max_length=200, blank=True)  # the Celery hostname that ran it
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    promise = models.DateTimeField(null=True, blank=True)  # its first answer's
    solve_seconds = models.FloatField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["quote", "portfolio", "pk"]

    def __str__(self) -> str:
        return f"{self.quote_id}/s{self.strategy}.{self.seed} {self.status}"


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


class AuditEvent(models.Model):
    """Who did what, when and why, in the quoting workflow (promise rows and schedule versions
    carry their own who/when/why; these rows link them to the quote and proposal behind them)."""

    class Kind(models.TextChoices):
        QUOTE_COMMITTED = "quote_committed", "Quote committed at once"
        PROPOSAL_CREATED = "proposal_created", "Replan proposal created"
        PROPOSAL_APPROVED = "proposal_approved", "Replan proposal approved"
        PROPOSAL_REJECTED = "proposal_rejected", "Replan proposal rejected"
        PROPOSAL_STALE = "proposal_stale", "Proposal stale, re-solving"
        QUOTE_STALE = "quote_stale", "Quote stale at accept, re-solving"
        QUOTE_REQUOTED = "quote_requoted", "Quote solved again on the current board"
        CAPACITY_APPLIED = "capacity_applied", "Capacity option applied"
        REPROMISED = "repromised", "Order re-promised"
        DATE_REQUESTED = "date_requested", "Customer asked for another date"
        DOWNTIME_CHANGED = "downtime_changed", "Downtime edited or ended early"
        REPAIR_APPROVED = "repair_approved", "Repair of a broken board approved"
        REPAIR_REJECTED = "repair_rejected", "Repair of a broken board rejected"
        LATER_PROMISE_CONFIRMED = "later_confirmed", "Sales rep confirmed a later promise"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="audit"
    )
    quote = models.ForeignKey(
        Quote, on_delete=models.PROTECT, null=True, blank=True, related_name="audit"
    )
    proposal = models.ForeignKey(
        ReplanProposal, on_delete=models.PROTECT, null=True, blank=True, related_name="audit"
    )
    schedule_version = models.ForeignKey(
        "scheduling.ScheduleVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    capacity_option = models.ForeignKey(
        "scheduling.CapacityOption",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"


class DateChangeRequest(models.Model):
    """A customer's request for another date on an order: a follow-up for sales, not a promise."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="date_requests"
    )
    requested_due = models.DateTimeField()
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    # The quote sales made to answer it, if any.
    quote = models.ForeignKey(
        Quote, on_delete=models.PROTECT, null=True, blank=True, related_name="date_requests"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.order} asks {self.requested_due:%Y-%m-%d}"


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


class Notification(models.Model):
    """Something a user should hear about without watching a page: a scheduler's decision on
    the replan proposal of a sales rep's quote. Read when the user opens the list."""

    class Kind(models.TextChoices):
        PROPOSAL_APPROVED = "proposal_approved", "Proposal approved"
        PROPOSAL_REJECTED = "proposal_rejected", "Proposal rejected"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    text = models.CharField(max_length=500)
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="notifications")
    proposal = models.ForeignKey(
        ReplanProposal,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient} ({self.quote})"
