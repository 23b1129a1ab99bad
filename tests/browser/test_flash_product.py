"""A flash sale bought from its product page: the sale price, the per-buyer limit and what is
left; a claim that shows its hold counting down by the server clock and leads to pay; and, once
sold out, the waitlist. The same figures on the product page, the checkout, the order page and
in the API."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.market import SHIP_TO, Market, unique
from tests.browser.pages import axe_violations, pay_on_sandbox, shoot, usd

SALE_PRICE = 4900
POOL = 2


def _buyer_with_address(market: Market) -> tuple[str, dict[str, str]]:
    email, headers = market.account("buyer", "US")
    saved = market.http.post(
        "/api/v1/addresses", headers=headers, json={**SHIP_TO, "full_name": "Avery Tester"}
    )
    assert saved.status_code == 201, saved.text
    return email, headers


def test_claim_pay_and_join_the_waitlist_once_sold_out(
    market: Market, person: Callable[[str], Page]
) -> None:
    shop = market.shop("US")
    product_id, offer_id = market.listing(shop, f"Espresso grinder {unique()}", 9900)
    sale_id = market.flash_sale(shop, offer_id, price_minor=SALE_PRICE, pool=POOL)
    email, headers = _buyer_with_address(market)
    buyer = person(email)

    buyer.goto(f"/products/{product_id}")
    sale = buyer.locator(f"#flash-{sale_id}")
    expect(sale.locator(".flash-price")).to_have_text(usd(SALE_PRICE))
    expect(sale.locator(".flash-limit")).to_have_text("limit 2 per buyer")
    expect(sale.locator(".flash-remaining")).to_have_text("2 of 2 left")
    assert axe_violations(buyer) == []
    shoot(buyer, "flash-product-live")
    sale.get_by_label("Quantity").select_option("2")
    sale.get_by_role("button", name="Claim").click()

    expect(buyer.locator("#notice")).to_contain_text("Claimed")
    timer = buyer.locator("#pay-within")  # the 15-minute hold, by the server's clock
    expect(timer).to_have_text(re.compile(r"^0:1[45]:\d\d$"))
    expect(buyer.locator("#checkout-total")).to_have_text(usd(2 * SALE_PRICE))
    shoot(buyer, "flash-checkout")
    checkout_id = buyer.url.split("?")[0].rsplit("/", 1)[1]
    found = market.http.get(f"/api/v1/checkouts/{checkout_id}", headers=headers).json()
    (summary,) = found["orders"]
    order = market.http.get(f"/api/v1/orders/{summary['id']}", headers=headers).json()
    assert (order["items_minor"], order["shipping_minor"]) == (2 * SALE_PRICE, 0)
    assert (order["duty_minor"], order["vat_minor"], order["total_minor"]) == (0, 0, 9800)
    assert order["import_taxes"]["paid"] == "no_customs"  # Austin to New York
    assert found["total_minor"] == 2 * SALE_PRICE

    pay_on_sandbox(buyer)
    buyer.goto(f"/orders/{order['id']}")
    expect(buyer.locator("#order-total")).to_have_text(usd(2 * SALE_PRICE))
    expect(buyer.locator("#order-taxes .taxes-summary")).to_have_text("no customs: domestic parcel")
    buyer.goto(f"/products/{product_id}")
    expect(sale.locator(".flash-remaining")).to_have_text("0 of 2 left")
    expect(sale).to_contain_text("You have claimed 2 of the 2 allowed per buyer.")
    mine = market.http.get(f"/api/v1/flash-sales/{sale_id}/me", headers=headers).json()
    assert (mine["units_held"], mine["claims"][0]["order_status"]) == (2, "AWAITING_SHIPMENT")

    late_email, late_headers = _buyer_with_address(market)
    late = person(late_email)
    late.goto(f"/products/{product_id}")
    late_sale = late.locator(f"#flash-{sale_id}")
    expect(late_sale).to_contain_text("Sold out")
    expect(late_sale.get_by_role("button", name="Claim")).to_have_count(0)
    late_sale.get_by_role("button", name="Join the waitlist").click()
    expect(late.locator("#notice")).to_have_text("You joined the waitlist.")
    expect(late_sale.locator(".flash-waitlist")).to_contain_text(
        "You are number 1 on the waitlist."
    )
    assert axe_violations(late) == []
    shoot(late, "flash-product-waitlist")
    entry = market.http.get(f"/api/v1/flash-sales/{sale_id}/me", headers=late_headers).json()
    assert (entry["waitlist"]["status"], entry["waitlist"]["position"]) == ("waiting", 1)
    assert market.http.get(f"/api/v1/flash-sales/{sale_id}").json()["waitlist_length"] == 1
