"""Every page of tests/browser/test_every_page.py again in Hebrew and in Simplified Chinese:
``lang``/``dir`` on each, nothing scrolls sideways at 390 px or 1366 px, no serious or
critical axe finding, and no English word left in what a person reads (the pseudo-locale
test's reading of the page: data, codes and what is marked ``translate="no"`` left out).

Every account speaks the language (buyer, seller and an operator made for the test, so the
demo's own operator keeps English for the other tests); the visitor chooses it with the
switcher's cookie. Screenshots into $TRADEWIND_SCREENSHOTS when set.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.market import Market, Shop, unique
from tests.browser.pages import order_id_for
from tests.browser.test_every_page import SHOTS, WIDTHS, Survey
from tests.integration.test_i18n_pseudo import ALLOWED, LATIN_WORD, VOID_TAGS, _Visible
from tests.support.server import ServerProcess
from tradewind.kernel import i18n
from tradewind.payments.sandbox import CARD_SUCCESS

HTML_LANG = {"he": ("he", "rtl"), "zh_Hans": ("zh-Hans", "ltr")}
LOCALES = {"he": "he_IL", "zh_Hans": "zh_CN"}
# Technical words that Hebrew and Chinese write in Latin letters too.
ISOLATES = re.compile("\u2068([^\u2069]*)\u2069")  # first-strong isolate ... its end
TERMS = re.compile(r"\b(?:[Ww]ebhooks?|WebP)\b")


class LanguageSurvey(Survey):
    """The survey of every page, plus the page's language and the English words left on it."""

    def __init__(self, language: str, data: list[str]) -> None:
        super().__init__()
        # The phone's width is the one that overflows; both widths when screenshots are kept.
        self.widths = WIDTHS if SHOTS else WIDTHS[:1]
        self.language = language
        self.data = sorted(data, key=len, reverse=True)

    def check(self, page: Page, who: str, path: str | None = None) -> None:
        super().check(page, who, path)
        lang, direction = HTML_LANG[self.language]
        html = page.locator("html")
        expect(html).to_have_attribute("lang", lang)
        expect(html).to_have_attribute("dir", direction)
        if words := self.english(page.content()):
            self.problems.append({"page": f"{who} {path or page.url}", "english": words})

    def english(self, html: str) -> list[str]:
        """Latin words in our own text, each with the text it stands in (to find it by).

        User content must be isolated, as a right-to-left page needs it: in ``<bdi>`` or an
        element with ``dir="auto"``, or between FSI and PDI where markup cannot isolate it
        (``<option>``, ``<title>``); the same values may appear in the attributes people read
        (``alt``, ``aria-label``). What the page marks ``translate="no"``, codes, ids, e-mail
        addresses and numbers are left out too (the pseudo-locale test's rules)."""
        parser = _Own()
        parser.feed(html)
        isolated = {*parser.isolated, *(m for p in parser.parts for m in ISOLATES.findall(p))}
        in_attributes = sorted({*self.data, *isolated}, key=len, reverse=True)
        found = set()
        for index, part in enumerate(parser.parts):
            text = ISOLATES.sub(" ", part)
            for value in in_attributes if index in parser.attributes else self.data:
                text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", " ", text)
            text = ALLOWED.sub(" ", TERMS.sub(" ", text))
            found |= {f"{m.group(0)} in {part.strip()[:60]!r}" for m in LATIN_WORD.finditer(text)}
        return sorted(found)


class _Own(_Visible):
    """The pseudo-locale test's reading of a page, with what ``<bdi>`` or ``dir="auto"``
    isolates collected apart (the attributes people read on that element still count) and
    the attributes' parts told from the text's."""

    def __init__(self) -> None:
        super().__init__()
        self.isolated: list[str] = []
        self.attributes: set[int] = set()  # indices in parts
        self._depth: int | None = None  # len(skipping) when the isolated element opened

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        isolated = tag == "bdi" or (named.get("dir") == "auto" and tag not in VOID_TAGS)
        if isolated and not self.skipping:
            self._read_attributes(tag, attrs, named)
            self.skipping.append(tag)
            self._depth = len(self.skipping)
            self.isolated.append("")
            return
        super().handle_starttag(tag, attrs)

    def _read_attributes(
        self, tag: str, attrs: list[tuple[str, str | None]], named: dict[str, str | None]
    ) -> None:
        start = len(self.parts)
        super()._read_attributes(tag, attrs, named)
        self.attributes |= set(range(start, len(self.parts)))

    def handle_endtag(self, tag: str) -> None:
        super().handle_endtag(tag)
        if self._depth is not None and len(self.skipping) < self._depth:
            self._depth = None
            self.isolated[-1] = self.isolated[-1].strip()

    def handle_data(self, data: str) -> None:
        if self._depth is not None:
            self.isolated[-1] += data
        super().handle_data(data)


def _account(market: Market, role: str, locale: str, name: str = "") -> str:
    email = f"{role}.{unique()}@example.com"
    market._ok(
        market.http.post(
            "/api/v1/accounts",
            json={
                "email": email,
                "password": market.ACCOUNT_PASSWORD,
                "display_name": name or f"Dana {unique()}",
                "role": role,
                "country": "US",
                "locale": locale,
            },
        )
    )
    return email


def _operator(market: Market, server: ServerProcess, locale: str) -> str:
    """An operator of the test's own (operators cannot sign up), speaking ``locale``."""
    email = f"operator.{unique()}@example.com"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "tradewind",
            "create-operator",
            "--email",
            email,
            "--name",
            "Ops",
            "--password",
            market.ACCOUNT_PASSWORD,
        ],
        env=server._env,
        check=True,
        capture_output=True,
    )
    headers = market.headers_for(email)
    market._ok(market.http.patch("/api/v1/me", headers=headers, json={"locale": locale}))
    return email


def _shop(market: Market, locale: str) -> tuple[str, str, str, dict[str, str]]:
    name = f"Shop {unique()}"
    email = _account(market, "seller", locale, name)
    headers = market.headers_for(email)
    applied = market._ok(
        market.http.post(
            "/api/v1/sellers",
            headers=headers,
            json={"name": name, "ship_from": {"line1": "1 Dock St", "city": "Austin"}},
        )
    )
    market._ok(
        market.http.post(
            f"/api/v1/sellers/{applied['id']}/status",
            headers=market.operator,
            json={"action": "approve"},
        )
    )
    return email, name, applied["id"], headers


@pytest.mark.parametrize("language", ["he", "zh_Hans"])
def test_every_page_in_hebrew_and_chinese(
    market: Market,
    person: Callable[[str], Page],
    visitor: Page,
    demo_server: ServerProcess,
    language: str,
) -> None:
    t = i18n.translations(language).gettext
    locale = LOCALES[language]
    token = unique()
    seller_email, shop_name, seller_id, shop_headers = _shop(market, locale)
    shop = Shop(seller_email, shop_name, seller_id, shop_headers)
    product_id, offer_id = market.listing(shop, f"Travel adapter {token} universal", 5000)
    _, other_offer = market.listing(shop, f"Travel pouch {token}", 1500)
    sale_product, sale_offer = market.listing(shop, f"Travel kettle {token}", 4000)
    market.flash_sale(shop, sale_offer, price_minor=2500, pool=3)
    buyer_email = _account(market, "buyer", locale)
    buyer_headers = market.headers_for(buyer_email)
    market.add_to_cart(buyer_headers, offer_id)
    market.add_to_cart(buyer_headers, other_offer, 2)
    operator_email = _operator(market, demo_server, locale)
    data = list(i18n.LANGUAGE_NAMES.values())
    survey = LanguageSurvey(language, data)

    buyer = person(buyer_email)
    for path in (
        "/",
        f"/search?q=adapter+{token}",
        f"/products/{product_id}",
        f"/products/{sale_product}",
        f"/shops/{seller_id}",
        "/cart",
        "/checkout",
    ):
        survey.check(buyer, f"{language}-buyer", path)
    buyer.locator("#full_name").fill("Avery Tester")
    buyer.locator("#line1").fill("350 Fifth Avenue")
    buyer.locator("#city").fill("New York")
    buyer.locator("#region").fill("NY")
    buyer.locator("#postal_code").fill("10118")
    buyer.locator("#country").select_option("US")
    buyer.get_by_role("button", name=t("Place order")).click()
    expect(buyer.locator("#checkout-orders")).to_be_visible()
    order_id = order_id_for(buyer, shop_name)
    survey.check(buyer, f"{language}-buyer")
    buyer.locator("#pay").click()
    expect(buyer.locator("#card_number")).to_be_visible()
    survey.check(buyer, f"{language}-buyer")
    buyer.locator("#card_number").fill(CARD_SUCCESS)
    buyer.locator("main form button[type=submit]").first.click()
    expect(buyer.locator("#checkout-state")).to_have_text(t("Paid"))

    seller = person(seller_email)
    for path in (
        "/seller",
        "/seller/listings",
        "/seller/orders",
        "/seller/balances",
        "/seller/performance",
        "/seller/chargebacks",
        f"/seller/orders/{order_id}/customs",
        f"/seller/orders/{order_id}/statement",
    ):
        survey.check(seller, f"{language}-seller", path)
    seller.goto(f"/orders/{order_id}")
    seller.locator("#tracking_number").fill("")
    seller.locator("form[action$='/ship'] button[type=submit]").click()
    expect(seller.locator("#tracking-number")).to_be_visible()
    survey.check(seller, f"{language}-seller", f"/orders/{order_id}")

    buyer.goto(f"/orders/{order_id}")
    buyer.get_by_text(t("Something is wrong: open a dispute")).click()
    buyer.locator("#reason").select_option("damaged")
    buyer.locator("#dispute-message").fill("The adapter arrived with a cracked case.")
    buyer.locator("form[action$='/dispute'] button[type=submit]").click()
    expect(buyer.locator("#dispute-status")).to_be_visible()
    dispute_path = buyer.url.removeprefix(str(market.http.base_url).rstrip("/"))
    for path in (
        f"/orders/{order_id}",
        "/orders",
        "/disputes",
        dispute_path,
        "/account",
        "/account/notifications",
        "/account/addresses",
        "/no/such/page",
    ):
        survey.check(buyer, f"{language}-buyer", path)
    for path in ("/disputes", dispute_path, "/account", "/account/notifications"):
        survey.check(seller, f"{language}-seller", path)

    operator = person(operator_email)
    for path in (
        "/ops",
        "/ops/overview",
        "/ops/sellers",
        "/ops/quality",
        "/orders",
        f"/orders/{order_id}",
        "/disputes",
        dispute_path,
        "/ops/fx",
        "/ops/customs",
        "/ops/ledger",
        "/ops/payouts",
        "/ops/chargebacks",
        "/ops/mismatches",
        "/ops/audit",
        "/account",
    ):
        survey.check(operator, f"{language}-operator", path)

    visitor.context.add_cookies(
        [{"name": "tw_lang", "value": language, "url": str(market.http.base_url)}]
    )
    for path in (
        "/",
        f"/search?q=adapter+{token}",
        f"/products/{product_id}",
        f"/shops/{seller_id}",
        "/login",
        "/register",
        "/register?role=seller",
        "/no/such/page",
    ):
        survey.check(visitor, f"{language}-visitor", path)

    assert survey.problems == [], json.dumps(survey.problems, ensure_ascii=False, indent=1)
    assert len(survey.visited) == 54
