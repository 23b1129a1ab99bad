"""A seller makes a discount and a shop coupon in the seller center; a buyer sees the discount
on the product, search and cart pages and applies the coupon at checkout, and every figure is
the one the API and the order carry. The new pages fit 390 px and 1366 px and pass axe."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.market import Market, unique
from tests.browser.pages import fill_address, order_id_for, shoot, usd
from tests.browser.test_every_page import Survey


def test_a_seller_made_discount_and_coupon_give_the_same_figures_everywhere(
    market: Market, person: Callable[[str], Page]
) -> None:
    token = unique()
    shop = market.shop("US")
    product_id, offer_id = market.listing(shop, f"Trail lantern {token}", 4000)
    code = f"LANTERN{token.upper()}"
    survey = Survey()

    seller = person(shop.email)
    seller.goto("/seller/promotions")
    expect(seller.locator("#promotions-empty")).to_be_visible()
    seller.locator("#new-discount").click()
    survey.check(seller, "seller")
    seller.get_by_label("Name buyers see").fill("Lantern week")
    seller.get_by_label("Percentage or amount (in USD)").fill("25")
    seller.get_by_role("button", name="Create discount").click()
    expect(seller.locator("#notice")).to_have_text("The promotion was created.")

    seller.locator("#new-coupon").click()
    seller.get_by_label("Name buyers see").fill("Lantern coupon")
    seller.get_by_label("What it takes off").select_option("amount")
    seller.get_by_label("Percentage or amount (in USD)").fill("5.00")
    seller.get_by_label("Code buyers type").fill("no")
    seller.get_by_label("Minimum spend (in USD)").fill("20")
    seller.get_by_label("Total uses").fill("10")
    seller.get_by_role("button", name="Create coupon").click()
    code_field = seller.get_by_label("Code buyers type")
    expect(code_field).to_have_attribute("aria-invalid", "true")
    expect(seller.locator("#code-error")).to_have_text(
        "Use 3 to 32 letters and digits, such as SPRING15."
    )
    expect(seller.get_by_label("Total uses")).to_have_value("10")  # the input kept
    survey.check(seller, "seller")  # the form with its error
    code_field.fill(code.lower())
    seller.get_by_role("button", name="Create coupon").click()
    expect(seller.locator("#notice")).to_have_text("The promotion was created.")
    made = market.http.get("/api/v1/promotions", headers=shop.headers).json()
    coupon, discount = made
    assert (coupon["code"], coupon["amount_minor"], coupon["min_spend_minor"]) == (code, 500, 2000)
    assert (discount["kind"], discount["percent_bps"], discount["status"]) == (
        "item_discount",
        2500,
        "active",
    )
    expect(seller.locator(f"#promotion-{coupon['id']}-status")).to_have_text("active")
    expect(seller.locator(f"#promotion-{coupon['id']}-left")).to_have_text("10")
    expect(seller.locator(f"#promotion-{discount['id']}-off")).to_have_text("25%")
    survey.check(seller, "seller")
    shoot(seller, "seller-promotions")

    email, headers = market.account("buyer", "US")
    buyer = person(email)
    buyer.goto(f"/products/{product_id}")
    item = f"Item: {usd(3000)} instead of {usd(4000)} (Lantern week)"
    expect(buyer.locator(f"#offer-price-{offer_id}")).to_have_text(item)
    buyer.goto(f"/search?q=lantern+{token}")
    expect(buyer.locator(f"#deal-{product_id}")).to_have_text(
        f"Item on discount: {usd(3000)} instead of {usd(4000)} (Lantern week)"
    )
    market.add_to_cart(headers, offer_id, 2)
    api = market.http.get("/api/v1/cart", headers=headers, params={"coupon_codes": code}).json()
    assert api["lines"][0]["item_discount_minor"] == 2000
    assert (api["total_minor"], api["discount_minor"], api["to_pay_minor"]) == (8000, 2500, 5500)
    buyer.goto("/cart")
    expect(buyer.locator(f"#unit-{offer_id}")).to_have_text(f"{usd(3000)} instead of {usd(4000)}")
    expect(buyer.locator(f"#total-{offer_id}")).to_have_text(f"{usd(6000)} instead of {usd(8000)}")
    buyer.get_by_label("Coupon codes").fill(code.lower())
    buyer.get_by_role("button", name="Apply").click()
    expect(buyer.locator("#cart-total")).to_have_text(usd(8000))
    expect(buyer.locator("#cart-discount")).to_have_text(f"-{usd(2500)}")
    expect(buyer.locator("#cart-to-pay")).to_have_text(usd(5500))
    survey.check(buyer, "buyer")
    shoot(buyer, "discount-cart")

    buyer.locator("#check-out").click()
    expect(buyer.locator("#checkout-to-pay")).to_have_text(usd(5500))
    fill_address(buyer)
    buyer.get_by_role("button", name="Place order").click()
    expect(buyer.locator("#checkout-orders")).to_be_visible()
    order = market.http.get(
        f"/api/v1/orders/{order_id_for(buyer, shop.name)}", headers=headers
    ).json()
    assert [(d["name"], d["amount_minor"]) for d in order["discounts"]] == [
        ("Lantern week", 2000),
        ("Lantern coupon", 500),
    ]
    assert order["items_minor"] - order["discount_minor"] == 5500

    seller.goto("/seller/promotions")
    expect(seller.locator(f"#promotion-{coupon['id']}-uses")).to_have_text("1")
    expect(seller.locator(f"#promotion-{coupon['id']}-left")).to_have_text("9")
    seller.get_by_role("button", name="End now Lantern coupon").click()
    expect(seller.locator(f"#promotion-{coupon['id']}-status")).to_have_text("ended")
    operator = person("operator@tradewind.test")
    survey.check(operator, "operator", "/ops/promotions")
    shoot(operator, "ops-promotions")
    assert survey.problems == [], survey.problems
