"""The settings helpers reject bad values at start-up instead of misbehaving later."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings import envbool, envfloat, envint

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("raw", ["abc", "1.5", "", "ten"])
def test_envint_rejects_non_integers(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("X", raw)
    with pytest.raises(ImproperlyConfigured, match="X must be an integer"):
        envint("X", "3")


def test_envint_reads_value_default_and_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("X", raising=False)
    assert envint("X", "3") == 3
    monkeypatch.setenv("X", " 42 ")
    assert envint("X", "3") == 42
    monkeypatch.setenv("X", "0")
    with pytest.raises(ImproperlyConfigured, match="X must be >= 1"):
        envint("X", "3", minimum=1)


def test_envint_rejects_a_bad_default_too() -> None:
    with pytest.raises(ImproperlyConfigured):
        envint("SURELY_UNSET_VARIABLE_FOR_TEST", "abc")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        ("YES", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("", False),
    ],
)
def test_envbool_accepts_the_usual_spellings(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool
) -> None:
    monkeypatch.setenv("FLAG", raw)
    assert envbool("FLAG", "false") is expected


@pytest.mark.parametrize("raw", ["maybe", "2", "tru"])
def test_envbool_rejects_anything_else(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match="FLAG must be a boolean"):
        envbool("FLAG", "false")


def test_envfloat(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIMIT", "2.5")
    assert envfloat("LIMIT", "5") == 2.5
    monkeypatch.setenv("LIMIT", "fast")
    with pytest.raises(ImproperlyConfigured, match="LIMIT must be a number"):
        envfloat("LIMIT", "5")
    monkeypatch.setenv("LIMIT", "0.01")
    with pytest.raises(ImproperlyConfigured, match=r"LIMIT must be >= 0\.1"):
        envfloat("LIMIT", "5", minimum=0.1)


# Variables the deployment tests set themselves; a developer's shell must not leak into them.
DEPLOYMENT_VARIABLES = (
    "DEBUG",
    "DEMO",
    "HTTPS",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "CACHE_URL",
    "SIGN_IN_RATE",
    # Set by the browser tests' session fixture while they run; check --deploy flags it.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def clean_environment(tmp_path: Path, **env: str) -> dict[str, str]:
    """The environment with `env` on top, a SECRET_KEY unless `env` gives one, and no
    Celery, engine, database or deployment variables of the calling shell."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CELERY_", "ENGINE_")) and k not in DEPLOYMENT_VARIABLES
    }
    base.pop("DATABASE_URL", None)
    return {**base, "VAR_DIR": str(tmp_path), "SECRET_KEY": "x" * 50, **env}


def load_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Import the settings module in a fresh process with `env` on top of a clean environment."""
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import config.settings; print(config.settings.DATABASES['default']['ENGINE'])",
        ],
        cwd=ROOT,
        env=clean_environment(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_settings_module_refuses_a_bad_environment_at_import(tmp_path: Path) -> None:
    bad = load_settings(tmp_path, ENGINE_WORKERS="two")
    assert bad.returncode != 0
    assert "ENGINE_WORKERS must be an integer" in bad.stderr
    # Time limits that would let the broker re-deliver a running solve are refused.
    inconsistent = load_settings(
        tmp_path, CELERY_TASK_SOFT_TIME_LIMIT="100", CELERY_TASK_TIME_LIMIT="50"
    )
    assert inconsistent.returncode != 0
    assert "CELERY_TASK_TIME_LIMIT must exceed" in inconsistent.stderr


def test_database_url_switches_the_database(tmp_path: Path) -> None:
    assert load_settings(tmp_path).stdout.strip() == "django.db.backends.sqlite3"
    postgres = load_settings(tmp_path, DATABASE_URL="postgres://u@db.example:5432/shop")
    assert postgres.stdout.strip() == "django.db.backends.postgresql"


def test_solves_go_to_the_solver_queue_and_the_sweeper_does_not_wait_behind_them() -> None:
    from config.celery import app

    router = app.amqp.router
    assert router.route({}, "quoting.solve_quote")["queue"].name == "solver"
    assert router.route({}, "quoting.solve_proposal")["queue"].name == "solver"
    assert router.route({}, "quoting.sweep_stale_solves")["queue"].name == "default"


def test_no_secret_key_refuses_to_start_outside_debug_or_demo(tmp_path: Path) -> None:
    production = load_settings(tmp_path, SECRET_KEY="")
    assert production.returncode != 0
    assert "SECRET_KEY is not set" in production.stderr
    # The demo stack (`make run`, DEMO=1 in compose) and DEBUG may use the development key.
    assert load_settings(tmp_path, SECRET_KEY="", DEMO="1").returncode == 0
    assert load_settings(tmp_path, SECRET_KEY="", DEBUG="true").returncode == 0


def check_deploy(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=clean_environment(tmp_path, **{"SECRET_KEY": secrets.token_urlsafe(50), **env}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_when_the_https_settings_are_set(tmp_path: Path) -> None:
    plain = check_deploy(tmp_path)
    assert plain.returncode != 0
    for warning in ("W004", "W008", "W012", "W016"):
        assert f"security.{warning}" in plain.stderr, warning
    https = check_deploy(
        tmp_path, HTTPS="true", SECURE_HSTS_INCLUDE_SUBDOMAINS="true", SECURE_HSTS_PRELOAD="true"
    )
    assert https.returncode == 0, https.stderr
    assert "no issues" in https.stdout
    # Each setting can also be given on its own.
    alone = check_deploy(
        tmp_path,
        SECURE_SSL_REDIRECT="true",
        SESSION_COOKIE_SECURE="true",
        CSRF_COOKIE_SECURE="true",
        SECURE_HSTS_SECONDS="3600",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="true",
        SECURE_HSTS_PRELOAD="true",
    )
    assert alone.returncode == 0, alone.stderr


def test_the_development_key_is_flagged_by_check_deploy(tmp_path: Path) -> None:
    demo = check_deploy(tmp_path, SECRET_KEY="", DEMO="1", HTTPS="true")
    assert "security.W009" in demo.stderr


def test_password_validators_refuse_the_demo_password() -> None:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password("demo")
    validate_password("a long and unusual pass phrase")


def test_sign_in_settings_are_checked_at_start_up(tmp_path: Path) -> None:
    rate = load_settings(tmp_path, SIGN_IN_RATE="ten per minute")
    assert rate.returncode != 0 and "SIGN_IN_RATE must look like 10/minute" in rate.stderr
    cache = load_settings(tmp_path, CACHE_URL="memcached://cache:11211")
    assert cache.returncode != 0 and "CACHE_URL must be a redis:// URL" in cache.stderr
    assert load_settings(tmp_path, CACHE_URL="redis://cache:6379/1").returncode == 0


def test_importing_the_settings_creates_no_directory(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    loaded = subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=ROOT,
        env={**clean_environment(tmp_path), "VAR_DIR": str(var_dir)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert not var_dir.exists()
