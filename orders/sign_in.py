"""Signing in: brute-force lockout, and API tokens that expire and can be revoked.

Lockout: a username that fails SIGN_IN_MAX_FAILURES times within SIGN_IN_LOCKOUT_MINUTES (from
its first failure) is refused, right password or not, for SIGN_IN_LOCKOUT_MINUTES. It
is enforced in the authentication backend, so the sign-in page, the API's token route and the
admin's login all count and all refuse. It is counted per username (any username, existing or
not, so the lockout tells nobody which accounts exist): an attacker spreading guesses over many
addresses is stopped too, at the price that one can lock a known username out for a while.
Counts live in the cache (`CACHE_URL`; shared by every process when it is Redis).

API tokens (DRF's Token, one per user): valid for API_TOKEN_TTL_HOURS after they were issued;
asking for a token again after that issues a new one; `api_token_revoke` (the API's logout)
deletes it.
"""

from __future__ import annotations

import hashlib
import math
import time
from datetime import datetime, timedelta
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

# --- lockout ----------------------------------------------------------------------------------


def _cache_key(kind: str, username: str) -> str:
    # Hashed: cache keys must be short and plain, usernames are neither.
    digest = hashlib.sha256(username.casefold().encode()).hexdigest()[:32]
    return f"sign-in:{kind}:{digest}"


def _lockout_seconds() -> int:
    return int(settings.SIGN_IN_LOCKOUT_MINUTES) * 60


def sign_in_lockout_seconds(username: str) -> int:
    """Seconds until `username` may try again; 0 when it is not locked out."""
    until = cache.get(_cache_key("locked-until", username))
    return max(0, math.ceil(until - time.time())) if until else 0


def sign_in_lockout_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return (
        f"Too many failed sign-ins for this user: try again in {minutes} minute"
        f"{'s' if minutes != 1 else ''}."
    )


def sign_in_failure_record(*, username: str) -> None:
    """Counts a failed sign-in; the SIGN_IN_MAX_FAILURES-th locks the username out."""
    key = _cache_key("failures", username)
    cache.add(key, 0, timeout=_lockout_seconds())
    try:
        failures = cache.incr(key)
    except ValueError:  # expired between add() and incr(): this failure starts a new count
        cache.set(key, 1, timeout=_lockout_seconds())
        failures = 1
    if failures >= int(settings.SIGN_IN_MAX_FAILURES):
        until = time.time() + _lockout_seconds()
        cache.set(_cache_key("locked-until", username), until, timeout=_lockout_seconds())


def sign_in_failures_clear(*, username: str) -> None:
    """A successful sign-in forgets the earlier failures."""
    cache.delete(_cache_key("failures", username))


class LockoutModelBackend(ModelBackend):
    """Django's ModelBackend, refusing a locked-out username without checking its password,
    counting each failure and clearing the count on success."""

    # The stubs give ModelBackend a signature BaseBackend's does not accept; Django's is this.
    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        if sign_in_lockout_seconds(username):
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            sign_in_failure_record(username=username)
        else:
            sign_in_failures_clear(username=username)
        return user

    # ModelBackend's async variant checks the password itself: route it through the lockout.
    async def aauthenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        return await sync_to_async(self.authenticate)(
            request, username=username, password=password, **kwargs
        )


# --- API tokens -------------------------------------------------------------------------------


def api_token_expires(token: Token) -> datetime:
    return token.created + timedelta(hours=settings.API_TOKEN_TTL_HOURS)


def api_token_issue(*, user: User) -> Token:
    """The user's API token: the current one while it is valid, else a new one (the expired
    one is deleted). Writes at most one Token row."""
    with transaction.atomic():
        token = Token.objects.select_for_update().filter(user=user).first()
        if token is not None and api_token_expires(token) > timezone.now():
            return token
        if token is not None:
            token.delete()
        return Token.objects.create(user=user)


def api_token_revoke(*, user: User) -> bool:
    """Deletes the user's API token (signing out of the API everywhere); False if it had none."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return deleted > 0


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, refusing (401) a token older than API_TOKEN_TTL_HOURS."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        user, token = super().authenticate_credentials(key)
        if api_token_expires(token) <= timezone.now():
            raise AuthenticationFailed("Token expired; ask /api/auth/token/ for a new one.")
        return user, token
