"""A domestic Israeli order from the demo's own Tel Aviv shop (shop.telaviv) to a buyer in Tel
Aviv: the domestic postage and the domestic transit days (EMS: 1-2 days after handling, not the
international 3-8), no customs anywhere, and the same figures on the product page, the shipping
choice, the checkout page, the order page and the API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, timedelta

from babel.dates import format_interval
from playwright.sync_api import Page, expect

from tests.browser.market import Market, Shop, unique
from tests.browser.pages import pay_on_sandbox, shoot
from tests.browser.test_import_taxes import IL_ADDRESS, money
from tradewind.logistics.shipping import SERVICES

TEL_AVIV_SHOP = "shop.telaviv@tradewind.test"


def test_a_domestic_israeli_order_has_domestic_timing_and_no_customs(
    market: Market, person: Callable[[str], Page]
) -> None:
    headers = market.headers_for(TEL_AVIV_SHOP)
    me = market.http.get("/api/v1/sellers/me", headers=headers).json()
    assert (me["name"], me["country"]) == ("Tel Aviv Tech", "IL")
    shop = Shop(TEL_AVIV_SHOP, me["name"], me["id"], headers)
    product_id, _ = market.listing(
        shop, f"Desk lamp {unique()}", 15000, shipping_services=["registered_small_packet", "ems"]
    )
    email, buyer_headers = market.account("buyer", "IL", "Noa Levi")
    buyer = person(email)
    ems = SERVICES["ems"]
    handling = timedelta(days=me["handling_days"])
    handed_over = (market.server_now().astimezone(UTC) + handling).date()
    window = format_interval(
        handed_over + timedelta(days=ems.domestic_days_min),
        handed_over + timedelta(days=ems.domestic_days_max),
        "yMMMd",
        locale="en_US",
    )
    assert (ems.domestic_days_min, ems.domestic_days_max) == (1, 2)

    buyer.goto(f"/products/{product_id}")
    row = buyer.locator('li.offer tr[data-service="ems"]')
    cells = row.locator("td").all_inner_texts()
    assert cells[1:] == ["no customs: domestic parcel", window]
    product_postage = cells[0]
    shoot(buyer, "domestic-il-product")
    buyer.get_by_role("button", name=f"Add to cart from {shop.name}").click()
    buyer.goto("/checkout")
    buyer.get_by_label("Address", exact=True).fill(IL_ADDRESS["line1"])
    buyer.get_by_label("City").fill(IL_ADDRESS["city"])
    buyer.get_by_label("Postal code").fill(IL_ADDRESS["postal_code"])
    buyer.get_by_label("Country").select_option("IL")
    choice = buyer.get_by_label(f"Shipping for {shop.name}")
    choice.select_option(f"{shop.seller_id}:ems")
    option_text = choice.locator("option:checked").inner_text().strip()
    shoot(buyer, "domestic-il-shipping")
    buyer.get_by_role("button", name="Place order").click()
    expect(buyer.locator("#checkout-state")).to_be_visible()
    checkout_id = buyer.url.rsplit("/", 1)[1]

    found = market.http.get(f"/api/v1/checkouts/{checkout_id}", headers=buyer_headers).json()
    (summary,) = found["orders"]
    order = market.http.get(f"/api/v1/orders/{summary['id']}", headers=buyer_headers).json()
    assert order["currency"] == "ILS"
    assert order["landed_cost"] is None
    assert order["import_taxes"]["paid"] == "no_customs"
    assert (order["duty_minor"], order["vat_minor"], found["due_on_delivery_minor"]) == (0, 0, 0)
    assert order["items_minor"] == 15000
    assert order["total_minor"] == 15000 + order["shipping_minor"] == found["total_minor"]
    postage = money(order["shipping_minor"], "ILS")
    assert product_postage == postage
    assert option_text == (f"EMS: postage {postage}; no customs: domestic parcel; arrives {window}")
    total = money(order["total_minor"], "ILS")
    expect(buyer.locator("#checkout-total")).to_have_text(total)
    expect(buyer.locator("#checkout-due-on-delivery")).to_have_text(money(0, "ILS"))
    expect(buyer.locator(f"#taxes-{order['id']} .taxes-summary")).to_have_text(
        "no customs: domestic parcel"
    )
    shoot(buyer, "domestic-il-checkout")
    pay_on_sandbox(buyer)
    buyer.goto(f"/orders/{order['id']}")
    expect(buyer.locator("#order-total")).to_have_text(total)
    expect(buyer.locator("#order-taxes-now")).to_have_text(money(0, "ILS"))
    expect(buyer.locator("#order-due-on-delivery")).to_have_text(money(0, "ILS"))
    expect(buyer.locator("#order-taxes .taxes-summary")).to_have_text("no customs: domestic parcel")
    shoot(buyer, "domestic-il-order")
