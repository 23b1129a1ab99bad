"""Every page in the pseudo-language: each visible string is a translated message (⟦…⟧), data
or a formatted value; an English word left over bypassed gettext (decision 29).

The pseudo-language (cookie ``tw_lang=qps``) wraps every message and formats numbers, dates and
country names the Chinese way, so no Latin letters come from Babel either. The fixture data
uses names without lower-case Latin words, so what remains after removing them is a leak.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from tests.support.api import PASSWORD, register
from tests.support.market import (
    SHIP_TO,
    Shop,
    add_fx,
    list_product,
    open_shop,
    operator_headers,
)
from tests.support.money_flow import advance, buy, pay, set_parcel_fate
from tests.support.web import HTML, csrf_in, web_login
from tradewind.bootstrap import Container
from tradewind.kernel import i18n
from tradewind.kernel.clock import ManualClock

# Attributes people read (or hear): their values are checked like text.
READ_ATTRIBUTES = {"placeholder", "aria-label", "title", "alt"}
SKIP_TAGS = {"script", "style"}
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
WRAPPED = re.compile(r"⟦[^⟦⟧]*⟧")
# What may stay: ids (ord_3f2a…), e-mail addresses, the brand, codes in capitals, numbers.
ALLOWED = re.compile(
    r"[0-9a-f]{16}|[a-z]+_[0-9a-z]+|[\w.+-]+@[\w.-]+|Tradewind|[A-Z0-9]+(?:[-/][A-Z0-9]+)*|[\d.,:%]+"
)
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# Fixture data shown on pages (titles, names); listed so a leak cannot hide behind them.
DATA = (
    "ZX-9 USB-C",
    "Shop zhen@example.test",
    "Acme",
    "Noa Levi",
    "1 Herzl St",
    "Tel Aviv",
    "Other electronics",
    "Ops",
    "Q1",
    "test",  # the source of the fixture's FX rates
    "api",  # the name of the token an account gets when it registers through the API
    "КРАСНЫЙ",
    *i18n.LANGUAGE_NAMES.values(),
)


class _Visible(HTMLParser):
    """Visible text, leaving out scripts and what the page marks as not to translate:
    ``translate="no"`` (identifiers such as ledger account names and idempotency keys) and
    ``lang="en"`` (known gaps, listed in docs/how-to/translate.md: the customs reasons that
    customs builds in English, the ledger's English memos)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skipping: list[str] = []  # the tags opened since skipping began
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag in VOID_TAGS and not self.skipping:
            if named.get("translate") != "no":
                self._read_attributes(tag, attrs, named)
            return
        if self.skipping:
            if tag not in VOID_TAGS:
                self.skipping.append(tag)
            return
        if tag in SKIP_TAGS or named.get("translate") == "no" or named.get("lang") == "en":
            self.skipping.append(tag)
            return
        self._read_attributes(tag, attrs, named)

    def _read_attributes(
        self, tag: str, attrs: list[tuple[str, str | None]], named: dict[str, str | None]
    ) -> None:
        for name, value in attrs:
            if value and name in READ_ATTRIBUTES:
                self.parts.append(value)
        if tag == "input" and named.get("type") in {"submit", "button"} and named.get("value"):
            self.parts.append(named["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if self.skipping and tag not in VOID_TAGS:
            self.skipping.pop()

    def handle_data(self, data: str) -> None:
        if not self.skipping and data.strip():
            self.parts.append(data)


def leaks(html: str) -> list[str]:
    """Visible text that is neither a wrapped message, nor data, nor a formatted value."""
    text, before = "\n".join(_parts(html)), ""
    while text != before:  # messages nest (a link's text inside a sentence)
        before, text = text, WRAPPED.sub(" ", text)
    for value in DATA:
        text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", " ", text)
    text = ALLOWED.sub(" ", text)
    return sorted({m.group(0) for m in LATIN_WORD.finditer(text)})


def _parts(html: str) -> list[str]:
    parser = _Visible()
    parser.feed(html)
    return parser.parts


def _pages(client: TestClient, paths: list[str]) -> dict[str, list[str]]:
    found = {}
    for path in paths:
        response = client.get(path, headers=HTML)
        assert response.status_code in (200, 403, 404), (path, response.status_code, response.text)
        assert '<html lang="qps"' in response.text, path
        found[path] = leaks(response.text)
    return {path: words for path, words in found.items() if words}


def _posted(
    client: TestClient, form_page: str, path: str, form: dict[str, str]
) -> dict[str, list[str]]:
    """A form sent with bad values: the page again, with its errors, all through the catalog."""
    csrf = csrf_in(client.get(form_page, headers=HTML).text)
    response = client.post(path, data={**form, "csrf_token": csrf}, headers=HTML)
    assert response.status_code == 422, (path, response.status_code, response.text[:300])
    words = leaks(response.text)
    return {path: words} if words else {}


def _market(client: TestClient, container: Container, clock: ManualClock) -> dict[str, str]:
    ops = operator_headers(client, container)
    add_fx(container, "CNY", "ILS", "0.5")
    add_fx(container, "CNY", "USD", "0.14")
    add_fx(container, "USD", "ILS", "3.6")
    shop = open_shop(client, ops, "zhen@example.test", "CN")
    product_id, offer_id = list_product(client, shop, price_minor=1999, stock=5, title="ZX-9 USB-C")
    buyer = register(client, "noa@example.test", country="IL")
    client.put(f"/api/v1/cart/lines/{offer_id}", headers=buyer, json={"quantity": 1})
    placed = client.post(
        "/api/v1/checkouts",
        headers={**buyer, "Idempotency-Key": "pseudo-1"},
        json={"ship_to": SHIP_TO},
    )
    assert placed.status_code in (200, 201, 202), placed.text
    checkout = placed.json()
    shipped = _delivered_and_disputed(client, container, clock, buyer, shop)
    return {
        "product": product_id,
        "offer": offer_id,
        "seller": shop.seller_id,
        "checkout": checkout["id"],
        "order": checkout["orders"][0]["id"],
        **shipped,
    }


def _delivered_and_disputed(
    client: TestClient,
    container: Container,
    clock: ManualClock,
    buyer: dict[str, str],
    shop: Shop,
) -> dict[str, str]:
    """A second order, paid, shipped and delivered (notifications for both parties), then
    disputed: the order, tracking, dispute, ledger and payout pages have something to show."""
    # EMS: delivered within the 240 h below (surface mail takes about three weeks).
    _, offer_id = list_product(
        client, shop, price_minor=2999, stock=3, title="ZX-9 USB-C", services=("ems",)
    )
    bought = buy(client, buyer, offer_id, key="pseudo-2")
    pay(client, container, clock, buyer, bought["id"])
    order_id = bought["orders"][0]["id"]
    sent = client.post(f"/api/v1/orders/{order_id}/ship", headers=shop.headers, json={})
    assert sent.status_code == 201, sent.text
    set_parcel_fate(container, sent.json()["tracking_number"], "failed_delivery_then_pickup")
    advance(client, container, clock, 240)
    opened = client.post(
        f"/api/v1/orders/{order_id}/disputes",
        headers={**buyer, "Idempotency-Key": "pseudo-dispute"},
        json={"reason": "damaged", "message": "КРАСНЫЙ"},
    )
    assert opened.status_code == 201, opened.text
    kinds = [n["kind"] for n in client.get("/api/v1/notifications", headers=buyer).json()]
    assert kinds == ["delivered", "attemptfail"], kinds
    return {"shipped_order": order_id, "dispute": opened.json()["id"]}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_page_speaks_only_through_the_catalog(
    client: TestClient, container: Container, clock: ManualClock, db_url: str
) -> None:
    ids = _market(client, container, clock)
    client.cookies.set("tw_lang", "qps")
    visitor = [
        "/",
        "/search",
        "/search?q=ZX",
        f"/products/{ids['product']}",
        f"/shops/{ids['seller']}",
        "/login",
        "/register",
        "/register?role=seller",
        "/no/such/page",
    ]
    assert _pages(client, visitor) == {}

    web_login(client, "noa@example.test", PASSWORD)
    client.cookies.set("tw_lang", "qps")
    client.post(  # a line in the cart again, for the cart and checkout pages
        "/cart/add", data={"offer_id": ids["offer"], "quantity": "1"}, headers=HTML
    )
    buyer = [
        "/",
        "/cart",
        "/checkout",
        f"/checkouts/{ids['checkout']}",
        "/orders",
        f"/orders/{ids['order']}",
        f"/orders/{ids['shipped_order']}",
        "/disputes",
        f"/disputes/{ids['dispute']}",
        f"/products/{ids['product']}",
        f"/shops/{ids['seller']}",
        "/account",
        "/account/notifications",
        "/ops",  # not for buyers: the error page
    ]
    assert _pages(client, buyer) == {}
    assert (
        _posted(
            client,
            "/account",
            "/account/profile",
            {"display_name": "", "country": "IL", "currency": "ILS"},
        )
        == {}
    )

    client.cookies.clear()
    web_login(client, "zhen@example.test", PASSWORD)
    client.cookies.set("tw_lang", "qps")
    seller = [
        "/seller",
        "/seller/listings",
        "/seller/orders",
        "/seller/balances",
        f"/orders/{ids['order']}",
        f"/orders/{ids['shipped_order']}",
        "/disputes",
        f"/disputes/{ids['dispute']}",
        "/account",
        "/account/notifications",
    ]
    assert _pages(client, seller) == {}

    client.cookies.clear()
    web_login(client, "ops@example.com", "operator-password")
    client.cookies.set("tw_lang", "qps")
    later = (clock.now() + timedelta(days=3)).date().isoformat()
    scheduled = client.post(  # an amendment, for the amendments table
        "/ops/customs",
        data={
            "destination": "DE",
            "effective_from": later,
            "vat_percent": "17.5",
            "note": "Q1",
            "de_minimis_minor": "",
            "duty_default_percent": "",
            "csrf_token": csrf_in(client.get("/ops/customs", headers=HTML).text),
        },
        headers=HTML,
        follow_redirects=False,
    )
    assert scheduled.status_code == 303, scheduled.text
    operator = [
        "/ops",
        "/ops/sellers?status=active",
        "/ops/sellers?status=",
        "/ops/fx",
        "/ops/customs",
        f"/ops/ledger?prefix=seller:{ids['seller']}:",
        f"/ops/ledger?order_id={ids['shipped_order']}",
        "/ops/payouts",
        "/ops/risk",
        "/orders",
        f"/orders/{ids['shipped_order']}",
        "/disputes",
        f"/disputes/{ids['dispute']}",
        "/account",
        "/account/notifications",
    ]
    assert _pages(client, operator) == {}
    bad_rate = {"base": "CNY", "quote": "EUR", "rate": "1e-10", "spread_bps": "x", "source": "Q"}
    assert _posted(client, "/ops/fx", "/ops/fx", bad_rate) == {}
    bad_rule = {"destination": "DE", "effective_from": "9999-99-99", "vat_percent": "abc"}
    assert (
        _posted(
            client,
            "/ops/customs",
            "/ops/customs",
            {**bad_rule, "de_minimis_minor": "", "duty_default_percent": "", "note": ""},
        )
        == {}
    )
