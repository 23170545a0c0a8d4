"""Brute-force protection and API tokens (orders.sign_in): lockout after repeated failures on
the sign-in page and the token route, the token route throttled, tokens that expire, and an
API logout that revokes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

pytestmark = pytest.mark.django_db

PASSWORD = "demo"  # tests.factories.UserFactory's


@pytest.fixture
def sales(user_factory: Callable[..., Any]) -> Any:
    return user_factory("sales", username="rep")


@pytest.fixture(autouse=True)
def _limits(settings: Any) -> None:
    settings.SIGN_IN_MAX_FAILURES = 3
    settings.SIGN_IN_LOCKOUT_MINUTES = 15
    # Dozens of sign-ins: the production hasher's deliberate slowness is not under test here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def page_sign_in(client: Client, username: str, password: str) -> Any:
    return client.post("/login/", {"username": username, "password": password})


def test_the_sign_in_page_locks_a_username_out_after_repeated_failures(
    client: Client, sales: Any, user_factory: Callable[..., Any]
) -> None:
    for _ in range(3):
        assert page_sign_in(client, "rep", "guess").status_code == 200  # the form again
    locked = page_sign_in(client, "rep", PASSWORD)
    assert locked.status_code == 200 and "_auth_user_id" not in client.session
    assert (
        "Too many failed sign-ins for this user: try again in 15 minutes" in locked.content.decode()
    )
    # The API's token route and Django's own authenticate() refuse it too.
    token = APIClient().post("/api/auth/token/", {"username": "rep", "password": PASSWORD})
    assert token.status_code == 429 and int(token["Retry-After"]) > 14 * 60
    assert not Client().login(username="rep", password=PASSWORD)
    # Another user is not affected.
    user_factory("scheduler", username="planner")
    assert page_sign_in(Client(), "planner", PASSWORD).status_code == 302


def test_a_success_forgets_the_earlier_failures(client: Client, sales: Any) -> None:
    for _ in range(2):
        page_sign_in(client, "rep", "guess")
    assert page_sign_in(client, "rep", PASSWORD).status_code == 302
    client.logout()
    for _ in range(2):
        page_sign_in(client, "rep", "guess")
    assert page_sign_in(client, "rep", PASSWORD).status_code == 302


def test_unknown_usernames_lock_out_like_known_ones(client: Client) -> None:
    """Otherwise the lockout would tell an attacker which usernames exist."""
    for _ in range(3):
        page_sign_in(client, "nobody", "guess")
    assert "Too many failed sign-ins" in page_sign_in(client, "nobody", "x").content.decode()


def test_the_token_route_is_throttled_per_client(
    monkeypatch: pytest.MonkeyPatch, user_factory: Callable[..., Any]
) -> None:
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"sign-in": "2/minute"})
    users = [user_factory("sales", username=f"rep{i}") for i in range(3)]
    client = APIClient()
    answers = [
        client.post("/api/auth/token/", {"username": u.username, "password": PASSWORD})
        for u in users
    ]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert int(answers[2]["Retry-After"]) > 0


def test_a_token_expires_and_a_new_one_is_issued(
    api_client: APIClient, sales: Any, settings: Any
) -> None:
    settings.API_TOKEN_TTL_HOURS = 24
    issued = api_client.post("/api/auth/token/", {"username": "rep", "password": PASSWORD})
    assert issued.status_code == 200 and set(issued.json()) == {"token", "expires"}
    key = issued.json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get("/api/me/").status_code == 200

    Token.objects.filter(key=key).update(
        created=Token.objects.get(key=key).created - timedelta(hours=25)
    )
    expired = api_client.get("/api/me/")
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]

    api_client.credentials()
    again = api_client.post("/api/auth/token/", {"username": "rep", "password": PASSWORD})
    assert again.json()["token"] != key
    assert not Token.objects.filter(key=key).exists()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {again.json()['token']}")
    assert api_client.get("/api/me/").status_code == 200


def test_api_logout_revokes_the_token(api_client: APIClient, sales: Any) -> None:
    key = api_client.post("/api/auth/token/", {"username": "rep", "password": PASSWORD}).json()[
        "token"
    ]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.post("/api/auth/logout/").status_code == 204
    refused = api_client.get("/api/me/")
    assert refused.status_code == 401 and refused.json()["detail"] == "Invalid token."
    assert not Token.objects.filter(user=sales).exists()
