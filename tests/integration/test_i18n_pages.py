"""Pages speak the negotiated language: account setting, else the switcher's cookie, else
Accept-Language, else English; region and time zone follow (decision 29)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tradewind.bootstrap import Container
from tradewind.identity import service as identity
from tradewind.identity.domain import Role
from tradewind.seed import DEMO_PASSWORD

HTML_TAG = re.compile(r"<html lang=\"([^\"]+)\" dir=\"([^\"]+)\">")


def _html(client: TestClient, path: str = "/", **headers: str) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return response.text


def _account(container: Container, email: str, country: str, locale: str) -> None:
    with container.uow() as uow:
        identity.register_account(
            uow,
            identity.NewAccount(
                email=email,
                password=DEMO_PASSWORD,
                display_name="Dana",
                role=Role.BUYER,
                country=country,
                locale=locale,
            ),
        )
        uow.commit()


def _login(client: TestClient, email: str) -> None:
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    response = client.post(
        "/login",
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def test_visitor_gets_english_by_default(client: TestClient) -> None:
    page = _html(client)
    assert HTML_TAG.search(page).groups() == ("en", "ltr")  # type: ignore[union-attr]
    assert ">Log in<" in page
    assert '<option value="US" selected>United States</option>' in page


def test_accept_language_picks_hebrew_right_to_left(client: TestClient) -> None:
    page = _html(client, **{"Accept-Language": "fr-FR, he;q=0.8, en;q=0.5"})
    assert HTML_TAG.search(page).groups() == ("he", "rtl")  # type: ignore[union-attr]
    assert ">התחברות<" in page
    assert ">Log in<" not in page
    # A visitor who chose nothing is shown the region of their language.
    assert '<option value="IL" selected>ישראל</option>' in page
    assert '<option value="ILS" selected>ILS</option>' in page


def test_accept_language_picks_simplified_chinese_not_traditional(client: TestClient) -> None:
    page = _html(client, **{"Accept-Language": "zh-CN,zh;q=0.9"})
    assert HTML_TAG.search(page).groups() == ("zh-Hans", "ltr")  # type: ignore[union-attr]
    assert ">登录<" in page
    traditional = _html(client, **{"Accept-Language": "zh-TW"})
    assert HTML_TAG.search(traditional).groups() == ("en", "ltr")  # type: ignore[union-attr]


def test_switcher_sets_visitor_cookies_and_returns_to_the_page(client: TestClient) -> None:
    response = client.post(
        "/preferences",
        data={"language": "zh_Hans", "country": "DE", "currency": "EUR", "next": "/login"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert client.cookies.get("tw_lang") == "zh_Hans"
    assert client.cookies.get("tw_region") == "DE-EUR"
    page = _html(client, "/login", **{"Accept-Language": "he"})  # the choice beats the header
    assert HTML_TAG.search(page).groups() == ("zh-Hans", "ltr")  # type: ignore[union-attr]
    assert '<option value="DE" selected>德国</option>' in page
    assert '<option value="EUR" selected>EUR</option>' in page


def test_switcher_refuses_an_unknown_region_and_sets_nothing(client: TestClient) -> None:
    response = client.post(
        "/preferences",
        data={"language": "he", "country": "ZZ", "currency": "EUR", "next": "/"},
        headers={"Accept-Language": "he"},
        follow_redirects=False,
    )
    assert response.status_code == 422
    assert "יש לבחור ארץ משלוח ומטבע מתוך האפשרויות שלנו." in response.text
    assert client.cookies.get("tw_lang") is None
    assert client.cookies.get("tw_region") is None


def test_switcher_never_redirects_off_site(client: TestClient) -> None:
    response = client.post(
        "/preferences",
        data={"language": "he", "country": "IL", "currency": "ILS", "next": "//evil.test/"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_account_language_beats_cookie_and_header(client: TestClient, container: Container) -> None:
    _account(container, "dana@example.test", "IL", "he_IL")
    client.cookies.set("tw_lang", "zh_Hans")
    _login(client, "dana@example.test")
    page = _html(client, **{"Accept-Language": "en-US"})
    assert HTML_TAG.search(page).groups() == ("he", "rtl")  # type: ignore[union-attr]
    assert "שלום, <bdi>Dana</bdi>. התחברת לחשבון קונה." in page
    assert "<bdi>Dana</bdi> (קונה)" in page


def test_signed_in_switch_is_saved_on_the_account(client: TestClient, container: Container) -> None:
    _account(container, "li@example.test", "CN", "en")
    _login(client, "li@example.test")
    home = _html(client)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', home)
    assert csrf is not None
    response = client.post(
        "/preferences",
        data={
            "language": "zh_Hans",
            "country": "CN",
            "currency": "CNY",
            "next": "/",
            "csrf_token": csrf.group(1),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    with container.uow(read_only=True) as uow:
        account_id = identity.account_id_for_email(uow, "li@example.test")
        assert account_id is not None
        saved = identity.principal_for_account(uow, account_id)
    assert (saved.locale, saved.country, saved.currency) == ("zh_CN", "CN", "CNY")
    client.cookies.clear()  # the account decides, wherever it signs in
    _login(client, "li@example.test")
    assert HTML_TAG.search(_html(client)).groups() == ("zh-Hans", "ltr")  # type: ignore[union-attr]


def test_registration_keeps_the_page_language(client: TestClient, container: Container) -> None:
    form = client.get("/register", headers={"Accept-Language": "zh-CN"}).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    response = client.post(
        "/register",
        data={
            "email": "wang@example.test",
            "password": "a long harbour lantern 42",
            "display_name": "王先生",
            "country": "CN",
            "role": "seller",
            "csrf_token": token.group(1),
        },
        headers={"Accept-Language": "zh-CN"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    with container.uow(read_only=True) as uow:
        account_id = identity.account_id_for_email(uow, "wang@example.test")
        assert account_id is not None
        assert identity.principal_for_account(uow, account_id).locale == "zh_CN"


def test_error_pages_speak_the_page_language(client: TestClient) -> None:
    page = client.get("/no/such/page", headers={"Accept": "text/html", "Accept-Language": "zh-CN"})
    assert page.status_code == 404
    assert HTML_TAG.search(page.text).groups() == ("zh-Hans", "ltr")  # type: ignore[union-attr]
    assert "<h1>页面不存在</h1>" in page.text
    assert "该网址没有对应的页面，可能已被移动，或链接有误。" in page.text
    assert "错误 404 (<bdi>not_found</bdi>)" in page.text
