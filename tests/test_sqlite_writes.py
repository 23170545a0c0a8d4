"""The embedded SQLite database (`make run`): a request that reads and then writes waits for
the worker's write instead of failing with "database is locked". Runs on its own SQLite file
with the options the settings give SQLite, whatever database the suite runs on."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.backends.sqlite3.base import DatabaseWrapper
from django.db.utils import OperationalError


def _connection(path: Path, options: dict[str, Any]) -> DatabaseWrapper:
    return DatabaseWrapper(
        {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(path),
            "OPTIONS": dict(options),
            "ATOMIC_REQUESTS": False,
            "AUTOCOMMIT": True,
            "CONN_MAX_AGE": 0,
            "CONN_HEALTH_CHECKS": False,
            "TIME_ZONE": None,
            "USER": "",
            "PASSWORD": "",
            "HOST": "",
            "PORT": "",
            "TEST": {},
        },
        alias="sqlite-writes",
    )


def _request_while_the_worker_writes(path: Path, options: dict[str, Any]) -> list[BaseException]:
    """A request's transaction reads, the worker writes meanwhile, then the request writes."""
    setup = _connection(path, options)
    with setup.cursor() as cursor:
        cursor.execute("CREATE TABLE customer (code TEXT PRIMARY KEY, name TEXT)")
        cursor.execute("INSERT INTO customer VALUES ('C1', 'One')")
    setup.close()
    errors: list[BaseException] = []

    def worker() -> None:
        connection = _connection(path, options)
        try:
            with connection.cursor() as cursor:
                cursor.execute("UPDATE customer SET name = 'Worker' WHERE code = 'C1'")
        except BaseException as exc:  # reported to the test
            errors.append(exc)
        finally:
            connection.close()

    request = _connection(path, options)
    other = threading.Thread(target=worker)
    try:
        request.ensure_connection()
        # What transaction.atomic() does to begin (BEGIN, or BEGIN IMMEDIATE with the option).
        request._start_transaction_under_autocommit()  # type: ignore[attr-defined]
        with request.cursor() as cursor:
            cursor.execute("SELECT name FROM customer WHERE code = 'C1'")
            other.start()
            time.sleep(0.3)  # the worker's write comes while the request's transaction is open
            cursor.execute("INSERT INTO customer VALUES ('C2', 'Two')")
            cursor.execute("COMMIT")
    except OperationalError as exc:
        errors.append(exc)
    finally:
        other.join(timeout=30)
        request.close()
    return errors


def test_a_read_then_write_waits_for_another_writer_instead_of_failing(
    tmp_path: Path, django_db_blocker: Any
) -> None:
    with django_db_blocker.unblock():  # its own SQLite file, not the suite's database
        errors = _request_while_the_worker_writes(tmp_path / "db.sqlite3", settings.SQLITE_OPTIONS)
        assert errors == []
        check = _connection(tmp_path / "db.sqlite3", {})
        with check.cursor() as cursor:
            cursor.execute("SELECT code, name FROM customer ORDER BY code")
            assert cursor.fetchall() == [("C1", "Worker"), ("C2", "Two")]
        check.close()


def test_without_the_write_lock_at_the_start_sqlite_fails_at_once(
    tmp_path: Path, django_db_blocker: Any
) -> None:
    # What transaction_mode is for: with a deferred transaction the request's write fails.
    deferred = {k: v for k, v in settings.SQLITE_OPTIONS.items() if k != "transaction_mode"}
    with django_db_blocker.unblock():
        errors = _request_while_the_worker_writes(tmp_path / "db.sqlite3", deferred)
    assert any("locked" in str(e) for e in errors), errors
