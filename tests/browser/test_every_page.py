"""Every page, as each kind of person sees it, at a phone's width (390 px) and a laptop's
(1366 px): nothing scrolls sideways, and axe-core finds no serious or critical violation.

Set ``TRADEWIND_SCREENSHOTS=/some/dir`` to keep a full-page PNG of each page at both widths.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.market import Market, unique
from tests.browser.pages import axe_violations, fill_address, order_id_for, ship
from tradewind.payments.sandbox import CARD_SUCCESS

WIDTHS = ((390, 844), (1366, 900))
SHOTS = os.environ.get("TRADEWIND_SCREENSHOTS", "")

# The document wider than the window, and the elements that stick out, by their right edge.
_OVERFLOW_JS = """() => {
  const doc = document.documentElement;
  if (doc.scrollWidth <= doc.clientWidth) return [];
  const out = [`page ${doc.scrollWidth} px wide in a ${doc.clientWidth} px window`];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > doc.clientWidth + 1) {
      out.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}` +
               `${el.className ? '.' + String(el.className).split(' ').join('.') : ''}` +
               ` right edge ${Math.round(box.right)}`);
    }
    if (out.length > 6) break;
  }
  return out;
}"""


class Survey:
    """Visits pages at both widths and collects what is wrong on each."""

    def __init__(self) -> None:
        self.problems: list[dict[str, Any]] = []
        self.visited: list[str] = []
        self.widths = WIDTHS

    def check(self, page: Page, who: str, path: str | None = None) -> None:
        """``path``: go there first; None checks the page as it is (after a form post)."""
        for width, height in self.widths:
            page.set_viewport_size({"width": width, "height": height})
            if path is not None:
                response = page.goto(path)
                assert response is not None
                assert response.status < 500, (path, response.status)
            page.wait_for_load_state("load")
            label = f"{who} {path or page.url} @{width}"
            if overflow := page.evaluate(_OVERFLOW_JS):
                self.problems.append({"page": label, "overflow": overflow})
            for found in axe_violations(page):
                self.problems.append(
                    {
                        "page": label,
                        "axe": found["rule"],
                        "nodes": [n.get("target") for n in found["nodes"]],
                    }
                )
            if SHOTS:
                name = f"{who}-{(path or page.url).strip('/').replace('/', '_') or 'home'}"
                safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:90]
                Path(SHOTS).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=f"{SHOTS}/{safe}-{width}.png", full_page=True)
        self.visited.append(f"{who} {path or page.url}")


def test_every_page_fits_a_phone_and_a_laptop_and_passes_axe(
    market: Market, person: Callable[[str], Page], visitor: Page
) -> None:
    token = unique()
    shop = market.shop("US")
    product_id, offer_id = market.listing(shop, f"Travel adapter {token} universal", 5000)
    _, other_offer = market.listing(market.shop("US"), f"Travel pouch {token}", 1500)
    sale_product, sale_offer = market.listing(shop, f"Travel kettle {token}", 4000)
    market.flash_sale(shop, sale_offer, price_minor=2500, pool=3)
    buyer_email, buyer_headers = market.account("buyer", "US")
    market.add_to_cart(buyer_headers, offer_id)
    market.add_to_cart(buyer_headers, other_offer, 2)
    survey = Survey()

    buyer = person(buyer_email)
    for path in (
        "/",
        f"/search?q=adapter+{token}",
        f"/products/{product_id}",
        f"/products/{sale_product}",  # a flash sale running: its claim block
        f"/shops/{shop.seller_id}",
        "/cart",
        "/checkout",
    ):
        survey.check(buyer, "buyer", path)
    fill_address(buyer)
    buyer.get_by_role("button", name="Place order").click()
    expect(buyer.locator("#checkout-orders")).to_be_visible()
    order_id = order_id_for(buyer, shop.name)
    survey.check(buyer, "buyer")  # the placed checkout, awaiting payment, with the Pay button
    buyer.locator("#pay").click()
    expect(buyer.get_by_role("heading", name="Sandbox Pay")).to_be_visible()
    survey.check(buyer, "buyer")  # the sandbox processor's payment page
    buyer.get_by_label("Card number").fill(CARD_SUCCESS)
    buyer.get_by_role("button", name="Pay", exact=False).click()
    expect(buyer.locator("#checkout-state")).to_have_text("Paid")

    seller = person(shop.email)
    for path in (
        "/seller",
        "/seller/listings",
        "/seller/orders",
        "/seller/balances",
        "/seller/payouts",
        "/seller/performance",
        "/seller/chargebacks",
        "/seller/promotions",
        "/seller/promotions/new/discount",
        "/seller/promotions/new/coupon",
    ):
        survey.check(seller, "seller", path)
    survey.check(seller, "seller", f"/seller/orders/{order_id}/customs")
    survey.check(seller, "seller", f"/seller/orders/{order_id}/statement")
    ship(seller, order_id)
    survey.check(seller, "seller", f"/orders/{order_id}")

    buyer.goto(f"/orders/{order_id}")
    buyer.get_by_text("Something is wrong: open a dispute").click()
    buyer.get_by_label("Reason").select_option("damaged")
    buyer.get_by_label("What happened?").fill("The adapter arrived with a cracked case.")
    buyer.get_by_role("button", name="Open dispute").click()
    expect(buyer.locator("#dispute-status")).to_have_text("open")
    dispute_path = buyer.url.removeprefix(market.http.base_url.__str__().rstrip("/"))
    for path in (
        f"/orders/{order_id}",
        "/orders",
        "/disputes",
        dispute_path,
        "/account",
        "/account/notifications",
        "/account/addresses",
        "/no/such/page",
    ):
        survey.check(buyer, "buyer", path)
    for path in ("/disputes", dispute_path, "/account", "/account/notifications"):
        survey.check(seller, "seller", path)

    operator = person("operator@tradewind.test")
    for path in (
        "/ops",
        "/ops/overview",
        "/ops/sellers",
        "/ops/applications",
        "/ops/quality",
        "/orders",
        f"/orders/{order_id}",
        "/disputes",
        dispute_path,
        "/ops/fx",
        "/ops/customs",
        "/ops/ledger",
        "/ops/payouts",
        "/ops/chargebacks",
        "/ops/mismatches",
        "/ops/audit",
        "/ops/promotions",
        "/account",
    ):
        survey.check(operator, "operator", path)

    for path in (
        "/",
        f"/search?q=adapter+{token}",
        f"/products/{product_id}",
        f"/shops/{shop.seller_id}",
        "/login",
        "/register",
        "/register?role=seller",
        "/no/such/page",
    ):
        survey.check(visitor, "visitor", path)

    assert survey.problems == [], survey.problems
    assert len(survey.visited) == 60
