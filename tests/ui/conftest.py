"""Fixtures for the page tests: the quoting tests' small shop (SAW -> MILL -> ASSY, a night
shift option on the mill, two customers with a buyer each) with a verified current schedule."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.quoting.conftest import Shop, make_shop, seed_one_order_each


@pytest.fixture(autouse=True)
def _small_engine(settings: Any) -> None:
    settings.ENGINE_TIME_LIMIT = 1.0
    settings.ENGINE_PROPOSAL_TIME_LIMIT = 1.0
    settings.ENGINE_WORKERS = 1
    # Anytime improvement off by default (a quote's answer is final at once); its own
    # tests (tests/quoting/test_improving.py) turn it on.
    settings.QUOTE_MAX_SECONDS = 0
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def shop(db: None) -> Shop:
    """The shop with one order per customer on the current schedule (ACME: SO-1, GLOBEX: SO-2)."""
    shop = make_shop()
    seed_one_order_each(shop)
    return shop


@pytest.fixture
def client_for(shop: Shop) -> Any:
    """`client_for("sales")`: a test client signed in as one of the shop's users."""

    def make(who: str) -> Client:
        client = Client()
        client.force_login(shop.users[who])
        return client

    return make
