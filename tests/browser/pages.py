"""What a person does on the pages, written once for every browser test."""

from __future__ import annotations

import os
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tradewind.payments.sandbox import CARD_SUCCESS

AXE = Path(__file__).resolve().parents[2] / ".cache/axe/node_modules/axe-core/axe.min.js"
SCREENSHOTS = os.environ.get("TRADEWIND_SCREENSHOTS", "")  # a folder: shoot() saves PNGs there
COMMISSION = Decimal("0.08")  # the demo's default commission (800 bps)


def released(total_minor: int) -> int:
    """What the seller gets for an order total: the total less 8 % commission, rounded once,
    half to even, on the commission."""
    commission = (Decimal(total_minor) * COMMISSION).quantize(Decimal(1), ROUND_HALF_EVEN)
    return total_minor - int(commission)


def usd(minor: int) -> str:
    return f"${minor // 100:,}.{minor % 100:02d}"


def add_listing(page: Page, *, gtin: str, title: str, price: str, stock: int = 5) -> None:
    page.goto("/seller/listings")
    page.get_by_label("GTIN (barcode)").fill(gtin)
    page.get_by_label("Title (for a new product)").fill(title)
    page.get_by_label("Brand").fill("Skyward")
    page.get_by_label("Price in USD").fill(price)
    page.get_by_label("Stock", exact=True).fill(str(stock))
    page.get_by_label("Weight in grams").fill("200")
    page.get_by_label("Made in (country code)").fill("CN")
    page.get_by_role("button", name="Add listing").click()
    expect(page.locator("#result-title")).to_have_text("1 row applied, 0 rejected")


def add_offer_to_cart(page: Page, shop_name: str) -> None:
    """On a product page: add one unit from the shop called ``shop_name``."""
    offer = page.locator("li.offer").filter(has=page.get_by_role("heading", name=shop_name))
    offer.get_by_role("button", name=f"Add to cart from {shop_name}").click()
    expect(page.locator("#notice")).to_have_text("Your cart was updated.")


def fill_address(page: Page) -> None:
    page.get_by_label("Address", exact=True).fill("350 Fifth Avenue")
    page.get_by_label("City").fill("New York")
    page.get_by_label("State or region", exact=False).fill("NY")
    page.get_by_label("Postal code").fill("10118")
    page.get_by_label("Country").select_option("US")


def pay_on_sandbox(page: Page) -> None:
    """From the checkout page: pay with the sandbox's success card and wait for the webhook."""
    page.locator("#pay").click()
    expect(page.get_by_role("heading", name="Sandbox Pay")).to_be_visible()
    page.get_by_label("Card number").fill(CARD_SUCCESS)
    page.get_by_role("button", name="Pay", exact=False).click()
    expect(page.locator("#checkout-state")).to_have_text("Paid")


def ship(page: Page, order_id: str, tracking_number: str = "") -> str:
    """As the seller: ship the order (empty number: the post issues one); returns the number."""
    page.goto(f"/orders/{order_id}")
    expect(page.locator("#declaration")).to_be_visible()
    page.get_by_label("S10 tracking number", exact=False).fill(tracking_number)
    page.get_by_role("button", name="Mark as shipped").click()
    expect(page.locator("#notice")).to_have_text("The order was marked as shipped.")
    number = page.locator("#tracking-number").inner_text()
    if tracking_number:
        assert number == tracking_number
    return number


def order_id_for(page: Page, shop_name: str) -> str:
    """On a checkout page: the id of the order placed with ``shop_name``."""
    href = page.get_by_role("link", name=shop_name).get_attribute("href") or ""
    assert href.startswith("/orders/"), href
    return href.removeprefix("/orders/")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Serious and critical axe-core findings on the page as it is now."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run ./scripts/test, which installs axe-core from npm")
    # Evaluated through the DevTools protocol, not added as an inline <script>: the pages'
    # Content-Security-Policy (rightly) refuses inline scripts, and the test must not weaken it.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    assert result["passes"], "axe ran no check on this page"
    return [
        {"page": page.url, "rule": v["id"], "impact": v["impact"], "nodes": v["nodes"]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def shoot(page: Page, name: str) -> None:
    """Full-page screenshots at 390 px and 1366 px into $TRADEWIND_SCREENSHOTS, when set, for
    a person to look at; the page keeps the viewport it had."""
    if not SCREENSHOTS:
        return
    size = page.viewport_size
    for width in (390, 1366):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}-{width}.png"), full_page=True)
    if size is not None:
        page.set_viewport_size(size)
