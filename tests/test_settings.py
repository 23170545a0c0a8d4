"""The settings helpers reject bad values at start-up instead of misbehaving later."""

from __future__ import annotations

import os
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


def load_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Import the settings module in a fresh process with `env` on top of a clean environment."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "ENGINE_"))}
    base.pop("DATABASE_URL", None)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import config.settings as s; print(s.DATABASES['default']['ENGINE'])",
        ],
        cwd=ROOT,
        env={**base, "VAR_DIR": str(tmp_path), **env},
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
