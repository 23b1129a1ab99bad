"""A new seller signs up, applies, is approved by an operator and lists by CSV upload, where
one bad row is reported with its line number while the good rows apply."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.market import Market, new_gtin, unique


def test_new_shop_is_approved_and_uploads_listings_with_one_bad_row(
    visitor: Page, person: Callable[[str], Page]
) -> None:
    token = unique()
    shop_name = f"Lantern Works {token}"
    lantern, stove, broken = new_gtin(), new_gtin(), new_gtin()
    broken = broken[:-1] + str((int(broken[-1]) + 1) % 10)  # wrong check digit

    seller = visitor
    seller.goto("/register?role=seller")
    seller.get_by_label("Your name or company").fill(shop_name)
    seller.get_by_label("Email").fill(f"lantern.{token}@example.com")
    seller.get_by_label("Password", exact=False).fill(Market.ACCOUNT_PASSWORD)
    seller.get_by_label("Country").select_option("US")
    seller.get_by_role("button", name="Sign up").click()
    seller.get_by_label("Shop name").fill(shop_name)
    seller.get_by_label("Ship-from address").fill("12 Harbor Road")
    seller.get_by_label("City").fill("Seattle")
    seller.get_by_role("button", name="Apply").click()
    expect(seller.locator("#shop-status")).to_contain_text("waiting for approval")
    seller.goto("/seller/listings")  # not before approval: back to the dashboard
    expect(seller.locator("#shop-status")).to_contain_text("waiting for approval")

    operator = person("operator@tradewind.test")
    operator.goto("/ops/sellers")
    operator.get_by_label(f"Reason for {shop_name}").fill("documents checked")
    operator.get_by_role("button", name=f"Approve {shop_name}").click()
    expect(operator.locator("#notice")).to_have_text("The shop was approved.")

    seller.goto("/seller")
    expect(seller.locator("#shop-status")).to_contain_text("is open")
    seller.goto("/seller/listings")
    csv = "\n".join(
        [
            "gtin,title,brand,price,stock,weight_g,origin_country",
            f"{lantern},Solar lantern {token},Brightly,24.50,12,350,CN",
            f"{stove},Camping stove {token},Brightly,39.00,4,900,CN",
            f"{broken},Broken row {token},Brightly,10.00,1,100,CN",
            f"{lantern},Solar lantern {token},Brightly,22.00,15,350,CN",
        ]
    )
    seller.get_by_label("CSV file").set_input_files(
        files=[{"name": "listings.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    seller.get_by_role("button", name="Upload").click()

    expect(seller.locator("#result-title")).to_have_text("3 rows applied, 1 rejected")
    expect(seller.locator("#import-result")).to_contain_text(
        "2 new products, 2 new offers, 1 updated."
    )
    errors = seller.locator("#import-errors tbody tr")
    expect(errors).to_have_count(1)
    expect(errors.locator("th")).to_have_text("4")
    expect(errors.locator("td")).to_contain_text("not a valid GTIN")
    lantern_row = seller.locator("#listings tbody tr", has_text=f"Solar lantern {token}")
    expect(lantern_row.locator("td").nth(2)).to_have_text("$22.00")  # the later row won
    expect(lantern_row.locator("td").nth(3)).to_have_text("15")
    expect(seller.locator("#listings tbody tr", has_text=f"Camping stove {token}")).to_be_visible()
    expect(seller.locator("#listings")).not_to_contain_text("Broken row")

    seller.goto(f"/search?q=lantern+{token}")  # buyers find the new product at once
    # Other demo products may match some of the words; the count says so after the one.
    expect(seller.locator("#result-count")).to_have_text(re.compile(r"^1 product found\b"))
