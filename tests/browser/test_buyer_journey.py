"""The storefront end to end: search, one checkout across two shops, pay, ship, track,
confirm, auto-confirm, and the exact money each shop is released."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.market import DAY_S, Market, happy_s10, new_gtin, unique
from tests.browser.pages import (
    add_listing,
    add_offer_to_cart,
    fill_address,
    order_id_for,
    pay_on_sandbox,
    released,
    ship,
    usd,
)
from tradewind.logistics.shipping import DEMO_RATE_CARDS, SERVICES, quote_parcel


def postage(service: str) -> int:
    """What the demo tariff charges for one 200 g parcel inside the US."""
    return quote_parcel(SERVICES[service], DEMO_RATE_CARDS[service], 200, "US", "US")


def test_buyer_buys_from_two_shops_and_each_is_paid_exactly(
    market: Market, person: Callable[[str], Page]
) -> None:
    token = unique()
    shop_a, shop_b = market.shop("US"), market.shop("US")
    buyer_email, _ = market.account("buyer", "US", "Avery Tester")
    kite, line = new_gtin(), new_gtin()

    seller_a = person(shop_a.email)
    add_listing(seller_a, gtin=kite, title=f"Stunt kite {token} delta", price="125.00")
    seller_b = person(shop_b.email)
    add_listing(seller_b, gtin=kite, title="ignored: the product exists", price="119.00")
    add_listing(seller_b, gtin=line, title=f"Kite line {token} 30 m", price="30.00")

    buyer = person(buyer_email)
    buyer.get_by_label("Search products").fill(f"kite {token}")
    buyer.get_by_label("Search products").press("Enter")
    expect(buyer.locator("#result-count")).to_have_text("2 products found")
    buyer.get_by_role("link", name=f"Stunt kite {token} delta").click()
    expect(buyer.locator("li.offer")).to_have_count(2)  # both shops, compared
    assert '"@type": "Product"' in buyer.locator('script[type="application/ld+json"]').inner_text()
    add_offer_to_cart(buyer, shop_a.name)
    buyer.go_back()
    buyer.go_back()
    buyer.get_by_role("link", name=f"Kite line {token} 30 m").click()
    add_offer_to_cart(buyer, shop_b.name)

    expect(buyer.locator("section.seller-group")).to_have_count(2)
    buyer.get_by_role("link", name="Check out").click()
    fill_address(buyer)
    buyer.get_by_label(f"Shipping for {shop_a.name}").select_option(f"{shop_a.seller_id}:ems")
    buyer.get_by_label(f"Shipping for {shop_b.name}").select_option(
        f"{shop_b.seller_id}:registered_small_packet"
    )
    buyer.get_by_role("button", name="Place order").click()

    total_a = 12500 + postage("ems")
    total_b = 3000 + postage("registered_small_packet")
    expect(buyer.locator("#checkout-total")).to_have_text(usd(total_a + total_b))
    order_a = order_id_for(buyer, shop_a.name)
    order_b = order_id_for(buyer, shop_b.name)
    pay_on_sandbox(buyer)

    ship(seller_a, order_a, happy_s10("EE", "US"))
    ship(seller_b, order_b, happy_s10("RB", "US"))
    seller_b.goto(f"/orders/{order_a}")  # another shop's order does not exist for B
    expect(seller_b.locator("#page-error")).to_have_text("order not found")

    # Domestic parcels: EMS arrives within 2 days, the small packet (surface) within 7.
    market.advance(2 * DAY_S)
    buyer.goto(f"/orders/{order_a}")
    expect(buyer.locator("#tracking-status")).to_have_text("Delivered")
    expect(buyer.locator("#tracking-timeline")).to_contain_text("New York delivery office, US")
    expect(buyer.locator("#tracking-timeline")).not_to_contain_text("customs")
    buyer.goto(f"/orders/{order_b}")
    expect(buyer.locator("#tracking-status")).to_have_text("In transit")
    market.advance(5 * DAY_S)
    for order_id in (order_a, order_b):
        buyer.goto(f"/orders/{order_id}")
        expect(buyer.locator("#tracking-status")).to_have_text("Delivered")
        expect(buyer.locator("#tracking-timeline li").last).to_contain_text("Delivered")
    buyer.goto(f"/orders/{order_a}")
    buyer.get_by_text("Confirm receipt", exact=True).click()  # asks once, saying what happens
    expect(buyer.locator("#confirm-warning")).to_contain_text(
        f"the seller will be paid the {usd(total_a)} you paid"
    )
    buyer.get_by_role("button", name="Yes, it arrived: pay the seller").click()
    expect(buyer.locator("#notice")).to_have_text(
        "Thank you: receipt confirmed and the seller is paid."
    )
    expect(buyer.locator("#order-status")).to_have_text("completed")
    expect(buyer.locator("#confirm-receipt")).to_have_count(0)

    buyer.goto(f"/orders/{order_b}")
    expect(buyer.locator("#order-status")).to_have_text("awaiting receipt")
    market.advance(11 * DAY_S)  # protection ends 10 days after delivery (day 3.6)
    buyer.reload()
    expect(buyer.locator("#order-status")).to_have_text("completed")
    expect(buyer.locator("#order-history")).to_contain_text("auto confirm")

    for seller, total in ((seller_a, total_a), (seller_b, total_b)):
        seller.goto("/seller/balances")
        expect(seller.locator("#balance-available")).to_have_text(usd(released(total)))
        expect(seller.locator("#balance-held")).to_have_text(usd(0))
