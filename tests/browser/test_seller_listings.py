"""A seller with 56 listings searches, filters, pages through them, edits in bulk (with a
mistake first, shown beside its field) and downloads the CSV export and template."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.market import Market, unique


def test_listings_search_filter_page_bulk_edit_and_export(
    market: Market, person: Callable[[str], Page]
) -> None:
    token = unique()
    shop = market.shop()
    for i in range(1, 57):  # every 8th sold out
        market.listing(shop, f"Lamp {token} {i:02d}", 1000 + i, stock=0 if i % 8 == 0 else 5)
    seller = person(shop.email)
    seller.goto("/seller/listings")
    filters = seller.locator("#listing-filters")
    expect(filters.locator('[data-count="all"]')).to_have_text("56")
    expect(filters.locator('[data-count="in_stock"]')).to_have_text("49")
    expect(filters.locator('[data-count="out_of_stock"]')).to_have_text("7")
    expect(filters.locator('[data-count="inactive"]')).to_have_text("0")
    rows = seller.locator("#listings tbody tr")
    expect(rows).to_have_count(50)
    expect(rows.first.locator("th")).to_contain_text(f"Lamp {token} 56")  # newest first
    seller.locator("#next-page").click()
    expect(rows).to_have_count(6)
    expect(rows.last.locator("th")).to_contain_text(f"Lamp {token} 01")

    seller.get_by_role("link", name="Out of stock 7").click()
    expect(rows).to_have_count(7)
    seller.get_by_label("Search your listings").fill(f"lamp {token} 4")
    seller.get_by_role("button", name="Search", exact=True).click()
    expect(rows).to_have_count(2)  # the filter stays: of lamps 40-49, 40 and 48 are sold out
    seller.goto(f"/seller/listings?q=lamp+{token}+4")
    expect(rows).to_have_count(10)  # lamps 40-49

    # Tick two lamps and make a mistake first: a stock that is not a number.
    seller.goto(f"/seller/listings?q=lamp+{token}+0")
    expect(rows).to_have_count(9)  # 01-09
    seller.get_by_label(f"Select Lamp {token} 03").check()
    seller.get_by_label(f"Select Lamp {token} 05").check()
    seller.get_by_label("Change", exact=True).select_option("stock")
    value = seller.locator("#bulk-value")
    value.fill("plenty")
    seller.get_by_role("button", name="Apply to the listings").click()
    expect(value).to_have_value("plenty")
    expect(value).to_have_attribute("aria-invalid", "true")
    expect(seller.locator("#bulk-value-error")).to_have_text("enter a whole number, such as 25")

    seller.get_by_label(f"Select Lamp {token} 03").check()
    seller.get_by_label(f"Select Lamp {token} 05").check()
    seller.get_by_label("Change", exact=True).select_option("price")
    value.fill("9.99")
    seller.get_by_role("button", name="Apply to the listings").click()
    expect(seller.locator("#bulk-result")).to_have_text("2 listings were updated.")
    for n in ("03", "05"):
        row = rows.filter(has_text=f"Lamp {token} {n}")
        expect(row.locator("td").nth(2)).to_have_text("$9.99")
    expect(rows.filter(has_text=f"Lamp {token} 04").locator("td").nth(2)).to_have_text("$10.04")

    # Pause every sold-out lamp at once.
    seller.goto("/seller/listings?filter=out_of_stock")
    seller.get_by_label("Every listing this search and filter match").check()
    seller.get_by_label("Change", exact=True).select_option("pause")
    seller.get_by_role("button", name="Apply to the listings").click()
    expect(seller.locator("#bulk-result")).to_have_text("7 listings were updated.")
    expect(filters.locator('[data-count="inactive"]')).to_have_text("7")

    with seller.expect_download() as download:
        seller.get_by_role("link", name="Export all your listings (CSV)").click()
    exported = download.value.path().read_text(encoding="utf-8-sig")
    table = list(csv.DictReader(io.StringIO(exported)))
    assert len(table) == 56
    lamp3 = next(r for r in table if r["title"] == f"Lamp {token} 03")
    assert (lamp3["price"], lamp3["stock"], lamp3["status"]) == ("9.99", "5", "active")
    lamp8 = next(r for r in table if r["title"] == f"Lamp {token} 08")
    assert (lamp8["price"], lamp8["stock"], lamp8["status"]) == ("10.08", "0", "paused")
    assert lamp8["hs_code"] == "847160"
    with seller.expect_download() as template:
        seller.get_by_role("link", name="Download the CSV template").click()
    header = template.value.path().read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith("gtin,title,brand,price,stock,weight_g,origin_country,product_id")
