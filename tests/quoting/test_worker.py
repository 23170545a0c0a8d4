"""End to end on the real stack: PostgreSQL, Redis and a real Celery worker process.

The worker is started as a subprocess against the test database (pytest-django's test_<name>),
on a Redis database of its own; the test publishes to the same Redis through the API. Data is
committed (transactional tests) so the worker's own connections see it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote as urlquote
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from django.db import connection
from kombu import pools as kombu_pools
from rest_framework.test import APIClient

from config.celery import app as celery_app
from orders.models import Customer, Order, Product, Promise
from quoting import tasks
from quoting.models import Quote, ReplanProposal
from scheduling.boards import board_now
from scheduling.models import CapacityOption
from tests.conftest import redis_url
from tests.quoting.conftest import (
    Shop,
    current_schedule_violations,
    import_generated_board,
    make_shop,
    seed_orders,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("flushable_promises"),
]

ROOT = Path(__file__).resolve().parents[2]


# Each test session works on a Redis database of its own (8-15; db 0 is the developer's and
# CI's broker), claimed with a lock key, so a worker started by another pytest session on this
# machine (another developer, xdist) never takes these tasks, nor these workers theirs.
REDIS_DBS = range(8, 16)
LOCK_KEY = "quoting-test-session"
SESSION = uuid.uuid4().hex
_claimed: list[int] = []


def _base_redis() -> tuple[str, str]:
    base = urlsplit(redis_url() or "redis://127.0.0.1:6379/0")
    return base.scheme, base.netloc


def _redis_for(db: int) -> str:
    scheme, netloc = _base_redis()
    return urlunsplit((scheme, netloc, f"/{db}", "", ""))


def _claim_redis_db() -> int:
    if _claimed:
        return _claimed[0]
    for db in REDIS_DBS:
        client = redis.Redis.from_url(_redis_for(db))
        if (
            client.set(LOCK_KEY, SESSION, nx=True, ex=1800)
            or client.get(LOCK_KEY) == SESSION.encode()
        ):
            _claimed.append(db)
            return db
    raise RuntimeError("every Redis database 8-15 is claimed by another test session")


WORKER_ENGINE_TIME_LIMIT = 1.0
STALE_SECONDS = 10  # the settings minimum; the sweeper treats a silent row as dead after this


def _broker_url() -> str:
    return _redis_for(_claim_redis_db())


def _database_url() -> str:
    db = connection.settings_dict  # NAME is the test database here
    auth = urlquote(db.get("USER") or "postgres")
    if db.get("PASSWORD"):
        auth += ":" + urlquote(db["PASSWORD"])
    host = db.get("HOST") or "127.0.0.1"
    return f"postgres://{auth}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"


class Worker:
    """One `celery worker` subprocess (prefork, one child) on the solver and default queues
    (the stale-solve sweeper runs on default)."""

    def __init__(self, log_dir: Path, engine_time_limit: float) -> None:
        self.log = log_dir / f"worker-{uuid.uuid4().hex[:6]}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": _broker_url(),
            "ENGINE_TIME_LIMIT": str(engine_time_limit),
            "ENGINE_WORKERS": "1",
            "SOLVE_STALE_SECONDS": str(STALE_SECONDS),
            "CELERY_VISIBILITY_TIMEOUT": "3600",
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                "solver,default",
                "--concurrency",
                "1",
                "--pool",
                "prefork",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
                "-n",
                f"quoting-test-{uuid.uuid4().hex[:8]}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed with its pool children
        )

    def children(self) -> list[int]:
        found = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False
        )
        return [int(pid) for pid in found.stdout.split()]

    def kill(self) -> None:
        """SIGKILL the whole worker: main process and pool child, no chance to clean up."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-12000:]


def _forget_connections() -> None:
    # The app caches its connection pool and producer pool on first use, and kombu keeps
    # process-wide pools too: an earlier test on another broker (the browser tests' in-memory
    # one) would otherwise keep receiving what this test publishes.
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    kombu_pools.reset()


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point this process's Celery app at the test Redis database (and back afterwards)."""
    client = redis.Redis.from_url(_broker_url())
    client.flushdb()
    client.set(LOCK_KEY, SESSION, ex=1800)  # still ours after the flush
    conf = celery_app.conf
    saved = (conf.broker_url, conf.broker_transport_options, conf.task_always_eager)
    # Celery reads CELERY_BROKER_URL from the environment before its configuration (CI sets
    # it to database 0), so the test's database must be named there too.
    monkeypatch.setenv("CELERY_BROKER_URL", _broker_url())
    conf.broker_url = _broker_url()
    conf.broker_transport_options = {"visibility_timeout": 3600}
    conf.task_always_eager = False
    _forget_connections()
    yield
    _forget_connections()
    conf.broker_url, conf.broker_transport_options, conf.task_always_eager = saved
    client.flushdb()  # the lock goes too: the next session may take this database


@pytest.fixture
def start_worker(broker: None, tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    workers: list[Worker] = []

    def start(engine_time_limit: float = WORKER_ENGINE_TIME_LIMIT) -> Worker:
        worker = Worker(tmp_path, engine_time_limit)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:  # before the database flush: no worker holds a connection then
        worker.stop()


def wait_for(
    condition: Callable[[], Any], *, timeout: float, what: str, worker: Worker | None = None
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    detail = f"\n--- worker log ---\n{worker.output()}" if worker else ""
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}{detail}")


def as_user(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def shop() -> Shop:
    return make_shop()


def test_quote_accept_approve_on_a_real_worker(
    shop: Shop, start_worker: Callable[..., Worker]
) -> None:
    due = board_now() + timedelta(days=21)
    seed_orders(shop, [(f"SO-{100 + i}", shop.globex, shop.bracket, 30, due) for i in range(6)])
    worker = start_worker()
    sales, scheduler = as_user(shop.users["sales"]), as_user(shop.users["scheduler"])

    created = sales.post(
        "/api/quotes/",
        {"customer": shop.acme.pk, "product": shop.cylinder.pk, "quantity": 10},
        format="json",
    )
    assert created.status_code == 202 and created.json()["enqueued"] is True
    quote_id = created.json()["id"]
    answered = wait_for(
        lambda: (body := sales.get(f"/api/quotes/{quote_id}/").json())["status"] == "done" and body,
        timeout=90,
        what="the worker to answer the quote",
        worker=worker,
    )
    assert answered["answer_status"] == "promised" and answered["moved_count"] > 0
    assert answered["schedule_version"] is not None and answered["attempts"] == 1

    accepted = sales.post(f"/api/quotes/{quote_id}/accept/", {}, format="json").json()
    assert accepted["result"] == "proposal"
    # The worker polishes the proposal (fewer operations moved, same promise) before the
    # scheduler can approve it.
    polished = accepted["proposal"]["id"]
    wait_for(
        lambda: ReplanProposal.objects.get(pk=polished).status == ReplanProposal.Status.PENDING,
        timeout=90,
        what="the proposal to be polished",
        worker=worker,
    )
    approved = scheduler.post(f"/api/proposals/{polished}/approve/")
    assert approved.status_code == 200, approved.content
    order = Order.objects.get(code=approved.json()["order"]["code"])
    assert order.promised_due == Quote.objects.get(pk=quote_id).promise
    assert current_schedule_violations() == []

    # With a capacity option the proposal is solved again on the worker, option applied.
    second = sales.post(
        "/api/quotes/",
        {"customer": shop.acme.pk, "product": shop.cylinder.pk, "quantity": 10},
        format="json",
    ).json()["id"]
    wait_for(
        lambda: Quote.objects.get(pk=second).status == Quote.Status.DONE,
        timeout=90,
        what="the second quote",
        worker=worker,
    )
    option = Quote.objects.get(pk=second).options[0]["id"]
    proposal = sales.post(
        f"/api/quotes/{second}/accept/", {"capacity_option": option}, format="json"
    ).json()["proposal"]
    assert proposal["status"] == "resolving"
    wait_for(
        lambda: (
            ReplanProposal.objects.get(pk=proposal["id"]).status == ReplanProposal.Status.PENDING
        ),
        timeout=90,
        what="the proposal's re-solve with the option",
        worker=worker,
    )
    approved = scheduler.post(f"/api/proposals/{proposal['id']}/approve/")
    assert approved.status_code == 200, approved.content
    assert CapacityOption.objects.get(code=option).status == CapacityOption.Status.APPLIED
    assert current_schedule_violations() == []


def _solving(quote_id: int) -> bool:
    quote = Quote.objects.get(pk=quote_id)
    return quote.status == Quote.Status.SOLVING and quote.progress > 0


def test_a_killed_worker_leaves_no_partial_commit_and_no_stuck_quote(
    start_worker: Callable[..., Worker], settings: Any
) -> None:
    import_generated_board(operations=300)
    users = make_shop_users()
    sales = as_user(users["sales"])
    body = {
        "customer": Customer.objects.get(code="IMPORT").pk,
        "product": Product.objects.filter(code__startswith="IMPORT-").order_by("code")[0].pk,
        "quantity": 1,
    }
    orders, promises = Order.objects.count(), Promise.objects.count()
    long_solve = 8.0  # long enough to be killed in the middle of it

    # 1. The pool child dies mid-solve: acks late + reject on worker lost hand the same
    #    message to a new child, which takes the quote over (same task id) and answers it.
    worker = start_worker(engine_time_limit=long_solve)
    first = sales.post("/api/quotes/", body, format="json").json()["id"]
    wait_for(lambda: _solving(first), timeout=90, what="the solve to start", worker=worker)
    children = worker.children()
    assert len(children) == 1
    os.kill(children[0], signal.SIGKILL)
    answered = wait_for(
        lambda: (
            Quote.objects.get(pk=first).status in (Quote.Status.DONE, Quote.Status.FAILED)
            and Quote.objects.get(pk=first)
        ),
        timeout=120,
        what="the redelivered solve",
        worker=worker,
    )
    assert answered.status == Quote.Status.DONE, answered.error
    assert answered.attempts == 2  # the killed run, then the redelivery

    # 2. The whole worker dies mid-solve (nobody left to requeue): the row goes silent, the
    #    sweeper sends it again once SOLVE_STALE_SECONDS pass, a new worker answers it.
    second = sales.post("/api/quotes/", body, format="json").json()["id"]
    wait_for(lambda: _solving(second), timeout=90, what="the second solve", worker=worker)
    worker.kill()
    assert Quote.objects.get(pk=second).status == Quote.Status.SOLVING
    replacement = start_worker(engine_time_limit=WORKER_ENGINE_TIME_LIMIT)
    time.sleep(STALE_SECONDS + 1)
    tasks.sweep_stale_solves.delay()  # what beat sends every 60 s
    final = wait_for(
        lambda: (
            Quote.objects.get(pk=second).status in (Quote.Status.DONE, Quote.Status.FAILED)
            and Quote.objects.get(pk=second)
        ),
        timeout=120,
        what="the swept quote to be answered",
        worker=replacement,
    )
    assert final.status == Quote.Status.DONE, final.error
    assert final.attempts == 2 and "stopped responding" not in final.error
    # Solving never writes orders or promises: nothing partial anywhere.
    assert (Order.objects.count(), Promise.objects.count()) == (orders, promises)
    assert not Quote.objects.filter(status=Quote.Status.SOLVING).exists()


def make_shop_users() -> dict[str, Any]:
    from tests.factories import UserFactory

    return {"sales": UserFactory(username="sales", role="sales")}


def test_broker_down_answers_202_and_the_quote_is_sent_when_it_returns(
    shop: Shop, start_worker: Callable[..., Worker], monkeypatch: pytest.MonkeyPatch
) -> None:
    sales = as_user(shop.users["sales"])
    body = {"customer": shop.acme.pk, "product": shop.cylinder.pk, "quantity": 3}
    # Nothing listens on port 1: the publish fails the way it does when Redis is down.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"
    _forget_connections()
    started = time.monotonic()
    down = sales.post("/api/quotes/", body, format="json")
    took = time.monotonic() - started
    assert down.status_code == 202, down.content
    assert down.json()["status"] == "queued" and down.json()["enqueued"] is False
    assert "broker unavailable" in down.json()["enqueue_error"]
    assert took < 10, f"the API waited {took:.1f} s for a dead broker"

    monkeypatch.setenv("CELERY_BROKER_URL", _broker_url())  # the broker is back
    celery_app.conf.broker_url = _broker_url()
    _forget_connections()
    worker = start_worker()
    tasks.sweep_stale_solves.delay()  # what beat sends every 60 s
    quote_id = down.json()["id"]
    answered = wait_for(
        lambda: (q := Quote.objects.get(pk=quote_id)).status == Quote.Status.DONE and q,
        timeout=90,
        what="the quote stored while the broker was down to be answered",
        worker=worker,
    )
    assert answered.enqueued and answered.enqueue_error == ""
    assert answered.answer_status == "promised" and answered.attempts == 1
