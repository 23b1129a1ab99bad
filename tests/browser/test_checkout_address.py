"""The checkout form refuses an undeliverable address field by field, keeping what the buyer
typed; a saved address is offered and used; a checkout awaiting payment can be cancelled."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.market import Market, unique
from tests.browser.pages import shoot


def test_field_errors_keep_the_input_then_a_saved_address_checks_out(
    market: Market, person: Callable[[str], Page]
) -> None:
    shop = market.shop("US")
    _, offer_id = market.listing(shop, f"Desk lamp {unique()}", 4500)
    email, headers = market.account("buyer", "IL", "Noa Levi")
    market.add_to_cart(headers, offer_id)
    buyer = person(email)
    buyer.goto("/checkout")
    buyer.get_by_label("Address", exact=True).fill("")
    buyer.get_by_label("City").fill("")
    buyer.get_by_label("Postal code").fill("not a postcode!!")
    buyer.get_by_label("Phone (optional)").fill("abc")
    buyer.get_by_role("button", name="Place order").click()

    expect(buyer.locator("#checkout-error")).to_have_text(
        "this address cannot be delivered in IL: check the address, city, postcode, phone"
    )
    for name, message in (
        ("line1", "enter a street address"),
        ("city", "enter a city"),
        ("postal_code", "not a postcode in IL, e.g. 9614303"),
        ("phone", "not a phone number in IL (or give +country code)"),
    ):
        field = buyer.locator(f"#{name}")
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(field).to_have_attribute("aria-describedby", f"{name}-error")
        expect(buyer.locator(f"#{name}-error")).to_have_text(message)
    expect(buyer.get_by_label("Postal code")).to_have_value("not a postcode!!")
    expect(buyer.get_by_label("Phone (optional)")).to_have_value("abc")
    expect(buyer.get_by_label("Full name")).to_have_value("Noa Levi")
    assert market.http.get("/api/v1/orders", headers=headers).json()["items"] == []
    shoot(buyer, "checkout-address-errors")

    saved = market.http.post(
        "/api/v1/addresses",
        headers=headers,
        json={
            "full_name": "Noa Levi",
            "line1": "Rothschild Blvd 22",
            "city": "Tel Aviv",
            "postal_code": "6688218",
            "country": "IL",
            "phone": "03-510-0000",
        },
    ).json()
    buyer.goto("/checkout")
    expect(buyer.get_by_label("Deliver to a saved address")).to_have_value(saved["id"])
    buyer.get_by_role("button", name="Place order").click()
    expect(buyer.locator("#checkout-state")).to_have_text("Awaiting payment")
    expect(buyer.locator("main")).to_contain_text(
        "Deliver to: Noa Levi, Rothschild Blvd 22, Tel Aviv 6688218, Israel · +97235100000"
    )

    # A way back: cancel before paying; the lamp is back in the cart (and its stock, by
    # tests/integration/test_checkout_cancel.py).
    buyer.get_by_role("button", name="Cancel and return the items to my cart").click()
    expect(buyer.locator("#notice")).to_have_text(
        "The checkout was cancelled: nothing was charged, and the items are back in your cart."
    )
    cart = market.http.get("/api/v1/cart", headers=headers).json()
    assert [(line["offer_id"], line["quantity"]) for line in cart["lines"]] == [(offer_id, 1)]
    (order,) = market.http.get("/api/v1/orders", headers=headers).json()["items"]
    assert order["status"] == "CANCELLED"
    shoot(buyer, "checkout-cancelled-cart")
