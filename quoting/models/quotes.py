"""A `Quote` is both the sales rep's request and the solve row the UI polls (the UI never reads
the Celery result backend); its answer is the engine's answer/1 document, so a commit re-uses
exactly the schedule that was solved. `PortfolioMember`: one solver task of a portfolio solve."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from quoting.models.solve_rows import SolveRow, SolveStatus

if TYPE_CHECKING:
    from scheduling.engine import Progress


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
    # The answer is `answer`, read typed by `engine_answer()` (the properties below show its
    # parts). Two parts are denormalised copies for queries that do not load the ~200 kB
    # answer: the quote list filters by `answer_status` and shows `requested_due_feasible`.
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
        earliest = self.earliest_completion
        if earliest is None or not self.request_doc:
            return None
        buffer = timedelta(minutes=int(self.request_doc.get("buffer_minutes") or 0))
        return earliest + buffer

    @property
    def earliest_completion(self) -> datetime | None:
        """When the promise keeps the requested date: the earliest completion found (the
        answer's), else None."""
        return self.engine_answer().earliest_completion if self.answer else None

    @property
    def earliest_is_this_plan(self) -> bool:
        """Whether the plan that keeps the requested date already finishes at the earliest
        completion found: the earlier promise would then move nothing more."""
        earliest = self.earliest_completion
        return earliest is not None and self.completion is not None and earliest >= self.completion

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
