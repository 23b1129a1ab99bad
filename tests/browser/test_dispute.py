"""A dispute from claim to decision: buyer opens it, seller answers, buyer escalates, an
operator refunds part; the seller is released the rest, less commission."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.market import Market, unique
from tests.browser.pages import (
    fill_address,
    order_id_for,
    pay_on_sandbox,
    released,
    ship,
    usd,
)
from tradewind.logistics.shipping import DEMO_RATE_CARDS, SERVICES, quote_parcel

SMALL_PACKET = "registered_small_packet"


def test_operator_resolves_a_dispute_with_a_partial_refund(
    market: Market, person: Callable[[str], Page]
) -> None:
    shop = market.shop("US")
    _, offer_id = market.listing(shop, f"Travel adapter {unique()}", 5000)
    buyer_email, buyer_headers = market.account("buyer", "US")
    market.add_to_cart(buyer_headers, offer_id)
    total = 5000 + quote_parcel(
        SERVICES[SMALL_PACKET], DEMO_RATE_CARDS[SMALL_PACKET], 200, "US", "US"
    )

    buyer = person(buyer_email)
    buyer.goto("/checkout")
    fill_address(buyer)
    buyer.get_by_role("button", name="Place order").click()
    expect(buyer.locator("#checkout-total")).to_have_text(usd(total))
    order_id = order_id_for(buyer, shop.name)
    pay_on_sandbox(buyer)

    seller = person(shop.email)
    seller.goto("/seller")
    expect(seller.get_by_role("link", name=order_id)).to_be_visible()  # listed as to ship
    ship(seller, order_id)  # the simulated post issues the S10 number

    buyer.goto(f"/orders/{order_id}")
    buyer.get_by_text("Something is wrong: open a dispute").click()
    buyer.get_by_label("Reason").select_option("damaged")
    buyer.get_by_label("What happened?").fill("The adapter arrived with a cracked case.")
    buyer.get_by_role("button", name="Open dispute").click()
    expect(buyer.locator("#dispute-status")).to_have_text("open")

    seller.goto("/disputes")
    seller.locator("#dispute-list tr", has_text=order_id).get_by_role("link").first.click()
    assert buyer.url.startswith(seller.url)  # both follow one conversation
    seller.get_by_label("Message", exact=True).fill(
        "Sorry! It left us intact; happy to refund part."
    )
    seller.get_by_role("button", name="Send message").click()
    expect(seller.locator("#dispute-status")).to_have_text("seller responded")

    buyer.reload()
    expect(buyer.locator("#dispute-messages")).to_contain_text("happy to refund part")
    buyer.get_by_role("button", name="Ask an operator to decide").click()
    expect(buyer.locator("#dispute-status")).to_have_text("escalated")

    operator = person("operator@tradewind.test")
    operator.goto("/disputes")
    operator.locator("#dispute-list tr", has_text=order_id).get_by_role("link").first.click()
    expect(operator.locator("#escrow-held")).to_have_text(usd(total))
    operator.get_by_role("radio", name="Partial refund").check()
    operator.get_by_label("Refund amount", exact=False).fill("20.00")
    operator.get_by_label("Note to both parties").fill("Cracked case: 20 dollars back.")
    operator.get_by_role("button", name="Resolve dispute").click()
    expect(operator.locator("#dispute-status")).to_have_text("resolved")
    expect(operator.locator("#dispute-resolution")).to_have_text(
        f"partial refund: {usd(2000)} refunded"
    )

    buyer.goto(f"/orders/{order_id}")
    expect(buyer.locator("#order-status")).to_have_text("refunded")
    seller.goto("/seller/balances")
    expect(seller.locator("#balance-available")).to_have_text(usd(released(total - 2000)))
    expect(seller.locator("#balance-held")).to_have_text(usd(0))
