"""Driving the pages through a TestClient as a browser would (cookies, CSRF, Accept: text/html)."""

from __future__ import annotations

import re

import httpx
from fastapi.testclient import TestClient

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def csrf_in(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None, html[:500]
    return match.group(1)


def web_login(client: TestClient, email: str, password: str, next_: str = "/") -> httpx.Response:
    """Log in through the form; the client keeps the session cookie. Returns the 303."""
    form = client.get("/login", headers=HTML)
    answer = client.post(
        "/login",
        data={
            "email": email,
            "password": password,
            "csrf_token": csrf_in(form.text),
            "next": next_,
        },
        headers=HTML,
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return answer


def session_csrf(client: TestClient, path: str) -> str:
    """The signed-in session's CSRF token, as a page that has a form carries it."""
    return csrf_in(client.get(path, headers=HTML).text)
