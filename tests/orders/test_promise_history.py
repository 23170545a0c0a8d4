"""Promise history is append-only in the database itself (run on PostgreSQL in CI, on SQLite by
default; tests/test_migrations.py also checks a freshly migrated SQLite file in every run)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import F

from orders.models import Promise
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def promise() -> Promise:
    return OrderFactory.create().promises.get()


def unchanged(promise: Promise) -> bool:
    fresh = Promise.objects.get(pk=promise.pk)
    return (fresh.due, fresh.reason, fresh.buffer_minutes) == (
        promise.due,
        promise.reason,
        promise.buffer_minutes,
    )


def test_a_new_promise_row_can_be_appended(promise: Promise) -> None:
    Promise.objects.create(
        order=promise.order,
        due=promise.due + timedelta(days=2),
        buffer_minutes=promise.buffer_minutes,
        kind=Promise.Kind.REPROMISE,
        reason="Customer agreed to a later date",
        schedule_version=promise.schedule_version,
    )
    assert promise.order.promises.count() == 2


def test_orm_save_of_an_existing_promise_is_refused(promise: Promise) -> None:
    promise.due = promise.due - timedelta(days=3)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        promise.save()
    # The in-memory object was edited; the row still holds what was promised.
    assert Promise.objects.get(pk=promise.pk).due == promise.order.promised_due


def test_orm_queryset_update_is_refused(promise: Promise) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Promise.objects.filter(pk=promise.pk).update(buffer_minutes=F("buffer_minutes") + 60)
    assert unchanged(promise)


def test_orm_delete_is_refused(promise: Promise) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Promise.objects.filter(pk=promise.pk).delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        promise.delete()
    assert Promise.objects.filter(pk=promise.pk).exists()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE orders_promise SET reason = 'rewritten' WHERE id = %s",
        "UPDATE orders_promise SET due = due WHERE id = %s",  # even a no-op rewrite
        "DELETE FROM orders_promise WHERE id = %s",
    ],
)
def test_raw_sql_update_and_delete_are_refused(promise: Promise, sql: str) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, [promise.pk])
    assert unchanged(promise)
