"""The search page as a shopper uses it: sort, price range, free shipping, facets that stay,
a corrected typo, and searching in Hebrew and in Chinese with titles in the reader's language."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import CspWatch
from tests.browser.market import Market, Shop, new_gtin, unique
from tests.support.server import ServerProcess


def _product(
    market: Market, shop: Shop, title: str, brand: str, price_minor: int, **extra: Any
) -> str:
    translations = extra.pop("translations", {})
    product = market._ok(
        market.http.post(
            "/api/v1/products",
            headers=shop.headers,
            json={
                "title": title,
                "brand": brand,
                "gtin": new_gtin(),
                "origin_country": "CN",
                "weight_g": 200,
                "hs_code": "854442",
                "translations": translations,
            },
        )
    )
    market._ok(
        market.http.post(
            "/api/v1/offers",
            headers=shop.headers,
            json={"product_id": product["id"], "price_minor": price_minor, "stock": 5, **extra},
        )
    )
    return str(product["id"])


@pytest.fixture
def reader(browser: Browser, demo_server: ServerProcess, csp: CspWatch) -> Iterator[Any]:
    contexts = []

    def open_as(locale: str) -> Page:
        context = csp.watch(browser.new_context(base_url=demo_server.base_url, locale=locale))
        contexts.append(context)
        return context.new_page()

    yield open_as
    for context in contexts:
        context.close()


# One product matches every word; how many cables of the demo catalog pass the same filter
# depends on its prices, so only the shape of the second part is fixed.
ONE_AND_SOME = re.compile(r"^1 product found \(and \d+ more matching some of your words\)$")


def _titles(page: Page) -> list[str]:
    return page.locator("#results li.card h3 a").all_inner_texts()


def test_sort_price_range_free_shipping_facets_and_a_corrected_typo(
    market: Market, reader: Any
) -> None:
    token = unique()
    shop = market.shop("US")
    _product(market, shop, f"Zolt {token} braided cable", "Zolt", 1_500)
    _product(market, shop, f"Quorra {token} braided cable", "Quorra", 900, free_shipping=True)
    _product(market, shop, f"Zolt {token} charging cable", "Zolt", 2_500)

    page = reader("en-US")
    page.goto(f"/search?q={token}+cable")
    # The list is filled up to 200 with products that match only "cable" (the demo catalog
    # has thousands): the count says so instead of contradicting the list.
    expect(page.locator("#result-count")).to_have_text(
        "3 products found (and 197 more matching some of your words)"
    )

    page.get_by_label("Sort by").select_option("price")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"sort=price"))
    # The three that match every word come first, cheapest delivered first; products that
    # match only "cable" (the demo catalog has many) follow them, never ahead.
    assert _titles(page)[:3] == [
        f"Quorra {token} braided cable",  # free shipping: its price is its delivered price
        f"Zolt {token} braided cable",
        f"Zolt {token} charging cable",
    ]

    page.locator("#min_price").fill("10")
    page.locator("#max_price").fill("20")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#result-count")).to_have_text(ONE_AND_SOME)
    page.locator("#min_price").fill("")
    page.locator("#max_price").fill("")
    page.get_by_role("button", name="Apply").click()

    page.locator("#free-shipping").click()
    expect(page.locator("#result-count")).to_have_text(ONE_AND_SOME)
    page.locator("#free-shipping").click()
    expect(page.locator("#result-count")).to_have_text(
        "3 products found (and 197 more matching some of your words)"
    )

    brands = page.get_by_role("navigation", name="Brand")
    brands.get_by_role("link", name="Zolt (2)").click()
    expect(page.locator("#result-count")).to_have_text("2 products found")
    # The other brand stays listed, with its count, to switch to it.
    expect(
        page.get_by_role("navigation", name="Brand").get_by_role("link", name="Quorra (1)")
    ).to_be_visible()

    page.goto(f"/search?q={token}+cabel")
    expect(page.locator("#corrected")).to_contain_text(f"Showing results for “{token} cable”")
    page.screenshot(path="/tmp/tradewind-search-1366.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/search?q={token}+cable&sort=price")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path="/tmp/tradewind-search-390.png", full_page=True)


def test_searching_in_hebrew_and_in_chinese(market: Market, reader: Any) -> None:
    token = unique()
    shop = market.shop("CN")
    _product(
        market,
        shop,
        f"Anker {token} USB-C cable 1 m",
        "Anker",
        1_200,
        translations={
            "he": {"title": f"כבל USB-C לטעינה מהירה Anker {token}"},
            "zh": {"title": f"Anker {token} USB-C 快充数据线 1米"},
        },
    )
    _product(market, shop, f"Anker {token} power bank 10000 mAh", "Anker", 3_000)

    hebrew = reader("he-IL")
    hebrew.goto("/")
    hebrew.locator("#site-q").fill(f"הכבל {token}")  # "the cable": its prefix attached
    hebrew.locator("#site-q").press("Enter")
    # Both Anker products lead (the cable matches both words, the power bank the token);
    # demo products that match only "cable" in Hebrew may follow them.
    expect(hebrew.locator("#results li.card").nth(1)).to_be_visible()
    first = hebrew.locator("#results li.card").first
    expect(first.locator("h3 a")).to_have_text(f"כבל USB-C לטעינה מהירה Anker {token}")
    expect(first.locator("h3 a")).to_have_attribute("lang", "he")
    expect(first.locator(".original-title")).to_have_text(f"Anker {token} USB-C cable 1 m")
    # The power bank has no Hebrew title; the Latin brand and token still find it, in English.
    expect(hebrew.locator("#results li.card").nth(1).locator("h3 a")).to_have_text(
        f"Anker {token} power bank 10000 mAh"
    )
    hebrew.screenshot(path="/tmp/tradewind-search-he.png", full_page=True)

    chinese = reader("zh-CN")
    chinese.goto(f"/search?q=数据线+{token}")
    expect(chinese.locator("#results li.card h3 a").first).to_have_text(
        f"Anker {token} USB-C 快充数据线 1米"
    )
    # The power bank (no Chinese title) is found by its brand and token; demo products with
    # Chinese titles that match the query's characters may rank between the two.
    expect(
        chinese.locator("#results li.card h3 a", has_text=f"Anker {token} power bank 10000 mAh")
    ).to_have_count(1)
    chinese.screenshot(path="/tmp/tradewind-search-zh.png", full_page=True)
