"""Transient faults of the database and the broker, told apart from bugs and retried.

A dropped database connection (a restart, a failover, a killed backend) or a broker that is
briefly away says nothing about the quote being solved: the same work succeeds once the service
answers again. The solve tasks therefore retry such errors in place with a growing pause, the
final write included, instead of failing the quote and showing the rep a driver's message.
Anything else is a bug or a real answer and is not retried here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import InterfaceError, OperationalError, connection

logger = logging.getLogger(__name__)

T = TypeVar("T")

DATABASE_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError)
try:
    from kombu.exceptions import OperationalError as KombuOperationalError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    BROKER_ERRORS: tuple[type[BaseException], ...] = (
        KombuOperationalError,
        RedisConnectionError,
        RedisTimeoutError,
    )
except ImportError:  # pragma: no cover - both are dependencies
    BROKER_ERRORS = ()

TRANSIENT_ERRORS = DATABASE_ERRORS + BROKER_ERRORS

# How long a solve keeps retrying before it gives up and leaves the row to the sweeper: longer
# than a database restart or failover usually takes, shorter than the task's soft time limit.
RETRY_SECONDS = 30.0
# First pause, doubled each time up to the last: the first retry comes almost at once (a single
# killed connection is back on the next try), later ones do not hammer a server that restarts.
FIRST_PAUSE = 0.25
LONGEST_PAUSE = 4.0


def is_transient(exc: BaseException) -> bool:
    """Whether `exc`, or an error it was raised from, is a lost database or broker connection
    (see `orders.outage.lost_connection` for the bare DatabaseError psycopg2 raises on some
    drops)."""
    from orders.outage import lost_connection

    return any(isinstance(e, TRANSIENT_ERRORS) for e in _chain(exc)) or lost_connection(exc)


def describe_transient(exc: BaseException) -> str:
    """What a person reads for a transient fault (never the driver's text)."""
    if any(isinstance(e, BROKER_ERRORS) for e in _chain(exc)):
        return "the message queue was unreachable; it is being retried"
    return "the connection to the database was lost; it is being retried"


def _chain(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def retry_transient(
    work: Callable[[], T],
    *,
    what: str,
    seconds: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run `work`; on a transient fault drop this thread's (broken) database connection, pause
    and run it again, for up to `seconds` (default RETRY_SECONDS). The last fault is re-raised
    when time runs out; any other error at once. `work` must be safe to run again: a
    conditional write that checks the row's state, or a read."""
    deadline = time.monotonic() + (RETRY_SECONDS if seconds is None else seconds)
    pause = FIRST_PAUSE
    tries = 0
    while True:
        tries += 1
        try:
            return work()
        except Exception as exc:
            if not is_transient(exc) or time.monotonic() + pause > deadline:
                raise
            logger.warning("%s: %s (try %d); retrying in %.2f s", what, exc, tries, pause)
            _drop_connection()
            sleep(pause)
            pause = min(LONGEST_PAUSE, pause * 2)


def _drop_connection() -> None:
    """Close this thread's database connection so the next query opens a fresh one. Inside an
    atomic block (a caller's transaction) it cannot be replaced here: the caller's retry must
    start outside it."""
    if connection.in_atomic_block:
        return
    try:
        connection.close()
    except DATABASE_ERRORS:  # closing a connection the server already dropped
        logger.debug("closing a broken connection failed", exc_info=True)
