"""An address-book checkout: the buyer keeps addresses at /account/addresses (a refused one
comes back with its errors under the fields and the input kept), chooses a default, and the
checkout offers it first. The parcel goes there, and the duty, VAT, postage and totals are the
same on the product page, the shipping choice, the checkout page, the order page and the API."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from playwright.sync_api import Page, expect

from tests.browser.market import Market, unique
from tests.browser.pages import axe_violations, pay_on_sandbox, shoot
from tests.browser.test_import_taxes import Journey, check_quote, money, taxes_words

HAIFA = {"line1": "HaNamal St 5", "city": "Haifa", "postal_code": "3303102"}
TEL_AVIV = {"line1": "Rothschild Blvd 22", "city": "Tel Aviv", "postal_code": "6688218"}
# USD 200 is over Israel's USD 130 exemption: 18 % VAT to pay the carrier on delivery.
JOURNEY = Journey("address-book", "US", "IL", 20000, "ems", "on_delivery", Decimal(18), HAIFA)


def _add(buyer: Page, address: dict[str, str]) -> None:
    buyer.get_by_label("Address", exact=True).fill(address["line1"])
    buyer.get_by_label("City").fill(address["city"])
    buyer.get_by_label("Postal code").fill(address["postal_code"])
    buyer.get_by_label("Country").select_option("IL")
    buyer.get_by_role("button", name="Add the address").click()


def _address_book(buyer: Page) -> None:
    buyer.goto("/account")
    buyer.get_by_role("link", name="Address book").click()
    expect(buyer.get_by_role("heading", name="Address book")).to_be_visible()
    _add(buyer, {**TEL_AVIV, "postal_code": "not a postcode!!"})
    postcode = buyer.get_by_label("Postal code")
    expect(postcode).to_have_attribute("aria-invalid", "true")
    expect(postcode).to_have_value("not a postcode!!")
    expect(buyer.get_by_label("City")).to_have_value("Tel Aviv")
    expect(buyer.locator("#postal_code-error")).to_be_visible()
    assert axe_violations(buyer) == []
    shoot(buyer, "address-book-error")
    _add(buyer, TEL_AVIV)
    expect(buyer.locator("#addresses-done")).to_have_text("The address was added.")
    _add(buyer, HAIFA)
    haifa = buyer.locator("li.address-card").filter(has_text="HaNamal St 5")
    haifa.get_by_role("button", name="Make default").click()
    expect(buyer.locator("#addresses-done")).to_have_text("This is now your default address.")
    expect(haifa.locator("#default-address")).to_have_text("Default")
    shoot(buyer, "address-book")


def test_checkout_from_the_address_book_with_the_same_figures(
    market: Market, person: Callable[[str], Page]
) -> None:
    shop = market.shop(JOURNEY.shop_country)
    product_id, _ = market.listing(
        shop,
        f"Travel router {unique()}",
        JOURNEY.price_minor,
        shipping_services=["registered_small_packet", JOURNEY.service],
    )
    email, headers = market.account("buyer", "IL", "Noa Levi")
    buyer = person(email)
    _address_book(buyer)

    buyer.goto(f"/products/{product_id}")
    row = buyer.locator(f'li.offer tr[data-service="{JOURNEY.service}"]')
    product_postage = row.locator("td").first.inner_text()
    product_taxes = row.locator("td.taxes-cell").inner_text()
    buyer.get_by_role("button", name=f"Add to cart from {shop.name}").click()
    buyer.goto("/checkout")
    saved = buyer.get_by_label("Deliver to a saved address")
    expect(saved.locator("option:checked")).to_contain_text("HaNamal St 5, Haifa")
    choice = buyer.get_by_label(f"Shipping for {shop.name}")
    choice.select_option(f"{shop.seller_id}:{JOURNEY.service}")
    option_text = choice.locator("option:checked").inner_text()
    shoot(buyer, "address-book-checkout")
    buyer.get_by_role("button", name="Place order").click()
    expect(buyer.locator("#checkout-state")).to_be_visible()
    expect(buyer.locator("main")).to_contain_text("HaNamal St 5, Haifa 3303102")
    checkout_id = buyer.url.rsplit("/", 1)[1]

    found = market.http.get(f"/api/v1/checkouts/{checkout_id}", headers=headers).json()
    (summary,) = found["orders"]
    order = market.http.get(f"/api/v1/orders/{summary['id']}", headers=headers).json()
    assert (order["ship_to"]["line1"], order["ship_to"]["city"]) == ("HaNamal St 5", "Haifa")
    taxes, currency = order["import_taxes"], order["currency"]
    check_quote(taxes, order, JOURNEY)
    words = taxes_words(taxes, currency)
    postage = money(order["shipping_minor"], currency)
    assert product_postage == postage
    assert product_taxes.splitlines()[0] == words
    assert f"postage {postage}; {words};" in option_text
    expect(buyer.locator("#checkout-total")).to_have_text(money(order["total_minor"], currency))
    expect(buyer.locator("#checkout-due-on-delivery")).to_have_text(
        money(taxes["due_on_delivery_minor"], currency)
    )
    pay_on_sandbox(buyer)
    buyer.goto(f"/orders/{order['id']}")
    expect(buyer.locator("#order-total")).to_have_text(money(order["total_minor"], currency))
    expect(buyer.locator("#order-due-on-delivery")).to_have_text(
        money(taxes["due_on_delivery_minor"], currency)
    )
    expect(buyer.locator("#order-taxes .taxes-summary")).to_have_text(words)
