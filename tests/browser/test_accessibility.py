"""axe-core (from npm, installed by ./scripts/test) on the main buyer pages: no serious or
critical violations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.market import Market, unique
from tests.browser.pages import axe_violations, fill_address


def test_main_buyer_pages_have_no_serious_accessibility_violations(
    market: Market, person: Callable[[str], Page]
) -> None:
    token = unique()
    shop, other = market.shop("US"), market.shop("US")
    product_id, offer_id = market.listing(shop, f"Desk lamp {token}", 4200)
    _, second_offer = market.listing(other, f"Lamp bulb {token}", 900)
    buyer_email, buyer_headers = market.account("buyer", "US")
    market.add_to_cart(buyer_headers, offer_id)
    market.add_to_cart(buyer_headers, second_offer, 2)

    buyer = person(buyer_email)
    found: list[dict[str, Any]] = axe_violations(buyer)  # home
    for path in ("/search?q=lamp", f"/products/{product_id}", "/cart", "/checkout"):
        buyer.goto(path)
        found += axe_violations(buyer)
    fill_address(buyer)
    buyer.get_by_role("button", name="Place order").click()
    expect(buyer.locator("#checkout-orders")).to_be_visible()
    found += axe_violations(buyer)  # the checkout and payment page
    buyer.get_by_role("link", name=shop.name).click()
    expect(buyer.locator("#order-status")).to_have_text("awaiting payment")
    found += axe_violations(buyer)  # an order
    buyer.goto("/orders")
    found += axe_violations(buyer)
    assert found == [], found
