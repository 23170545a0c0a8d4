"""Suite-wide fixtures and the services policy.

In CI (`CI=true`) or with `REQUIRE_SERVICES=1`, PostgreSQL (as the configured database) and
Redis must be reachable or the run stops at once with an error: the suite never silently skips
what CI exists to check. Elsewhere, tests marked `postgres` or `redis` are skipped when the
service is missing, with the reason shown in the summary.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

# Django, DRF and the models are imported inside the hooks and fixtures, never at module level:
# the engine's tests must also run without Django (`pytest -p no:django tests/scheduling/engine`).
if TYPE_CHECKING:
    from rest_framework.test import APIClient

    from orders.models import Customer


def services_required() -> bool:
    return (
        os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
        or os.environ.get("REQUIRE_SERVICES", "").strip() == "1"
    )


def database_is_postgres() -> bool:
    from django.conf import settings

    return bool(settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql")


def redis_url() -> str | None:
    """REDIS_URL, else the Celery broker URL when it is Redis; None when neither is Redis."""
    from django.conf import settings

    for url in (os.environ.get("REDIS_URL", ""), settings.CELERY_BROKER_URL):
        if url.startswith(("redis://", "rediss://")):
            return url
    return None


@cache
def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used for this run, or None when it can."""
    if not database_is_postgres():
        return "DATABASE_URL is not a PostgreSQL URL"
    import psycopg2
    from django.conf import settings

    db = settings.DATABASES["default"]
    try:
        # The configured database itself, not the test one: pytest-django creates test_<name>.
        connection = psycopg2.connect(
            dbname=db["NAME"],
            user=db.get("USER") or None,
            password=db.get("PASSWORD") or None,
            host=db.get("HOST") or None,
            port=db.get("PORT") or None,
            connect_timeout=5,
        )
    except psycopg2.Error as exc:
        return f"PostgreSQL at {db.get('HOST')}:{db.get('PORT')} is not reachable: {exc}"
    connection.close()
    return None


@cache
def redis_problem() -> str | None:
    """Why Redis cannot be used for this run, or None when it can."""
    url = redis_url()
    if url is None:
        return "neither REDIS_URL nor CELERY_BROKER_URL is a redis:// URL"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
    except redis.RedisError as exc:
        return f"Redis at {url} is not reachable: {exc}"
    return None


def pytest_sessionstart(session: pytest.Session) -> None:
    if session.config.pluginmanager.has_plugin("django"):
        from django.conf import settings

        # WhiteNoise warns on every request when STATIC_ROOT is missing (no collectstatic).
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    if not services_required() or not session.config.pluginmanager.has_plugin("django"):
        return  # (without Django only the engine's tests run, and they use no service)
    problems = [p for p in (postgres_problem(), redis_problem()) if p is not None]
    if problems:
        pytest.exit(
            "CI / REQUIRE_SERVICES=1 needs PostgreSQL and Redis: " + "; ".join(problems),
            returncode=pytest.ExitCode.USAGE_ERROR,
        )


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker, problem in (("postgres", postgres_problem), ("redis", redis_problem)):
        if item.get_closest_marker(marker) is None:
            continue
        reason = problem()
        if reason is None:
            continue
        if services_required():  # unreachable after sessionstart, but never skip in CI
            pytest.fail(f"{marker} is required in CI: {reason}")
        pytest.skip(f"{marker} not available: {reason}")


@pytest.fixture(autouse=True)
def _fresh_sign_in_counts(request: pytest.FixtureRequest) -> None:
    """Every test starts with no sign-in failures or throttle history (orders.sign_in keeps
    them in the cache). Only the in-process cache is cleared: a shared one may hold others'."""
    if not request.config.pluginmanager.hasplugin("django"):
        return  # the engine's tests run without Django
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    if isinstance(caches["default"], LocMemCache):
        caches["default"].clear()


@pytest.fixture
def api_client() -> APIClient:
    """An unauthenticated DRF test client."""
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def user_factory(db: None) -> Callable[..., Any]:
    """`user_factory(role, customer=None, **fields)`: a saved user with a profile of `role`
    ('sales', 'scheduler', 'customer', 'manager'); a customer user without `customer` gets a
    new customer. Password: `demo`."""

    from tests.factories import UserFactory

    def make(role: str, customer: Customer | None = None, **fields: Any) -> Any:
        return UserFactory.create(role=role, customer=customer, **fields)

    return make


@pytest.fixture
def client_as(user_factory: Callable[..., Any]) -> Callable[..., APIClient]:
    """`client_as(role_or_user, customer=None)`: an API client authenticated as that user."""
    from rest_framework.test import APIClient

    def make(who: Any, customer: Customer | None = None) -> APIClient:
        user = user_factory(who, customer=customer) if isinstance(who, str) else who
        client = APIClient()
        client.force_authenticate(user=user)
        return client

    return make


# Triggers on orders_promise dropped on SQLite for a flush, recreated after it: (name, sql).
_SQLITE_TRIGGERS: list[tuple[str, str]] = []


@pytest.fixture
def flushable_promises(transactional_db: None) -> Iterator[None]:
    """Let pytest-django flush the database after a transactional test.

    The append-only triggers on orders_promise reject TRUNCATE (PostgreSQL) and DELETE
    (SQLite), which is how a transactional test's data is removed. This fixture's teardown runs
    just before that flush: PostgreSQL's session goes to replica mode (ordinary triggers do not
    fire), SQLite's triggers on the table are dropped. `pytest_runtest_teardown` below puts
    both back once the flush is done, so no other test runs without them."""
    from django.db import connection

    yield
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        elif connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'orders_promise'"
            )
            _SQLITE_TRIGGERS.extend(cursor.fetchall())
            for name, _ in _SQLITE_TRIGGERS:
                cursor.execute(f'DROP TRIGGER "{name}"')


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    try:
        return (yield)
    finally:
        if "flushable_promises" in getattr(item, "fixturenames", ()):
            if nextitem is None:
                # The last test: the session's teardown has just destroyed the test database
                # (a file on SQLite; reconnecting would create an empty one).
                _SQLITE_TRIGGERS.clear()
            else:
                _restore_promise_triggers(item)


def _restore_promise_triggers(item: pytest.Item) -> None:
    from django.db import connection
    from pytest_django.plugin import blocking_manager_key

    restore_pg = connection.vendor == "postgresql" and connection.connection is not None
    if not (restore_pg or _SQLITE_TRIGGERS):
        return
    # The test's database access has ended; this is the suite putting its guard back.
    with item.config.stash[blocking_manager_key].unblock(), connection.cursor() as cursor:
        if restore_pg:
            cursor.execute("SET session_replication_role = DEFAULT")
        while _SQLITE_TRIGGERS:
            name, sql = _SQLITE_TRIGGERS.pop()
            cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')
            cursor.execute(sql)
