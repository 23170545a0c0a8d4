"""The application's PostgreSQL role (`manage.py db_app_role`) and the trigger that derives an
order's promised date from its promise history (orders migration 0006).

The role reads and writes the tables but owns none, so none of the ways an owner bypasses the
append-only history works for it (TRUNCATE, DISABLE TRIGGER, DROP TRIGGER, replica mode); and
nobody, owner included, can commit an order's `promised_due` that is not its latest promise."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import psycopg2
import psycopg2.errors
import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from orders.models import Order, Promise
from tests.factories import OrderFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("flushable_promises"),
]

ROLE = "promise_app_test"


class AppSession:
    """A session of the application's role on the test database (trust auth on 127.0.0.1)."""

    def __init__(self) -> None:
        settings = connection.settings_dict
        self.connection = psycopg2.connect(
            host=settings["HOST"] or "127.0.0.1",
            port=settings["PORT"] or 5432,
            dbname=settings["NAME"],
            user=ROLE,
        )
        self.connection.autocommit = True

    def execute(self, statement: str, params: tuple[object, ...] = ()) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(statement, params or None)


@pytest.fixture
def as_app() -> Iterator[AppSession]:
    assert connection.vendor == "postgresql"
    call_command("db_app_role", ROLE)
    session = AppSession()
    yield session
    session.connection.close()


BYPASSES = [
    "TRUNCATE orders_promise",
    "ALTER TABLE orders_promise DISABLE TRIGGER ALL",
    "DROP TRIGGER orders_promise_no_update ON orders_promise",
    "ALTER TABLE orders_order DISABLE TRIGGER orders_order_promised_due_from_history",
    "SET session_replication_role = replica",
    "UPDATE orders_promise SET reason = 'rewritten'",
    "DELETE FROM orders_promise",
]


@pytest.mark.parametrize("statement", BYPASSES)
def test_the_app_role_cannot_bypass_the_history(as_app: AppSession, statement: str) -> None:
    order = OrderFactory.create()
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        as_app.execute(statement)
    assert Promise.objects.filter(order=order).count() == 1
    promise = Promise.objects.get(order=order)
    assert promise.reason != "rewritten"


def test_the_app_role_does_its_work(as_app: AppSession) -> None:
    """What the application does: read, write orders, append a promise and move the order's
    date with it in one transaction."""
    order = OrderFactory.create()
    promise = order.promises.get()
    later = order.promised_due + timedelta(days=2)
    as_app.connection.autocommit = False
    with as_app.connection:  # one transaction, committed at the end of the block
        as_app.execute(
            "INSERT INTO orders_promise (order_id, due, buffer_minutes, kind, reason, created_at,"
            " schedule_version_id) VALUES (%s, %s, %s, 'repromise', 'agreed', %s, %s)",
            (order.pk, later, promise.buffer_minutes, timezone.now(), promise.schedule_version_id),
        )
        as_app.execute("UPDATE orders_order SET promised_due = %s WHERE id = %s", (later, order.pk))
    order.refresh_from_db()
    assert order.promised_due == later and order.promises.count() == 2


def test_an_order_date_without_its_promise_row_is_refused(as_app: AppSession) -> None:
    order = OrderFactory.create()
    forged = order.promised_due - timedelta(days=5)
    with pytest.raises(psycopg2.errors.IntegrityConstraintViolation, match="latest promise"):
        as_app.execute(
            "UPDATE orders_order SET promised_due = %s WHERE id = %s", (forged, order.pk)
        )
    # The owner is held to it too (the trigger is checked at commit, whoever commits).
    with pytest.raises(IntegrityError, match="latest promise"), transaction.atomic():
        Order.objects.filter(pk=order.pk).update(promised_due=forged)
    order.refresh_from_db()
    assert order.promised_due == order.promises.get().due


def test_the_role_command_refuses_a_bad_name() -> None:
    with pytest.raises(CommandError, match="role"):
        call_command("db_app_role", "app; DROP TABLE orders_order")
    with pytest.raises(CommandError, match="owner"):
        call_command("db_app_role", connection.settings_dict["USER"])
