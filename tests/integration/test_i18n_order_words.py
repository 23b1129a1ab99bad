"""An order's tracking scans and history read in words in the page's language: no raw UPU
codes after the place, no English record written by the system (decision 50)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.support.api import PASSWORD, register
from tests.support.market import add_fx, list_product, open_shop, operator_headers
from tests.support.money_flow import advance, buy, pay
from tests.support.web import HTML, web_login
from tradewind.bootstrap import Container
from tradewind.kernel.clock import ManualClock
from tradewind.logistics.tracking import EVENT_CODES

LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def _section(html: str, element_id: str) -> str:
    found = re.search(rf'<ol class="timeline" id="{element_id}">(.*?)</ol>', html, re.S)
    assert found is not None, element_id
    return found.group(1)


def _words(fragment: str) -> list[str]:
    """The Latin words a reader sees, leaving out what is marked as data not to translate
    (the post's place names) and the one-word values isolated in ``<bdi>`` (the parcel's
    number, the payment's reference)."""
    text = re.sub(r'<bdi translate="no">.*?</bdi>', " ", fragment)
    text = re.sub(r"<bdi>[^<\s]*</bdi>", " ", text)
    text = re.sub(r"<[^>]+>", " ", text)
    return sorted(set(LATIN_WORD.findall(text)))


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("he_IL", ("אסמכתת תשלום", "מספר מעקב", "הקונה אישר את קבלת ההזמנה", "נמסר")),
        ("zh_CN", ("付款参考号", "运单号", "买家已确认收货", "已签收")),
    ],
)
def test_scans_and_history_in_the_page_language(
    client: TestClient,
    container: Container,
    clock: ManualClock,
    db_url: str,
    locale: str,
    words: tuple[str, ...],
) -> None:
    ops = operator_headers(client, container)
    add_fx(container, "CNY", "ILS", "0.5")
    add_fx(container, "CNY", "USD", "0.14")
    add_fx(container, "USD", "ILS", "3.6")
    shop = open_shop(client, ops, "shop.words@example.test", "CN")
    _, offer_id = list_product(client, shop, price_minor=2999, stock=3, services=("ems",))
    buyer = register(client, "words@example.test", country="IL")
    bought = buy(client, buyer, offer_id, key="words-1")
    pay(client, container, clock, buyer, bought["id"])
    order_id = bought["orders"][0]["id"]
    sent = client.post(f"/api/v1/orders/{order_id}/ship", headers=shop.headers, json={})
    assert sent.status_code == 201, sent.text
    number = sent.json()["tracking_number"]
    advance(client, container, clock, 240)
    confirmed = client.post(
        f"/api/v1/orders/{order_id}/confirm-receipt",
        headers={**buyer, "Idempotency-Key": "words-confirm"},
    )
    assert confirmed.status_code == 200, confirmed.text
    for headers in (buyer, shop.headers):
        changed = client.patch("/api/v1/me", headers=headers, json={"locale": locale})
        assert changed.status_code == 200, changed.text

    for email in ("words@example.test", "shop.words@example.test"):
        client.cookies.clear()
        web_login(client, email, PASSWORD)
        html = client.get(f"/orders/{order_id}", headers=HTML).text
        scans, history = _section(html, "tracking-timeline"), _section(html, "order-history")
        assert _words(scans) == [], (email, scans)
        assert _words(history) == [], (email, history)
        assert not any(f">{code}<" in scans for code in EVENT_CODES), scans
        assert f"<bdi>{number}</bdi>" in history
        for expected in words:
            assert expected in html, (email, expected)
