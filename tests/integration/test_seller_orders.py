"""Seller orders: rows with country, items and service; bulk shipping; the parcel PDF read back."""

from __future__ import annotations

import io
import re

from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import func, select

from tests.support.api import PASSWORD, register
from tests.support.market import list_product, open_shop, operator_headers
from tests.support.money_flow import buy, pay
from tests.support.web import HTML, csrf_in, web_login
from tradewind.bootstrap import Container
from tradewind.db.tables.logistics import shipments
from tradewind.escrow import service as escrow
from tradewind.kernel.clock import ManualClock

PRICE = 3000


def _two_paid_orders(
    client: TestClient, container: Container, clock: ManualClock
) -> tuple[list[str], dict[str, str], dict[str, str]]:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "ship.shop@example.com", "US")
    _, offer_id = list_product(client, shop, price_minor=PRICE, stock=9)
    buyer = register(client, "ship.buyer@example.com", country="US")
    ids = []
    for n in (2, 1):
        checkout = buy(client, buyer, offer_id, quantity=n, key=f"buy-{n}")
        paid = pay(client, container, clock, buyer, checkout["id"])
        assert paid["status"] == "captured"
        ids.append(checkout["orders"][0]["id"])
    return ids, buyer, ops


def _pdf_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def _shipment_count(container: Container) -> int:
    with container.uow(read_only=True) as uow:
        return int(uow.conn.scalar(select(func.count()).select_from(shipments)) or 0)


def test_rows_bulk_ship_and_the_parcel_pdf(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    (first, second), buyer, ops = _two_paid_orders(client, container, clock)
    web_login(client, "ship.shop@example.com", PASSWORD)
    listed = client.get("/seller/orders", headers=HTML)
    assert listed.status_code == 200
    row = re.search(rf'<tr>\s*<td><input[^>]+value="{first}".*?</tr>', listed.text, re.S)
    assert row is not None, listed.text[listed.text.find("<table") :][:3000]
    cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row.group(0), re.S)
    assert "Israel" in cells[3]
    assert "2 × <bdi>USB-C cable 1 m</bdi>" in cells[4]  # the title isolated (Hebrew pages)
    assert cells[5] == "Registered small packet"
    assert "$60.00" in cells[6]

    before = client.get(f"/seller/orders/{first}/parcel.pdf", headers=HTML)
    assert before.status_code == 200
    assert before.headers["content-type"] == "application/pdf"
    label, declaration = _pdf_text(before.content)
    for words in ("Shipping label", "Shop ship.shop@example.com", "Noa Levi", "1 Herzl St"):
        assert words in label
    assert "Tel Aviv" in label
    assert "to be issued by the post when shipped" in label
    assert "240 g" in label  # 2 x 120 g
    assert "Customs declaration CN23" in declaration
    assert "USB-C cable 1 m" in declaration
    assert "854442" in declaration
    assert "60.00" in declaration
    assert "Total value: 60.00 (USD)" in declaration

    # Another person never gets this seller's parcel documents.
    client.cookies.clear()
    outsider = client.get(f"/seller/orders/{first}/parcel.pdf", headers=buyer | HTML)
    assert outsider.status_code == 403
    rival = open_shop(client, ops, "rival@example.com", "US")
    for path in ("parcel.pdf", "customs"):
        answer = client.get(f"/seller/orders/{first}/{path}", headers=rival.headers | HTML)
        assert answer.status_code == 404, path  # not even told it exists
    meddled = client.post(
        f"/seller/orders/{first}/customs",
        data={"line_id": "1", "hs_code": "999999"},
        headers=rival.headers | HTML,
    )
    assert meddled.status_code == 404
    web_login(client, "ship.shop@example.com", PASSWORD)

    # HS codes corrected before shipping: a bad one keeps what was typed and changes nothing.
    customs = client.get(f"/seller/orders/{first}/customs", headers=HTML).text
    (line_id,) = re.findall(r'name="line_id" value="(\d+)"', customs)
    amend = {"csrf_token": csrf_in(customs), "line_id": line_id}
    bad = client.post(
        f"/seller/orders/{first}/customs", data={**amend, "hs_code": "12ab"}, headers=HTML
    )
    assert bad.status_code == 422
    assert f'id="hs-{line_id}" name="hs_code" value="12ab"' in bad.text
    assert "HS code must be 6 digits" in bad.text
    assert "854442" in _pdf_text(client.get(f"/seller/orders/{first}/parcel.pdf").content)[1]
    good = client.post(
        f"/seller/orders/{first}/customs", data={**amend, "hs_code": "851762"}, headers=HTML
    )
    assert good.status_code == 200
    assert "The HS codes were saved." in good.text
    assert "851762" in _pdf_text(client.get(f"/seller/orders/{first}/parcel.pdf").content)[1]

    page = client.get("/seller/orders", headers=HTML).text
    shipped = client.post(
        "/seller/orders/ship",
        data={"csrf_token": csrf_in(page), "order_ids": [first, second, "ord_nothere"]},
        headers=HTML,
    )
    assert shipped.status_code == 200
    assert "2 orders were shipped." in shipped.text
    assert "1 order was not shipped." in shipped.text
    assert _shipment_count(container) == 2
    numbers = re.findall(r"<bdi>([A-Z]{2}\d{9}[A-Z]{2})</bdi>", shipped.text)
    assert len(numbers) == 2
    after = _pdf_text(client.get(f"/seller/orders/{first}/parcel.pdf", headers=HTML).content)
    assert numbers[0] in after[0]

    again = client.post(
        "/seller/orders/ship",
        data={"csrf_token": csrf_in(page), "order_ids": [first]},
        headers=HTML,
    )
    assert again.status_code == 422
    assert "1 order was not shipped." in again.text
    assert _shipment_count(container) == 2
    with container.uow(read_only=True) as uow:
        declared = uow.conn.scalar(
            select(shipments.c.declaration).where(shipments.c.order_id == first)
        )
    assert [item["hs_code"] for item in declared["items"]] == ["851762"]
    late = client.post(
        f"/seller/orders/{first}/customs", data={**amend, "hs_code": "854442"}, headers=HTML
    )
    assert late.status_code == 409
    assert "HS codes can be changed only before the order ships" in late.text


def _statement(client: TestClient, order_id: str, headers: dict[str, str]) -> dict[str, str]:
    page = client.get(f"/seller/orders/{order_id}/statement", headers=headers)
    assert page.status_code == 200, page.text
    rows = re.findall(r'<th scope="row">(.*?)</th><td[^>]*>(.*?)</td>', page.text, re.S)
    figures = {head: re.sub(r"<[^>]+>", "", cell).strip() for head, cell in rows}
    state = re.search(r'id="statement-state">(.*?)</p>', page.text, re.S)
    assert state is not None
    figures["state"] = state.group(1)
    return figures


def test_the_statement_projects_then_reads_back_the_release(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    (first, _second), _buyer, ops = _two_paid_orders(client, container, clock)
    web_login(client, "ship.shop@example.com", PASSWORD)
    expected = {
        "Price of the goods": "$60.00",
        "Postage paid by the buyer": "$0.00",
        "Total": "$60.00",
        "Commission (8%)": "−$4.80",  # 800 bps of 6000, rounded once
        "You receive": "$55.20",
    }
    before = _statement(client, first, HTML)
    assert before.pop("state").startswith("Not released yet")
    assert before == expected
    rival = open_shop(client, ops, "rival.statement@example.com", "US")
    assert (
        client.get(f"/seller/orders/{first}/statement", headers=rival.headers | HTML).status_code
        == 404
    )
    with container.uow() as uow:
        escrow.release_to_seller(uow, container.policy, first)
        uow.commit()
    after = _statement(client, first, HTML)
    assert after.pop("state").startswith("Released to you")
    assert after == expected
