"""A buyer applies a shop's coupon (made through the API) on the cart page and sees the API's
discount and total on the cart, checkout and order pages; the seller's copy of the order shows
the same line. A refused code keeps the field and says why. Every page fits 390 px and 1366 px
and passes axe."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from playwright.sync_api import Page, expect

from tests.browser.market import Market, unique
from tests.browser.pages import fill_address, order_id_for, pay_on_sandbox, shoot, usd
from tests.browser.test_every_page import Survey


def test_a_shop_coupon_shows_the_same_discount_and_total_on_every_page(
    market: Market, person: Callable[[str], Page]
) -> None:
    shop = market.shop("US")
    _, offer_id = market.listing(shop, f"Camp kettle {unique()}", 4500)
    code = f"KETTLE{unique().upper()}"
    now = market.server_now()
    made = market.http.post(
        "/api/v1/promotions",
        headers=shop.headers,
        json={
            "kind": "store_coupon",
            "name": "Kettle week",
            "code": code,
            "amount_minor": 1000,
            "min_spend_minor": 5000,
            "total_quantity": 5,
            "starts_at": (now - timedelta(days=1)).isoformat(),
            "ends_at": (now + timedelta(days=30)).isoformat(),
        },
    )
    assert made.status_code == 201, made.text
    email, headers = market.account("buyer", "US")
    market.add_to_cart(headers, offer_id, 2)
    api = market.http.get("/api/v1/cart", headers=headers, params={"coupon_codes": code}).json()
    assert (api["total_minor"], api["discount_minor"], api["to_pay_minor"]) == (9000, 1000, 8000)
    line = f"Kettle week (shop coupon): -{usd(1000)}"
    survey = Survey()

    buyer = person(email)
    buyer.goto("/cart")
    buyer.get_by_label("Coupon codes").fill("NOSUCHCODE")
    buyer.get_by_role("button", name="Apply").click()
    field = buyer.get_by_label("Coupon codes")
    expect(field).to_have_value("NOSUCHCODE")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(buyer.locator("#coupons-error")).to_have_text("no coupon with the code NOSUCHCODE")
    expect(buyer.locator("#cart-discount")).to_have_count(0)
    survey.check(buyer, "buyer")  # the cart with a refused code

    field.fill(code.lower())
    buyer.get_by_role("button", name="Apply").click()
    expect(buyer.locator(f"#cart-discounts-{shop.seller_id}")).to_have_text(line)
    expect(buyer.locator("#cart-total")).to_have_text(usd(9000))
    expect(buyer.locator("#cart-discount")).to_have_text(f"-{usd(1000)}")
    expect(buyer.locator("#cart-to-pay")).to_have_text(usd(8000))
    survey.check(buyer, "buyer")
    shoot(buyer, "coupon-cart")

    buyer.locator("#check-out").click()
    expect(buyer.get_by_label("Coupon codes")).to_have_value(code.lower())
    expect(buyer.locator(f"#checkout-discounts-{shop.seller_id}")).to_have_text(line)
    expect(buyer.locator("#checkout-to-pay")).to_have_text(usd(8000))
    survey.check(buyer, "buyer")
    fill_address(buyer)
    buyer.get_by_role("button", name="Place order").click()
    expect(buyer.locator("#checkout-orders")).to_be_visible()
    order_id = order_id_for(buyer, shop.name)
    order = market.http.get(f"/api/v1/orders/{order_id}", headers=headers).json()
    assert [(d["name"], d["amount_minor"]) for d in order["discounts"]] == [("Kettle week", 1000)]
    assert order["items_minor"] - order["discount_minor"] == 8000
    expect(buyer.locator(f"#discounts-{order_id}")).to_have_text(line)
    expect(buyer.locator(f"tr[data-order-id='{order_id}'] .order-discount")).to_have_text(
        f"-{usd(1000)}"
    )
    expect(buyer.locator("#checkout-total")).to_have_text(usd(order["total_minor"]))
    survey.check(buyer, "buyer")
    pay_on_sandbox(buyer)

    buyer.goto(f"/orders/{order_id}")
    expect(buyer.locator(".order-discount-line")).to_have_text(f"-{usd(1000)}")
    expect(buyer.locator("#order-totals")).to_contain_text("Kettle week (shop coupon)")
    expect(buyer.locator("#order-total")).to_have_text(usd(order["total_minor"]))
    survey.check(buyer, "buyer")
    shoot(buyer, "coupon-order")

    seller = person(shop.email)
    survey.check(seller, "seller", f"/orders/{order_id}")
    expect(seller.locator(".order-discount-line")).to_have_text(f"-{usd(1000)}")
    expect(seller.locator("#order-total")).to_have_text(usd(order["total_minor"]))
    assert survey.problems == [], survey.problems
