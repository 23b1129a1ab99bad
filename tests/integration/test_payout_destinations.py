"""A seller's payout destination on both databases: IBANs checked with schwifty (every bad
field named, nothing stored), masked when shown, kept as history; and a change is a live risk
event: a payout right after a change from a new device is held by the batch itself."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.support.api import register
from tests.support.market import list_product, open_shop, operator_headers
from tests.support.money_flow import buy, pay
from tradewind.bootstrap import Container
from tradewind.db.tables.risk import risk_cases
from tradewind.kernel.clock import ManualClock
from tradewind.ledger import domain as ledger
from tradewind.ledger.service import balance
from tradewind.risk import service as risk

URL = "/api/v1/sellers/me/payout-destination"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"risk_mode": "enforce"}


def test_a_bad_iban_is_refused_field_by_field_and_a_good_one_is_kept_masked(
    client: TestClient, container: Container
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "iban.shop@example.com", "DE")
    bad = client.put(
        URL,
        headers=shop.headers,
        json={"holder_name": "Anna Schmidt", "iban": "DE89370400440532013001", "bic": "XXXX"},
    )
    assert bad.status_code == 422, bad.text
    assert [(e["field"], e["code"]) for e in bad.json()["errors"]] == [
        ("iban", "invalid_iban"),
        ("bic", "invalid_bic"),
    ]
    assert client.get(URL, headers=shop.headers).json() == {
        "current": None,
        "history": [],
        "flag": None,
    }

    good = client.put(
        URL,
        headers=shop.headers,
        json={"holder_name": " Anna  Schmidt ", "iban": "de89 3704 0044 0532 0130 00"},
    )
    assert good.status_code == 200, good.text
    shown = good.json()
    assert (shown["holder_name"], shown["iban_masked"], shown["country"], shown["bic"]) == (
        "Anna Schmidt",
        "DE89" + "•" * 14 + "3000",
        "DE",
        None,
    )
    assert "DE89370400440532013000" not in json.dumps(client.get(URL, headers=shop.headers).json())
    buyer = register(client, "iban.buyer@example.com", country="DE")
    refused = client.put(
        URL, headers=buyer, json={"holder_name": "B", "iban": "DE89370400440532013000"}
    )
    assert refused.status_code == 403, refused.text


def test_a_payout_right_after_a_change_from_a_new_device_is_held_live(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "takeover.shop@example.com", "US")
    account_id = client.get("/api/v1/me", headers=shop.headers).json()["id"]
    offer_id = list_product(client, shop, price_minor=2000, stock=2)[1]
    buyer = register(client, "takeover.buyer@example.com", country="US")
    checkout = buy(client, buyer, offer_id, key="t1")
    assert pay(client, container, clock, buyer, checkout["id"])["status"] == "captured"
    order_id = checkout["orders"][0]["id"]
    client.post(f"/api/v1/orders/{order_id}/ship", headers=shop.headers, json={})
    client.post(f"/api/v1/orders/{order_id}/confirm-receipt", headers=buyer)

    changed = client.put(
        URL,
        headers={**shop.headers, "X-Device-Id": "dev_thief_0001"},
        json={"holder_name": "Someone Else", "iban": "GB33BUKB20201555555555"},
    )
    assert changed.status_code == 200, changed.text
    paid = client.post("/api/v1/ops/payouts/run", headers=ops, json={"batch": "day-1"})
    assert paid.json() == []  # held: 1,840 stays payable
    with container.uow(read_only=True) as uow:
        assert balance(uow, ledger.seller_payable(shop.seller_id)) == -1840
        assert risk.payout_restrictions(uow, [account_id]) == {
            account_id: risk.PayoutRestriction(held=True, reserve_bps=0)
        }
        rules = uow.conn.scalar(
            select(risk_cases.c.rules).where(risk_cases.c.subject_id == account_id)
        )
    assert json.loads(str(rules)) == [
        "seller.destination_from_new_device",
        "seller.payout_destination_changed",
    ]
