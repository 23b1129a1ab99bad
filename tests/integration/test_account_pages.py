"""/account and /account/notifications: the API's profile, password, token and inbox functions
behind forms that keep what was typed and tie each error to its field."""

from __future__ import annotations

import re

import httpx
from fastapi.testclient import TestClient

from tests.support.api import PASSWORD, register
from tests.support.web import HTML, session_csrf, web_login
from tradewind.bootstrap import Container
from tradewind.identity import service as identity
from tradewind.notifications import service as notifications


def _signed_in(client: TestClient) -> tuple[dict[str, str], str]:
    api = register(client, "noa@example.com", country="IL")
    web_login(client, "noa@example.com", PASSWORD)
    return api, session_csrf(client, "/account")


def test_profile_changes_show_at_once_and_errors_keep_the_input(client: TestClient) -> None:
    api, csrf = _signed_in(client)
    page = client.get("/account", headers=HTML)
    assert page.status_code == 200
    assert '<option value="IL" selected>Israel</option>' in page.text
    assert '<option value="ILS" selected>ILS</option>' in page.text

    bad = client.post(
        "/account/profile",
        data={"display_name": "Noa L", "country": "IL", "currency": "XTS", "csrf_token": csrf},
        headers=HTML,
    )
    assert bad.status_code == 422
    assert 'aria-describedby="currency-error" aria-invalid="true"' in bad.text
    assert re.search(r'<p class="field-error error" id="currency-error">choose one of: ', bad.text)
    assert 'id="display_name" name="display_name" type="text" value="Noa L"' in bad.text
    assert client.get("/api/v1/me", headers=api).json()["currency"] == "ILS"  # unchanged

    good = client.post(
        "/account/profile",
        data={"display_name": "Noa L", "country": "DE", "currency": "EUR", "csrf_token": csrf},
        headers=HTML,
    )
    assert good.status_code == 200  # followed the 303
    assert "Your account was updated." in good.text
    assert '<option value="DE" selected>Germany</option>' in good.text
    me = client.get("/api/v1/me", headers=api).json()
    assert (me["display_name"], me["country"], me["currency"]) == ("Noa L", "DE", "EUR")


def test_password_change_checks_the_current_one_and_ends_other_tokens(
    client: TestClient,
) -> None:
    api, csrf = _signed_in(client)
    wrong = client.post(
        "/account/password",
        data={
            "current_password": "nope",
            "new_password": "violet tundra lantern 42",
            "csrf_token": csrf,
        },
        headers=HTML,
    )
    assert wrong.status_code == 422
    assert (
        '<p class="field-error error" id="current_password-error">'
        "This is not your current password.</p>" in wrong.text
    )
    assert 'value="nope"' not in wrong.text  # passwords are never echoed
    weak = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "password", "csrf_token": csrf},
        headers=HTML,
    )
    assert weak.status_code == 422
    assert (
        'aria-describedby="new_password-hint new_password-error" aria-invalid="true"' in weak.text
    )
    assert client.get("/api/v1/me", headers=api).status_code == 200  # nothing changed yet

    done = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "violet tundra lantern 42",
            "csrf_token": csrf,
        },
        headers=HTML,
    )
    assert done.status_code == 200
    assert "Your password was changed." in done.text
    assert client.get("/api/v1/me", headers=api).status_code == 401  # the other token ended
    assert client.get("/account", headers=HTML).status_code == 200  # this session stays


def test_tokens_are_listed_and_revoked(client: TestClient) -> None:
    api, csrf = _signed_in(client)
    page = client.get("/account", headers=HTML)
    (token_id,) = re.findall(r'<tr data-token-id="([^"]+)">', page.text)
    revoked = client.post(
        f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf}, headers=HTML
    )
    assert revoked.status_code == 200
    assert "The API token was revoked." in revoked.text
    assert 'data-token-id="' not in revoked.text
    assert client.get("/api/v1/me", headers=api).status_code == 401
    forged = client.post(
        f"/account/tokens/{token_id}/revoke", data={"csrf_token": "x"}, headers=HTML
    )
    assert forged.status_code == 403


def test_the_inbox_lists_newest_first_and_marks_read(
    client: TestClient, container: Container
) -> None:
    api, csrf = _signed_in(client)
    me = client.get("/api/v1/me", headers=api).json()["id"]
    with container.uow() as uow:
        for n in range(22):
            notifications.notify(uow, [me], "tracking", f"Parcel news {n}")
        uow.commit()
    page = client.get("/account/notifications", headers=HTML)
    subjects = re.findall(
        r"<strong><span class=\"visually-hidden\">Unread: </span>([^<]+)</strong>", page.text
    )
    assert subjects == [f"Parcel news {n}" for n in range(21, 1, -1)]
    assert "20 unread." in page.text
    older = re.search(r'href="/account/notifications\?before=(\d+)" id="older"', page.text)
    assert older is not None
    rest = client.get(f"/account/notifications?before={older.group(1)}", headers=HTML)
    assert "Parcel news 1<" in rest.text
    assert "Parcel news 0<" in rest.text
    assert 'id="older"' not in rest.text

    newest = client.get("/api/v1/notifications", headers=api).json()[0]
    marked = client.post(
        f"/account/notifications/{newest['id']}/read", data={"csrf_token": csrf}, headers=HTML
    )
    assert marked.status_code == 200
    assert "19 unread." in marked.text
    assert client.get("/api/v1/notifications", headers=api).json()[0]["read_at"] is not None
    other = client.post(
        "/account/notifications/999999/read", data={"csrf_token": csrf}, headers=HTML
    )
    assert other.status_code == 404


def test_account_pages_need_a_login(client: TestClient) -> None:
    for path in ("/account", "/account/notifications"):
        answer = client.get(path, headers=HTML, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/login?next={path}"


def _register_form(client: TestClient, **typed: str) -> httpx.Response:
    form = client.get("/register", headers=HTML).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    data = {"role": "buyer", "country": "IL", "csrf_token": token.group(1), **typed}
    return client.post("/register", data=data, headers=HTML, follow_redirects=False)


def test_sign_up_errors_stand_at_their_fields_and_keep_the_input(
    client: TestClient, container: Container
) -> None:
    weak = _register_form(
        client, email="noa@example.com", password="password123", display_name="Noa Levi"
    )
    assert weak.status_code == 422
    text = weak.text
    assert 'id="password" name="password" type="password" dir="ltr"' in text
    assert 'aria-describedby="password-error" aria-invalid="true"' in text
    assert re.search(r'<p class="field-error error" id="password-error">[^<]*guess', text), text
    assert 'id="email" name="email" type="email" value="noa@example.com"' in text
    assert 'id="display_name" name="display_name" type="text" value="Noa Levi"' in text
    assert '<option value="IL" selected>' in text
    assert 'id="register-error"' not in text
    with container.uow(read_only=True) as uow:
        assert identity.account_id_for_email(uow, "noa@example.com") is None  # nothing made

    register(client, "taken@example.com", country="IL")
    taken = _register_form(
        client,
        email="taken@example.com",
        password="a long harbour lantern 42",
        display_name="Someone",
    )
    assert taken.status_code == 422
    text = taken.text
    assert 'aria-describedby="email-error" aria-invalid="true"' in text
    assert re.search(r'id="email-error">[^<]*already', text), text
    assert 'value="taken@example.com"' in text
