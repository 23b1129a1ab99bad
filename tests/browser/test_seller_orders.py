"""A seller sees two paid orders with the buyer's country, items and service, corrects an HS
code (a mistake first, kept and shown), ships both at once and prints the parcel PDF."""

from __future__ import annotations

import io
from collections.abc import Callable

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser.market import Market, unique
from tests.browser.pages import fill_address, order_id_for, pay_on_sandbox, usd
from tradewind.money.allocation import split_commission


def _paid_order(
    market: Market, person: Callable[[str], Page], shop_name: str, offer_id: str, qty: int
) -> str:
    email, headers = market.account("buyer", "US")
    market.add_to_cart(headers, offer_id, qty)
    buyer = person(email)
    buyer.goto("/checkout")
    fill_address(buyer)
    buyer.get_by_role("button", name="Place order").click()
    expect(buyer.locator("#checkout-orders")).to_be_visible()
    order_id = order_id_for(buyer, shop_name)
    pay_on_sandbox(buyer)
    return order_id


def test_seller_corrects_hs_codes_ships_in_bulk_and_prints_the_parcel(
    market: Market, person: Callable[[str], Page]
) -> None:
    shop = market.shop("US")
    title = f"Desk lamp {unique()}"
    _, offer_id = market.listing(shop, title, 2500)
    first = _paid_order(market, person, shop.name, offer_id, 2)
    second = _paid_order(market, person, shop.name, offer_id, 1)

    seller = person(shop.email)
    seller.goto("/seller/orders")
    row = seller.locator("#seller-orders tbody tr", has_text=first)
    cells = row.locator("td")
    expect(cells.nth(2)).to_have_text("United States")
    expect(cells.nth(3)).to_have_text(f"2 × {title}")
    expect(cells.nth(4)).to_have_text("Registered small packet")
    expect(cells.nth(5)).to_have_text("$50.00")

    row.get_by_role("link", name=f"HS codes {first}").click()
    code = seller.get_by_label(f"HS code of {title}")
    expect(code).to_have_value("847160")
    code.fill("94052")
    seller.get_by_role("button", name="Save the HS codes").click()
    expect(seller.locator("#customs-error")).to_have_text("HS code must be 6 digits")
    expect(code).to_have_value("94052")
    expect(code).to_have_attribute("aria-invalid", "true")
    code.fill("940521")
    seller.get_by_role("button", name="Save the HS codes").click()
    expect(seller.locator("#customs-saved")).to_be_visible()
    pdf = seller.request.get(f"/seller/orders/{first}/parcel.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages]
    assert "to be issued by the post when shipped" in pages[0]
    assert "940521" in pages[1]
    assert "Total value: 50.00 (USD)" in pages[1]

    seller.goto("/seller/orders")
    seller.get_by_label(f"Ship order {first}").check()
    seller.get_by_label(f"Ship order {second}").check()
    seller.get_by_role("button", name="Ship the ticked orders").click()
    expect(seller.locator("#ship-result-title")).to_have_text("2 orders were shipped.")
    numbers = seller.locator("#ship-result li bdi").all_inner_texts()
    assert [numbers[0], numbers[2]] == [first, second]
    shipped = PdfReader(io.BytesIO(seller.request.get(f"/seller/orders/{first}/parcel.pdf").body()))
    assert numbers[1] in shipped.pages[0].extract_text()
    seller.goto(f"/seller/orders/{first}/statement")
    figures = seller.locator("#statement td")
    expect(figures.nth(0)).to_have_text("$50.00")
    postage = int(figures.nth(1).inner_text().replace("$", "").replace(".", ""))
    net, fee = split_commission(5000 + postage, 800)  # the demo's 8 %, rounded once
    expect(figures.nth(2)).to_have_text(usd(5000 + postage))
    expect(figures.nth(3)).to_have_text(f"−{usd(fee)}")
    expect(seller.locator("#statement-net")).to_have_text(usd(net))
    expect(seller.locator("#statement-fx")).to_have_text(
        "The buyer paid in your currency: no exchange rate applies."
    )
    seller.goto(f"/seller/orders/{first}/customs")
    expect(
        seller.get_by_text("The order has shipped: its declaration can no longer change.")
    ).to_be_visible()
