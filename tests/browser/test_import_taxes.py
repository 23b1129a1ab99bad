"""Cross-border journeys: one shop, one buyer, one parcel, and the same duty, VAT, postage and
totals on the product page, at the shipping choice, on the checkout page, on the order page and
in the API. The API's figures are checked against the rule (rate x base, rounded once) and the
pages must show exactly those figures, each in its place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.market import Market, unique
from tests.browser.pages import pay_on_sandbox, shoot
from tradewind.money.amount import Money
from tradewind.money.display import format_money


@dataclass(frozen=True)
class Journey:
    name: str
    shop_country: str
    buyer_country: str
    price_minor: int  # in the shop's currency
    service: str
    paid: str  # import_taxes.paid the API must answer
    vat_percent: Decimal | None  # the destination's VAT, checked against the quote
    address: dict[str, str]


IL_ADDRESS = {"line1": "Rothschild Blvd 22", "city": "Tel Aviv", "postal_code": "6688218"}
DE_ADDRESS = {"line1": "Unter den Linden 77", "city": "Berlin", "postal_code": "10117"}
US_ADDRESS = {
    "line1": "350 Fifth Avenue",
    "city": "New York",
    "region": "NY",
    "postal_code": "10118",
}

JOURNEYS = [
    # USD 200 is over Israel's USD 130 exemption: 18 % VAT (and the carrier's fee) on delivery.
    Journey("il-dap-over", "US", "IL", 20000, "ems", "on_delivery", Decimal(18), IL_ADDRESS),
    # EUR 120 is within IOSS (EUR 150): German VAT 19 % collected at checkout, whatever the
    # service's terms.
    Journey("de-ioss-under", "FR", "DE", 12000, "ems", "at_checkout", Decimal(19), DE_ADDRESS),
    # EUR 180 is over IOSS: DAP, so the buyer pays VAT to the carrier.
    Journey("de-over", "FR", "DE", 18000, "ems", "on_delivery", Decimal(19), DE_ADDRESS),
    # No US de minimis since 29 Aug 2025, but computers (HS 8471) are duty-free and there is no
    # VAT: the quote is made (FOB) and comes to nothing.
    Journey("us-buyer", "CN", "US", 9000, "ems", "none", None, US_ADDRESS),
    # Tel Aviv to Tel Aviv: no border, no customs.
    Journey("il-domestic", "IL", "IL", 15000, "ems", "no_customs", None, IL_ADDRESS),
]


def money(minor: int, currency: str) -> str:
    return format_money(Money(minor, currency), "en_US")


def check_quote(taxes: dict[str, Any], order: dict[str, Any], journey: Journey) -> None:
    """The API's figures follow the rule: VAT is the rate on its base, rounded once."""
    assert taxes["paid"] == journey.paid
    landed = order["landed_cost"]
    if journey.paid == "no_customs":
        assert landed is None
        assert (taxes["collected_now_minor"], taxes["due_on_delivery_minor"]) == (0, 0)
        assert (order["duty_minor"], order["vat_minor"]) == (0, 0)
        return
    assert landed["customs_value_minor"] == order["items_minor"] + order["shipping_minor"] or (
        journey.buyer_country == "US" and landed["customs_value_minor"] == order["items_minor"]
    )
    if journey.vat_percent is not None:
        base = landed["customs_value_minor"] + landed["duty_minor"] + landed["excise_minor"]
        vat = (Decimal(base) * journey.vat_percent / 100).quantize(Decimal(1), ROUND_HALF_EVEN)
        assert landed["vat_minor"] == int(vat) > 0
        assert any(f"VAT {journey.vat_percent}%" in r for r in taxes["reasons"])
    if journey.paid == "none":
        assert landed["taxes_minor"] == 0
        assert (taxes["collected_now_minor"], taxes["due_on_delivery_minor"]) == (0, 0)
        assert any("duty 0" in r for r in taxes["reasons"]), taxes["reasons"]
    elif journey.paid == "at_checkout":
        assert taxes["collected_now_minor"] == order["duty_minor"] + order["vat_minor"]
        assert taxes["collected_now_minor"] == landed["taxes_minor"] > 0
        assert taxes["due_on_delivery_minor"] == 0
    else:
        assert taxes["due_on_delivery_minor"] == landed["taxes_minor"] > 0
        assert (taxes["collected_now_minor"], order["duty_minor"], order["vat_minor"]) == (0, 0, 0)
    total = order["items_minor"] + order["shipping_minor"] + taxes["collected_now_minor"]
    assert order["total_minor"] == total


def taxes_words(taxes: dict[str, Any], currency: str) -> str:
    """What the pages say of the taxes (templates/_taxes.html)."""
    if taxes["paid"] == "at_checkout":
        collected = money(taxes["collected_now_minor"], currency)
        return f"{collected} duty and VAT collected now ({taxes['regime'] or taxes['duty_terms']})"
    if taxes["paid"] == "on_delivery":
        due = money(taxes["due_on_delivery_minor"], currency)
        return f"about {due} duty and VAT to pay on delivery ({taxes['duty_terms']})"
    if taxes["paid"] == "no_customs":
        return "no customs: domestic parcel"
    return "no duty or VAT"


@pytest.mark.parametrize("journey", JOURNEYS, ids=lambda j: j.name)
def test_the_same_figures_from_product_page_to_api(
    journey: Journey, market: Market, person: Callable[[str], Page]
) -> None:
    shop = market.shop(journey.shop_country)
    product_id, _ = market.listing(
        shop,
        f"Travel router {unique()}",
        journey.price_minor,
        shipping_services=["registered_small_packet", journey.service],
    )
    email, headers = market.account("buyer", journey.buyer_country, "Noa Levi")
    buyer = person(email)

    buyer.goto(f"/products/{product_id}")
    row = buyer.locator(f'li.offer tr[data-service="{journey.service}"]')
    product_postage = row.locator("td").first.inner_text()
    product_taxes = row.locator("td.taxes-cell").inner_text()
    shoot(buyer, f"journey-{journey.name}-product")
    buyer.get_by_role("button", name=f"Add to cart from {shop.name}").click()
    buyer.goto("/checkout")
    buyer.get_by_label("Address", exact=True).fill(journey.address["line1"])
    buyer.get_by_label("City").fill(journey.address["city"])
    buyer.get_by_label("Postal code").fill(journey.address["postal_code"])
    if "region" in journey.address:  # a US address needs its state
        buyer.get_by_label("State or region", exact=False).fill(journey.address["region"])
    buyer.get_by_label("Country").select_option(journey.buyer_country)
    choice = buyer.get_by_label(f"Shipping for {shop.name}")
    choice.select_option(f"{shop.seller_id}:{journey.service}")
    option_text = choice.locator("option:checked").inner_text()
    shoot(buyer, f"journey-{journey.name}-shipping")
    buyer.get_by_role("button", name="Place order").click()
    expect(buyer.locator("#checkout-state")).to_be_visible()
    checkout_id = buyer.url.rsplit("/", 1)[1]

    found = market.http.get(f"/api/v1/checkouts/{checkout_id}", headers=headers).json()
    (summary,) = found["orders"]
    order = market.http.get(f"/api/v1/orders/{summary['id']}", headers=headers).json()
    taxes, currency = order["import_taxes"], order["currency"]
    assert summary["import_taxes"] == taxes
    check_quote(taxes, order, journey)
    assert found["total_minor"] == order["total_minor"]
    assert found["due_on_delivery_minor"] == taxes["due_on_delivery_minor"]

    words = taxes_words(taxes, currency)
    postage = money(order["shipping_minor"], currency)
    assert product_postage == postage
    assert product_taxes.splitlines()[0] == words
    assert f"postage {postage}; {words};" in option_text
    expect(buyer.locator("#checkout-total")).to_have_text(money(order["total_minor"], currency))
    expect(buyer.locator("#checkout-due-on-delivery")).to_have_text(
        money(taxes["due_on_delivery_minor"], currency)
    )
    expect(buyer.locator(f"#taxes-{order['id']} .taxes-summary")).to_have_text(words)
    shoot(buyer, f"journey-{journey.name}-checkout")

    pay_on_sandbox(buyer)
    expect(buyer.locator("#pay")).to_have_count(0)  # no stale Pay button once paid
    buyer.goto(f"/orders/{order['id']}")
    expect(buyer.locator("#order-total")).to_have_text(money(order["total_minor"], currency))
    expect(buyer.locator("#order-taxes-now")).to_have_text(
        money(taxes["collected_now_minor"], currency)
    )
    expect(buyer.locator("#order-due-on-delivery")).to_have_text(
        money(taxes["due_on_delivery_minor"], currency)
    )
    expect(buyer.locator("#order-taxes .taxes-summary")).to_have_text(words)
    expect(buyer.locator("#order-totals")).to_contain_text("Total paid")
    shoot(buyer, f"journey-{journey.name}-order")
