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
from tests.browser.test_import_taxes import money, taxes_words

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


IL_HOME = {
    "full_name": "Noa Levi",
    "line1": "Rothschild Blvd 22",
    "city": "Tel Aviv",
    "postal_code": "6688218",
    "country": "IL",
}


def test_a_cross_border_claim_quotes_import_taxes_like_a_checkout(
    market: Market, person: Callable[[str], Page]
) -> None:
    """A Chinese shop's sale bought from Israel, over the VAT exemption: the claim's order
    stores the same quote a checkout would (VAT 18 % to pay on delivery, DAP, with its rule),
    and the product page, the claim's checkout, the order page and the API show its figures."""
    shop = market.shop("CN")
    product_id, offer_id = market.listing(shop, f"Drawing tablet {unique()}", 200000)
    sale_id = market.flash_sale(shop, offer_id, price_minor=150000, pool=POOL)  # CNY 1,500
    email, headers = market.account("buyer", "IL", "Noa Levi")
    saved = market.http.post("/api/v1/addresses", headers=headers, json=IL_HOME)
    assert saved.status_code == 201, saved.text
    buyer = person(email)

    buyer.goto(f"/products/{product_id}")
    sale = buyer.locator(f"#flash-{sale_id}")
    product_price = sale.locator(".flash-price").inner_text()
    product_taxes = sale.locator(f"#flash-taxes-{sale_id} .taxes-summary").inner_text()
    product_reasons = sale.locator(f"#flash-taxes-{sale_id} .reasons li").all_inner_texts()
    assert axe_violations(buyer) == []
    shoot(buyer, "flash-cross-border-product")
    sale.get_by_role("button", name="Claim").click()
    expect(buyer.locator("#notice")).to_contain_text("Claimed")
    checkout_id = buyer.url.split("?")[0].rsplit("/", 1)[1]

    found = market.http.get(f"/api/v1/checkouts/{checkout_id}", headers=headers).json()
    (summary,) = found["orders"]
    order = market.http.get(f"/api/v1/orders/{summary['id']}", headers=headers).json()
    taxes, landed = order["import_taxes"], order["landed_cost"]
    assert order["currency"] == "ILS"
    assert (taxes["paid"], taxes["duty_terms"]) == ("on_delivery", "DAP")
    assert taxes["rule_id"] is not None
    assert taxes["rule_id"] == landed["rule_id"]
    assert any("VAT 18%" in r for r in taxes["reasons"]), taxes["reasons"]
    base = landed["customs_value_minor"] + landed["duty_minor"] + landed["excise_minor"]
    assert landed["customs_value_minor"] == order["items_minor"]  # postage is in the price
    assert landed["vat_minor"] == (base * 18 + 50) // 100 > 0
    assert taxes["due_on_delivery_minor"] == landed["taxes_minor"] >= landed["vat_minor"]
    assert (taxes["collected_now_minor"], order["duty_minor"], order["vat_minor"]) == (0, 0, 0)
    assert order["total_minor"] == order["items_minor"] == found["total_minor"]
    assert found["due_on_delivery_minor"] == taxes["due_on_delivery_minor"]
    assert summary["import_taxes"] == taxes
    claims = market.http.get(f"/api/v1/flash-sales/{sale_id}/me", headers=headers).json()
    assert claims["claims"][0]["total_minor"] == order["total_minor"]

    words = taxes_words(taxes, "ILS")
    total = money(order["total_minor"], "ILS")
    assert (product_price, product_taxes, product_reasons) == (total, words, taxes["reasons"])
    expect(buyer.locator("#checkout-total")).to_have_text(total)
    expect(buyer.locator("#checkout-due-on-delivery")).to_have_text(
        money(taxes["due_on_delivery_minor"], "ILS")
    )
    expect(buyer.locator(f"#taxes-{order['id']} .taxes-summary")).to_have_text(words)
    shoot(buyer, "flash-cross-border-checkout")
    pay_on_sandbox(buyer)
    buyer.goto(f"/orders/{order['id']}")
    expect(buyer.locator("#order-total")).to_have_text(total)
    expect(buyer.locator("#order-taxes-now")).to_have_text(money(0, "ILS"))
    expect(buyer.locator("#order-due-on-delivery")).to_have_text(
        money(taxes["due_on_delivery_minor"], "ILS")
    )
    expect(buyer.locator("#order-taxes .taxes-summary")).to_have_text(words)
    shoot(buyer, "flash-cross-border-order")


def test_cancelling_a_claim_gives_the_units_back_to_the_sale_not_the_cart(
    market: Market, person: Callable[[str], Page]
) -> None:
    """A flash line must not turn silently into a normal-price cart line: cancelling the
    claim's checkout releases the units to the sale, says so, and leaves the cart as it was."""
    shop = market.shop("US")
    product_id, offer_id = market.listing(shop, f"Kettle {unique()}", 9900)
    sale_id = market.flash_sale(shop, offer_id, price_minor=SALE_PRICE, pool=POOL)
    email, headers = _buyer_with_address(market)
    buyer = person(email)
    buyer.goto(f"/products/{product_id}")
    sale = buyer.locator(f"#flash-{sale_id}")
    sale.get_by_role("button", name="Claim").click()
    expect(buyer.locator("#notice")).to_contain_text("Claimed")
    checkout_id = buyer.url.split("?")[0].rsplit("/", 1)[1]
    expect(buyer.locator("#claim-cancel-note")).to_have_text(
        "Cancelling gives the units back to the flash sale: they do not go into your cart,"
        " and the sale price is not kept for you."
    )
    expect(
        buyer.get_by_role("button", name="Cancel and return the items to my cart")
    ).to_have_count(0)
    shoot(buyer, "flash-claim-checkout-cancel")
    buyer.get_by_role("button", name="Cancel my claim").click()

    expect(buyer.locator("#notice")).to_have_text(
        "Your flash-sale claim was cancelled: nothing was charged, and the units went back to"
        " the sale. Your cart is unchanged."
    )
    assert buyer.url.split("?")[0].endswith(f"/products/{product_id}")
    assert market.http.get("/api/v1/cart", headers=headers).json()["lines"] == []
    found = market.http.get(f"/api/v1/checkouts/{checkout_id}", headers=headers).json()
    assert (found["status"], found["orders"][0]["status"]) == ("cancelled", "CANCELLED")
    market.advance(1)  # the release timer hands the unit back to the sale
    mine = market.http.get(f"/api/v1/flash-sales/{sale_id}/me", headers=headers).json()
    assert (mine["units_held"], mine["claims"][0]["status"]) == (0, "released")
    assert market.http.get(f"/api/v1/flash-sales/{sale_id}").json()["remaining_units"] == POOL
    buyer.goto(f"/products/{product_id}")
    expect(sale.locator(".flash-remaining")).to_have_text("2 of 2 left")
    buyer.goto(f"/checkouts/{checkout_id}")
    expect(buyer.locator("#payment-status")).to_have_text(
        "Cancelled: nothing was charged; the claimed units went back to the flash sale,"
        " not into your cart."
    )
    buyer.goto("/cart")
    shoot(buyer, "flash-claim-cancelled-cart")
