"""Sending solve tasks to the broker once the transaction commits; a broker that is down leaves
the row for the sweeper (sweeping.py)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from config.celery import app as celery_app
from quoting.models import Quote, ReplanProposal

logger = logging.getLogger(__name__)


# Errors that mean "the broker is unreachable"; anything else is a bug and propagates.
try:
    from kombu.exceptions import OperationalError as KombuOperationalError
    from redis.exceptions import ConnectionError as RedisConnectionError

    BROKER_ERRORS: tuple[type[BaseException], ...] = (
        KombuOperationalError,
        RedisConnectionError,
        OSError,
    )
except ImportError:  # pragma: no cover - both are dependencies
    BROKER_ERRORS = (OSError,)


def _publish(task_name: str, row_model: type[Model], pk: int) -> None:
    """Send one task now; record on the row whether the broker took it."""
    try:
        # By name: quoting.tasks imports these services, so they never import it back.
        celery_app.signature(task_name, args=[pk]).apply_async()
    except BROKER_ERRORS as exc:
        # The row stays queued with the reason; the sweeper enqueues it when the broker is back.
        logger.warning("broker unavailable, %s(%s) left for the sweeper: %s", task_name, pk, exc)
        row_model._default_manager.filter(pk=pk).update(
            enqueued=False, enqueue_error=f"broker unavailable, will retry: {exc}"
        )
        return
    fields: dict[str, Any] = {"enqueued": True, "enqueue_error": ""}
    if row_model is Quote:
        fields["enqueued_at"] = timezone.now()
    else:
        # A proposal's sent time: if the broker loses the message (a restart without
        # persistence), the sweeper sends it again once this is SOLVE_STALE_SECONDS old.
        fields["heartbeat_at"] = timezone.now()
    row_model._default_manager.filter(pk=pk).update(**fields)


def enqueue_quote_solve(quote_id: int) -> None:
    """Enqueue `quoting.solve_quote` once the current transaction commits; with
    ENGINE_PORTFOLIO > 1, its group of member tasks instead (quoting/services/portfolio.py)."""
    if settings.ENGINE_PORTFOLIO > 1:
        from quoting.services.portfolio import portfolio_publish

        transaction.on_commit(lambda: portfolio_publish(quote_id))
        return
    transaction.on_commit(lambda: _publish("quoting.solve_quote", Quote, quote_id))


def enqueue_proposal_solve(proposal_id: int) -> None:
    """Enqueue `quoting.solve_proposal` once the current transaction commits."""
    transaction.on_commit(lambda: _publish("quoting.solve_proposal", ReplanProposal, proposal_id))
