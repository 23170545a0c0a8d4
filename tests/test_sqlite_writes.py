"""The embedded SQLite database (`make run`): a request that reads and then writes waits for
the worker's write instead of failing with "database is locked"."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from orders.models import Customer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's locking only")
def test_a_read_then_write_waits_for_another_writer_instead_of_failing() -> None:
    Customer.objects.create(code="C1", name="One")
    errors: list[BaseException] = []

    def worker_write() -> None:  # another connection, like the Celery worker's
        try:
            Customer.objects.filter(code="C1").update(name="Worker")
        except BaseException as exc:  # reported to the test
            errors.append(exc)
        finally:
            connections.close_all()

    with transaction.atomic():
        assert Customer.objects.get(code="C1").name == "One"  # the request reads first
        other = threading.Thread(target=worker_write)
        other.start()
        time.sleep(0.3)  # the worker's write comes while the request's transaction is open
        Customer.objects.create(code="C2", name="Two")  # then the request writes
    other.join(timeout=30)
    assert not other.is_alive() and errors == []
    assert set(Customer.objects.values_list("code", "name")) == {("C1", "Worker"), ("C2", "Two")}
