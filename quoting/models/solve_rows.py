"""The solve row: the columns a worker's solve writes on a quote or a replan proposal, and
`StoredAnswer`, the one way to read a row's stored answer/1 document."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.db import models

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
