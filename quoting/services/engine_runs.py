"""Running the engine on a worker: the fair-share time limit, the call with the shop's
settings and a monitor, and the message a failed solve leaves on its row."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Count

from quoting.models import Quote
from quoting.services.monitor import SolveMonitor
from quoting.services.transient import describe_transient, is_transient
from scheduling.boards import board_quote
from scheduling.engine import model as engine_model


def engine_time_limit(limit: float | None = None) -> float:
    """``limit`` (default ENGINE_TIME_LIMIT), or its fair share when quotes queue behind the
    ones being solved: limit x solving / (solving + queued), at least ENGINE_MIN_TIME_LIMIT.
    Eight reps quoting at once on two worker processes then wait ~4 short solves, not ~4 full
    ones (and a proposal being polished gives way to them the same way)."""
    limit = settings.ENGINE_TIME_LIMIT if limit is None else limit
    if settings.ENGINE_MIN_TIME_LIMIT >= limit:
        return limit
    counts = dict(
        Quote.objects.filter(status__in=[Quote.Status.QUEUED, Quote.Status.SOLVING])
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    solving = max(1, counts.get(Quote.Status.SOLVING, 0))
    queued = counts.get(Quote.Status.QUEUED, 0)
    return max(settings.ENGINE_MIN_TIME_LIMIT, limit * solving / (solving + queued))


def engine_quote(
    board: engine_model.Board,
    monitor: SolveMonitor,
    limit: float | None = None,
    *,
    seed: int = 0,
    **kwargs: Any,
) -> engine_model.Answer:
    return board_quote(
        board,
        time_limit=engine_time_limit(limit),
        seed=seed,
        progress=monitor.progress,
        cancel=monitor.cancelled,
        **kwargs,
    )


def describe_failure(exc: BaseException) -> str:
    from celery.exceptions import SoftTimeLimitExceeded

    if isinstance(exc, SoftTimeLimitExceeded):
        return (
            f"the solve took longer than {settings.CELERY_TASK_SOFT_TIME_LIMIT} s and was stopped"
        )
    if is_transient(exc):
        return describe_transient(exc)
    return f"{type(exc).__name__}: {exc}"
