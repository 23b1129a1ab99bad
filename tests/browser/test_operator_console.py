"""Every console page renders for an operator (and only for one), and its forms work."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.market import Market, unique


def test_operator_console_pages(market: Market, person: Callable[[str], Page]) -> None:
    operator = person("operator@tradewind.test")
    operator.goto("/ops")
    expect(operator.locator("#health-db")).to_have_text("reachable")
    expect(operator.locator("#health-timers")).to_have_text(re.compile(r"^\d+$"))

    operator.goto("/ops/fx")
    operator.get_by_label("From currency").fill("USD")
    operator.get_by_label("To currency").fill("GBP")
    operator.locator("#rate").fill("0.7812")
    operator.get_by_label("Reason (for the audit log)").fill("ECB reference rate")
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
    operator.get_by_label("Reason (for the audit log)").fill("weekly run")
    operator.get_by_role("button", name="Run payout batch").click()
    expect(operator.locator("#notice")).to_have_text("The payout batch ran.")

    shopper = person(market.account("buyer", "US")[0])
    shopper.goto("/ops/ledger")
    expect(shopper.locator("#page-error")).to_contain_text("operator")


def test_staff_roles_and_the_audit_log(person: Callable[[str], Page]) -> None:
    """Finance adds a rate, support may not open the ledger, the admin moves the clock; the
    audit log shows exactly those two actions, newest first, with who and why."""
    token = unique()
    finance = person("finance@tradewind.test")
    finance.goto("/ops/fx")
    finance.get_by_label("From currency").fill("USD")
    finance.get_by_label("To currency").fill("JPY")
    finance.locator("#rate").fill("151.25")
    finance.get_by_role("button", name="Add rate").click()  # no reason: the browser asks first
    reason = finance.get_by_label("Reason (for the audit log)")
    assert reason.evaluate("el => el.validity.valueMissing") is True
    expect(finance.locator("#rate")).to_have_value("151.25")
    finance.get_by_label("Reason (for the audit log)").fill(f"BoJ fixing {token}")
    finance.get_by_role("button", name="Add rate").click()
    expect(finance.locator("#notice")).to_have_text("The FX rate was added.")

    support = person("support@tradewind.test")
    support.goto("/ops/ledger")
    expect(support.locator("#page-error")).to_contain_text("your staff role does not have")
    support.goto("/ops")
    expect(support.locator("#greeting")).to_contain_text("Staff role: Support.")
    expect(support.locator("#clock-form")).to_have_count(0)

    admin = person("operator@tradewind.test")
    admin.goto("/ops")
    admin.get_by_label("Move forward by").fill("0")
    admin.get_by_label("Reason", exact=True).fill(f"demo {token}")
    admin.get_by_role("button", name="Move the clock").click()
    expect(admin.locator("#amount-error")).to_have_text("Enter a whole number from 1 to 400.")
    expect(admin.get_by_label("Reason", exact=True)).to_have_value(f"demo {token}")
    admin.get_by_label("Move forward by").fill("1")
    admin.get_by_label("Unit", exact=True).select_option("hours")
    admin.get_by_role("button", name="Move the clock").click()
    expect(admin.locator("#notice")).to_have_text(
        "The clock moved forward and the timers that fell due ran."
    )

    support.goto("/ops/audit")
    support.get_by_label("Words in the reason").fill(token)
    support.get_by_role("button", name="Search").click()
    rows = support.locator("#audit-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Moved the demo clock")
    expect(rows.nth(0)).to_contain_text("Olivia Operator")
    expect(rows.nth(0)).to_contain_text(f"demo {token}")
    expect(rows.nth(1)).to_contain_text("Added an FX rate")
    expect(rows.nth(1)).to_contain_text("Fay Finance")
    expect(rows.nth(1)).to_contain_text(f"BoJ fixing {token}")
    support.get_by_label("What").select_option(label="FX rates")
    support.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("Added an FX rate")
