"""Every console page renders for an operator (and only for one), and its forms work."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.market import Market


def test_operator_console_pages(market: Market, person: Callable[[str], Page]) -> None:
    operator = person("operator@tradewind.test")
    operator.goto("/ops")
    expect(operator.locator("#health-db")).to_have_text("reachable")
    expect(operator.locator("#health-timers")).to_have_text(re.compile(r"^\d+$"))

    operator.goto("/ops/fx")
    operator.get_by_label("From currency").fill("USD")
    operator.get_by_label("To currency").fill("GBP")
    operator.locator("#rate").fill("0.7812")
    operator.get_by_role("button", name="Add rate").click()
    expect(operator.locator("#notice")).to_have_text("The FX rate was added.")
    expect(operator.locator("#fx-table")).to_contain_text("0.7812")

    operator.goto("/ops/customs")
    expect(operator.get_by_role("heading", name="IL")).to_be_visible()
    expect(operator.locator("section", has_text="IL/2026-02-25")).to_contain_text("18%")

    operator.goto("/ops/ledger?prefix=platform:")
    expect(operator.get_by_role("heading", name="Transactions")).to_be_visible()

    operator.goto("/ops/payouts")
    operator.get_by_label("Batch name").fill("console-check")
    operator.get_by_role("button", name="Run payout batch").click()
    expect(operator.locator("#notice")).to_have_text("The payout batch ran.")

    shopper = person(market.account("buyer", "US")[0])
    shopper.goto("/ops/ledger")
    expect(shopper.locator("#page-error")).to_contain_text("operator")
