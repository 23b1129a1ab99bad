"""The operator overview on both databases: its figures are the API's and the ledger's, in the
operator's own days, and a page without an operator is refused."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.support.api import PASSWORD, register
from tests.support.market import list_product, open_shop, operator_headers
from tests.support.money_flow import buy, pay
from tests.support.web import HTML, web_login
from tradewind.bootstrap import Container
from tradewind.kernel.clock import ManualClock
from tradewind.ledger import domain as ledger
from tradewind.ledger.service import balance


def _figure(page: str, element_id: str) -> str:
    found = re.search(rf'<dd id="{element_id}">(.*?)</dd>', page, re.S)
    assert found, element_id
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def _overview(client: TestClient) -> str:
    page = client.get("/ops/overview", headers=HTML)
    assert page.status_code == 200, page.text
    return page.text


def test_the_overview_adds_up_to_the_api_and_the_ledger(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "us@example.com", "US")
    _, offer_id = list_product(client, shop, price_minor=10_000, stock=5)
    buyer = register(client, "noa@example.com", country="US")
    paid = buy(client, buyer, offer_id, key="first")
    unpaid = buy(client, buyer, offer_id, key="second")
    pay(client, container, clock, buyer, paid["id"])
    assert (paid["currency"], unpaid["currency"]) == ("USD", "USD")
    total = paid["total_minor"]
    written = f"${total // 100:,}.{total % 100:02d}"
    client.cookies.clear()
    web_login(client, "ops@example.com", "operator-password")

    page = _overview(client)
    assert _figure(page, "escrow-held") == written
    assert _figure(page, "payouts-due") == "nothing"
    assert _figure(page, "conversion") == "50.0% (1 of 2 checkouts)"
    assert _figure(page, "dispute-rate") == "0.0% (0 per 1 paid orders)"
    assert _figure(page, "refund-rate") == "0.0% (0 per 1 paid orders)"
    assert _figure(page, "late-to-ship") == "0"
    assert _figure(page, "orders-total") == "1"
    # The last bar is today in the operator's zone (Israel: 09:00 UTC is 11:00 on 2 Mar).
    assert f"<title>2 Mar: {written}</title>" in page
    assert "<title>1 Mar: $0.00</title>" in page

    order_id = paid["orders"][0]["id"]
    assert client.post(f"/api/v1/orders/{order_id}/ship", headers=shop.headers, json={}).is_success
    assert client.post(f"/api/v1/orders/{order_id}/confirm-receipt", headers=buyer).is_success
    with container.uow(read_only=True) as uow:
        owed = -balance(uow, ledger.seller_payable(shop.seller_id))
    page = _overview(client)
    assert _figure(page, "escrow-held") == "nothing"
    assert _figure(page, "payouts-due") == f"${owed // 100:,}.{owed % 100:02d}"


def test_only_operators_see_the_overview(client: TestClient) -> None:
    register(client, "noa@example.com", country="US")
    web_login(client, "noa@example.com", PASSWORD)
    assert client.get("/ops/overview", headers=HTML).status_code == 403
