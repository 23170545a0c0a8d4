"""Each role sees only its pages: others get 403, anonymous users go to the login page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

PAGES = {
    "/quotes/new/": {"sales"},
    "/quotes/": {"sales", "manager"},  # the manager reads the quote list
    "/notifications/": {"sales"},
    "/board/": {"scheduler", "manager"},
    "/shop-floor/": {"scheduler"},
    "/portal/": {"acme"},
    "/dashboard/": {"manager"},
}
USERS = ["sales", "scheduler", "manager", "acme"]


@pytest.mark.parametrize("path", sorted(PAGES))
def test_each_page_is_open_to_its_roles_only(client_for: Any, path: str) -> None:
    for who in USERS:
        response = client_for(who).get(path)
        expected = 200 if who in PAGES[path] else 403
        assert response.status_code == expected, (who, path, response.status_code)


@pytest.mark.parametrize("path", sorted(PAGES))
def test_anonymous_users_are_sent_to_login(shop: Any, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize(
    ("who", "home"),
    [
        ("sales", "/quotes/new/"),
        ("scheduler", "/board/"),
        ("manager", "/dashboard/"),
        ("acme", "/portal/"),
    ],
)
def test_home_sends_each_role_to_its_first_page(client_for: Any, who: str, home: str) -> None:
    response = client_for(who).get("/")
    assert response.status_code == 302
    assert response["Location"] == home


def test_navigation_lists_only_the_roles_pages(client_for: Any) -> None:
    html = client_for("acme").get("/portal/").content.decode()
    assert 'href="/portal/"' in html
    assert 'href="/board/"' not in html
    assert 'href="/quotes/new/"' not in html


def test_login_page_signs_in_and_bad_password_shows_an_error(shop: Any) -> None:
    client = Client()
    bad = client.post("/login/", {"username": "sales", "password": "wrong"})
    assert bad.status_code == 200
    assert "correct username and password" in bad.content.decode()
    assert 'value="sales"' in bad.content.decode()  # what was typed is kept
    good = client.post("/login/", {"username": "sales", "password": "demo"})
    assert good.status_code == 302
    assert client.get("/quotes/new/").status_code == 200
