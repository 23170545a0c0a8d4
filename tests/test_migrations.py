"""Migrations apply from zero on both databases, match the models, and install the promise
triggers. Each database is migrated in a fresh process, as a new installation would be."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent


def migrate_fresh(database_url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "VAR_DIR": str(tmp_path / "var"),  # keep the run's broker folders out of the tree
    }
    return subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.django_db
def test_models_and_migrations_agree() -> None:
    # Raises SystemExit(1) when a model change has no migration.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_sqlite_migrates_from_zero_with_append_only_promises(tmp_path: Path) -> None:
    database = tmp_path / "fresh.sqlite3"
    result = migrate_fresh(f"sqlite:///{database}", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr

    with sqlite3.connect(database) as db:
        applied = {name for (name,) in db.execute("SELECT app FROM django_migrations")}
        assert {"orders", "scheduling", "quoting", "auth"} <= applied
        triggers = {
            name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='trigger'")
        }
        assert {"orders_promise_no_update", "orders_promise_no_delete"} <= triggers
        # A promise row needs an order and a schedule version; build the minimum by hand.
        db.execute(
            "INSERT INTO scheduling_scheduleversion (number, is_current, kind, reason, "
            "created_at, planned_at, at_risk) VALUES (1, 1, 'seed', 't', '2026-12-01', "
            "'2026-12-01', '[]')"
        )
        db.execute("INSERT INTO orders_customer (code, name, email) VALUES ('C1', 'C', '')")
        db.execute("INSERT INTO orders_product (code, name, description) VALUES ('P1', 'P', '')")
        db.execute(
            "INSERT INTO orders_order (code, customer_id, product_id, quantity, promised_due, "
            "buffer_minutes, status, created_at) VALUES ('SO-1', 1, 1, 1, '2026-12-09', 60, "
            "'open', '2026-12-01')"
        )
        db.execute(
            "INSERT INTO orders_promise (order_id, due, buffer_minutes, kind, reason, "
            "created_at, schedule_version_id) VALUES (1, '2026-12-09', 60, 'initial', 'r', "
            "'2026-12-01', 1)"
        )
        for statement in (
            "UPDATE orders_promise SET due = '2026-12-31'",
            "DELETE FROM orders_promise",
        ):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                db.execute(statement)
        assert db.execute("SELECT due FROM orders_promise").fetchall() == [("2026-12-09",)]


@pytest.fixture
def fresh_postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database on the configured server; dropped afterwards."""
    import psycopg2

    db = settings.DATABASES["default"]
    params = {
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
    }
    name = f"migrate_from_zero_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(dbname="postgres", **params)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')  # name is generated above, not input
        credentials = str(params["user"] or "postgres")
        if params["password"]:
            credentials += f":{params['password']}"
        host, port = params["host"] or "localhost", str(params["port"] or 5432)
        yield f"postgres://{credentials}@{host}:{port}/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.mark.postgres
def test_postgres_migrates_from_zero_with_append_only_promises(
    fresh_postgres_database: str, tmp_path: Path
) -> None:
    import psycopg2

    result = migrate_fresh(fresh_postgres_database, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    with psycopg2.connect(fresh_postgres_database) as db, db.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'orders_promise'::regclass "
            "AND NOT tgisinternal"
        )
        # TRUNCATE is deliberately left to database privileges (see migration orders/0003).
        assert {name for (name,) in cursor.fetchall()} == {
            "orders_promise_no_update",
            "orders_promise_no_delete",
        }
    db.close()
