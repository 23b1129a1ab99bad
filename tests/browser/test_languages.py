"""A Hebrew buyer and a Chinese seller, each in their own language from start to end.

The Tel Aviv buyer searches in Hebrew (with an attached prefix), opens the product, checks out
and follows the parcel; the Shenzhen seller lists, ships and reads the balances. Each page is
checked for ``lang``/``dir``, the mirrored layout (in Hebrew the navigation starts on the
right), one locale (no Latin month names on a Hebrew or Chinese page, no Hebrew dates on an
English one), times in the reader's zone with the zone named, and axe's serious and critical
findings, at 390 px and 1366 px (screenshots into $TRADEWIND_SCREENSHOTS when set).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.market import Market, Shop, new_gtin, unique
from tests.browser.pages import axe_violations, shoot
from tradewind.payments.sandbox import CARD_SUCCESS

LATIN_MONTHS = re.compile(
    r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b", re.IGNORECASE
)
HEBREW = re.compile(r"[\u0590-\u05ff]")
WIDTHS = (390, 1366)
_OVERFLOW_JS = "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
_NAV_JS = """() => {
  const links = [...document.querySelectorAll('header nav a')].filter(a => a.offsetWidth);
  const first = links[0].getBoundingClientRect();
  const last = links[links.length - 1].getBoundingClientRect();
  return {first: first.left, last: last.left};
}"""


def _account(market: Market, role: str, country: str, locale: str, currency: str) -> str:
    email = f"{role}.{unique()}@example.com"
    market._ok(
        market.http.post(
            "/api/v1/accounts",
            json={
                "email": email,
                "password": market.ACCOUNT_PASSWORD,
                "display_name": f"{role} {unique()}",
                "role": role,
                "country": country,
                "currency": currency,
                "locale": locale,
            },
        )
    )
    return email


def _check(page: Page, problems: list[dict[str, Any]], lang: str, direction: str) -> str:
    """The page as it is, at both widths: its language, direction, width and axe findings."""
    html = page.locator("html")
    expect(html).to_have_attribute("lang", lang)
    expect(html).to_have_attribute("dir", direction)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        if page.evaluate(_OVERFLOW_JS):
            problems.append({"page": page.url, "width": width, "overflow": True})
    problems.extend(axe_violations(page))
    nav = page.evaluate(_NAV_JS)
    if direction == "rtl":  # the navigation starts on the right and runs leftwards
        assert nav["first"] > nav["last"], (page.url, nav)
    else:
        assert nav["first"] < nav["last"], (page.url, nav)
    shoot(page, f"lang-{lang}-" + re.sub(r"[^a-z0-9]+", "_", page.url.split("/", 3)[-1])[:60])
    text = page.locator("main").inner_text()
    if lang != "en":
        assert not LATIN_MONTHS.search(text), (page.url, LATIN_MONTHS.findall(text))
    else:
        assert not HEBREW.search(text), page.url
    return text


def _product(market: Market, shop: Shop, token: str) -> tuple[str, str]:
    product = market._ok(
        market.http.post(
            "/api/v1/products",
            headers=shop.headers,
            json={
                "title": f"Braided USB-C cable {token}",
                "brand": "Acme",
                "gtin": new_gtin(),
                "origin_country": "CN",
                "weight_g": 200,
                "hs_code": "854442",
                "translations": {
                    "he": {"title": f"כבל טעינה USB-C קלוע {token}"},
                    "zh": {"title": f"USB-C 编织快充数据线 {token}"},
                },
            },
        )
    )
    offer = market._ok(
        market.http.post(
            "/api/v1/offers",
            headers=shop.headers,
            # EMS: delivered within the week below (surface mail takes about three weeks).
            json={
                "product_id": product["id"],
                "price_minor": 3900,
                "stock": 10,
                "shipping_services": ["ems"],
            },
        )
    )
    return product["id"], offer["id"]


def test_a_hebrew_buyer_and_a_chinese_seller_each_in_their_language(
    market: Market, person: Callable[[str], Page]
) -> None:
    token = unique()
    problems: list[dict[str, Any]] = []
    seller_email = _account(market, "seller", "CN", "zh_CN", "CNY")
    shop = _open_shop(market, seller_email)
    product_id, _ = _product(market, shop, token)

    buyer = person(_account(market, "buyer", "IL", "he_IL", "ILS"))
    buyer.goto(f"/search?q=הכבל+{token}")  # "the cable": the prefix ה attached
    _check(buyer, problems, "he", "rtl")
    buyer.locator(f'a[href="/products/{product_id}"]').first.click()
    expect(buyer.locator("#product-title")).to_have_text(f"כבל טעינה USB-C קלוע {token}")
    text = _check(buyer, problems, "he", "rtl")
    assert "₪" in text, "prices in ILS"
    buyer.locator("li.offer form button[type=submit]").first.click()
    buyer.goto("/checkout")
    _fill_israeli_address(buyer)
    buyer.locator("main form button[type=submit]").last.click()
    expect(buyer.locator("#checkout-orders")).to_be_visible()
    order_href = buyer.locator("#checkout-orders a[href^='/orders/']").first.get_attribute("href")
    assert order_href
    buyer.locator("#pay").click()
    buyer.locator("#card_number").fill(CARD_SUCCESS)
    buyer.locator("main form button[type=submit]").first.click()
    expect(buyer.locator("#checkout-state")).to_have_text("שולם")

    seller = person(seller_email)
    seller.goto("/seller/listings")
    assert token in _check(seller, problems, "zh-Hans", "ltr")
    seller.goto(order_href)
    seller.locator("#tracking_number").fill("")
    seller.locator("form[action$='/ship'] button[type=submit]").click()
    expect(seller.locator("#notice")).to_have_text("订单已标记为已发货。")
    expect(seller.locator("#tracking-number")).to_be_visible()
    _check(seller, problems, "zh-Hans", "ltr")
    market.advance(7 * 24 * 3600)  # the simulated post delivers within the week

    buyer.goto(order_href)
    text = _check(buyer, problems, "he", "rtl")
    assert "שעון ישראל" in text, "times in Asia/Jerusalem, named"
    assert "נמסר" in text, "the parcel's delivery, in Hebrew"
    buyer.goto("/account/notifications")
    assert "נמסרה" in _check(buyer, problems, "he", "rtl")

    seller.goto("/seller/balances")
    text = _check(seller, problems, "zh-Hans", "ltr")
    assert "¥" in text, "balances in CNY"
    seller.goto(order_href)
    assert "中国时间" in _check(seller, problems, "zh-Hans", "ltr"), "times in Asia/Shanghai"
    assert problems == [], problems


def _open_shop(market: Market, email: str) -> Shop:
    headers = market.headers_for(email)
    name = f"深圳 {unique()}"
    applied = market._ok(
        market.http.post(
            "/api/v1/sellers",
            headers=headers,
            json={"name": name, "ship_from": {"line1": "1 Keji Rd", "city": "Shenzhen"}},
        )
    )
    market._ok(
        market.http.post(
            f"/api/v1/sellers/{applied['id']}/status",
            headers=market.operator,
            json={"action": "approve"},
        )
    )
    return Shop(email, name, applied["id"], headers)


def _fill_israeli_address(page: Page) -> None:
    page.locator("#full_name").fill("נועה לוי")
    page.locator("#line1").fill("הרצל 1")
    page.locator("#city").fill("תל אביב")
    page.locator("#postal_code").fill("6100000")
    page.locator("#country").select_option("IL")
