"""A seller sets a bad IBAN (refused at its field, what was typed kept), then a good one; a
payout is made to it and the bank sends it back (AC04, account closed): the seller's payout
history shows it returned with its reason, and that the next payout waits. Axe-clean at 390
and 1366 px (screenshots with ``TRADEWIND_SCREENSHOTS``)."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.market import Market, unique
from tests.browser.pages import (
    SCREENSHOTS,
    axe_violations,
    fill_address,
    order_id_for,
    pay_on_sandbox,
    ship,
)
from tests.support.server import ServerProcess
from tradewind.bootstrap import build, send_intents, sync_manual_clock
from tradewind.config import Settings
from tradewind.escrow import payouts

RETURNED = "Returned by your bank: the account is closed (AC04)"


def pay_out(demo_server: ServerProcess, seller_id: str) -> None:
    """Run a payout batch for this seller alone, as the worker's daily batch would (the demo
    server's minimum is set out of reach so the other tests' balances stay put). Risk is off
    in this harness: enforcing, the account-takeover rule would rightly hold a payout right
    after a destination change."""
    container = build(
        Settings(
            database_url=demo_server.database_url,
            secret_key="test-secret",
            clock="manual",
            risk_mode="off",
        )
    )
    try:
        sync_manual_clock(container)
        with container.uow() as uow:
            made = payouts.run_payouts(
                uow, container.payments, minimum_major="1", batch_key=unique(), only={seller_id}
            )
            uow.commit()
        assert [p["amount_minor"] for p in made] == [2070], made  # 20.00 + 2.50 postage, less 8%
        send_intents(container)
    finally:
        container.engine.dispose()


def test_a_bad_then_good_iban_and_a_returned_payout_in_the_history(
    market: Market, person: Callable[[str], Page], demo_server: ServerProcess
) -> None:
    shop = market.shop("US")
    _, offer_id = market.listing(shop, f"Desk lamp {unique()}", 2000)
    seller = person(shop.email)
    seller.goto("/seller/payouts")
    expect(seller.locator("#destination-none")).to_be_visible()
    seller.get_by_label("Account holder's name").fill("Ann Lee")
    seller.get_by_label("IBAN").fill("DE89 3704 0044 0532 0130 01")
    seller.get_by_role("button", name="Save the bank account").click()
    expect(seller.locator("#iban-error")).to_contain_text("This is not a valid IBAN.")
    expect(seller.get_by_label("IBAN")).to_have_value("DE89 3704 0044 0532 0130 01")
    expect(seller.get_by_label("IBAN")).to_have_attribute("aria-invalid", "true")
    seller.get_by_label("IBAN").fill("DE89 3704 0044 0532 0130 00")
    seller.get_by_role("button", name="Save the bank account").click()
    expect(seller.locator("#destination-saved")).to_be_visible()
    expect(seller.locator("#destination-iban")).to_have_text("DE89" + "•" * 14 + "3000")

    buyer_email, buyer_headers = market.account("buyer", "US")
    market.add_to_cart(buyer_headers, offer_id)
    buyer = person(buyer_email)
    buyer.goto("/checkout")
    fill_address(buyer)
    buyer.get_by_role("button", name="Place order").click()
    order_id = order_id_for(buyer, shop.name)
    pay_on_sandbox(buyer)
    ship(seller, order_id)
    confirmed = market.http.post(
        f"/api/v1/orders/{order_id}/confirm-receipt", headers=buyer_headers
    )
    assert confirmed.status_code == 200, confirmed.text

    pay_out(demo_server, shop.seller_id)
    seller.goto("/seller/payouts")
    expect(seller.locator("#payout-history .payout-status")).to_have_text("Paid")
    payout_id = seller.locator("#payout-history tbody tr").get_attribute("data-payout-id")
    back = market.http.post(
        "/api/v1/sandbox/psp/payout-returns",
        headers=market.operator,
        json={"payout_id": payout_id, "reason_code": "AC04"},
    )
    assert back.status_code == 201, back.text
    market.advance(10)  # the processor's webhook is delivered

    seller.goto("/seller/payouts")
    expect(seller.locator("#payout-history .payout-status")).to_have_text(RETURNED)
    expect(seller.locator("#payouts-held")).to_contain_text("Your bank sent a payout back.")
    expect(seller.locator("#destination-flag")).to_contain_text("the account is closed (AC04)")
    expect(seller.locator("#balance-available")).to_have_text("$20.70")
    for width, height in ((390, 844), (1366, 900)):
        seller.set_viewport_size({"width": width, "height": height})
        for path in ("/seller/payouts", f"/seller/payouts/{payout_id}"):
            seller.goto(path)
            assert axe_violations(seller) == [], (path, width)
            wide = seller.evaluate("document.documentElement.scrollWidth")
            assert wide <= width, (path, width, wide)
            if SCREENSHOTS:
                name = path.strip("/").replace("/", "_")
                seller.screenshot(path=f"{SCREENSHOTS}/{name}-{width}.png", full_page=True)
    expect(seller.locator("#payout-status")).to_have_text(RETURNED)
