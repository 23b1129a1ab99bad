"""The home page shows a live flash sale: % claimed and a countdown from the server clock."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.market import Market, unique
from tests.browser.pages import axe_violations


def test_home_shows_the_live_flash_sale_counting_down_by_the_server_clock(
    market: Market, visitor: Page
) -> None:
    shop = market.shop("US")
    _, offer_id = market.listing(shop, f"Espresso grinder {unique()}", 9900)
    # One hour: the home page shows the running sales that end soonest, and other tests' sales
    # on this demo server run for two.
    sale_id = market.flash_sale(shop, offer_id, price_minor=4900, pool=4, hours=1)
    _, buyer_headers = market.account("buyer", "US")
    market.claim(buyer_headers, sale_id, 1)

    visitor.goto("/")
    sale = visitor.locator(f"#flash-{sale_id}")
    expect(sale.locator(".claimed")).to_have_text("25.0% claimed")
    expect(sale.locator(".price")).to_contain_text("$49.00")
    timer = sale.get_by_role("timer")
    # An hour by the server's clock, whatever the browser's clock says (tests move the
    # server's clock days ahead); then the page ticks it down.
    expect(timer).to_have_text(re.compile(r"^0:5\d:\d\d$"))
    first = timer.inner_text()
    expect(timer).not_to_have_text(first)
    assert axe_violations(visitor) == []
