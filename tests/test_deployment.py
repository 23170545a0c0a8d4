"""Safe by default: a Content-Security-Policy the pages live with, and a docker-compose.yml
whose production path seeds nothing, exposes nothing beyond localhost and has no fixed key."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent


def _directives(header: str) -> dict[str, list[str]]:
    parts = (p.split() for p in header.split(";") if p.strip())
    return {words[0]: words[1:] for words in parts}


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy_without_inline_script(client: Client) -> None:
    response = client.get("/login/")
    assert response.status_code == 200
    policy = _directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no other origin
    assert "'unsafe-inline'" not in policy["style-src"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]


def test_templates_have_no_inline_script_the_policy_would_block() -> None:
    """Scripts are files under static/js; an inline one would be silently blocked in browsers."""
    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", text)
        handlers = re.findall(r"\son[a-z]+\s*=", text)
        if inline or handlers or "javascript:" in text:
            offenders.append(template.relative_to(ROOT).as_posix())
    assert offenders == []


@pytest.mark.django_db
def test_the_api_docs_page_loads_its_scripts_as_files(client: Client) -> None:
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert not re.search(rb"<script(?![^>]*\bsrc=)[^>]*>", response.content)
    policy = _directives(response["Content-Security-Policy"])
    assert "'unsafe-inline'" not in policy["script-src"]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return document


def test_compose_production_path_seeds_nothing_and_has_no_fixed_key(
    compose: dict[str, Any],
) -> None:
    env = compose["x-app-env"]
    assert env["SECRET_KEY"] == "${SECRET_KEY:-}"  # empty when unset: the settings refuse
    assert env["DEMO"] == "${DEMO:-0}"
    start = " ".join(compose["services"]["migrate"]["command"])
    # seed_demo runs only inside the DEMO branch of the one-shot start-up command.
    assert re.search(r'case "\$\$DEMO" in 1\|true\|yes\|on\) python manage\.py seed_demo', start)
    assert start.count("seed_demo") == 1
    for service in compose["services"].values():
        assert "createsuperuser" not in " ".join(service.get("command") or [])
        if service is not compose["services"]["migrate"]:
            assert "seed_demo" not in " ".join(service.get("command") or [])


def test_compose_migrates_as_the_owner_and_runs_the_app_as_a_role_owning_nothing(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    migrate = services["migrate"]
    assert migrate["environment"]["DATABASE_URL"].startswith("postgres://promise:")
    steps = " ".join(migrate["command"])
    assert steps.index("migrate --noinput") < steps.index("db_app_role promise_app")
    for name in ("web", "worker", "beat"):
        url = services[name]["environment"]["DATABASE_URL"]
        assert url.startswith("postgres://promise_app:"), name
    assert services["web"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }


def test_compose_binds_the_web_port_to_localhost(compose: dict[str, Any]) -> None:
    assert compose["services"]["web"]["ports"] == ["${WEB_BIND:-127.0.0.1}:${WEB_PORT:-8000}:8000"]


def test_compose_runs_beat_on_its_own_and_redis_with_an_append_only_file(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert "-B" not in services["worker"]["command"]
    assert "--beat" not in services["worker"]["command"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]
    redis = services["redis"]["command"]
    assert redis[redis.index("--appendonly") + 1] == "yes"
