"""Parcels through the simulated postal network: webhooks, polling, and what tracking does."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support.api import assert_problem, register
from tests.support.market import list_product, open_shop, operator_headers
from tests.support.money_flow import advance, assert_ledger_ok, buy, pay, set_parcel_fate
from tradewind.bootstrap import Container
from tradewind.kernel.clock import ManualClock
from tradewind.logistics.tracking import SCENARIOS


def _tick(
    client: TestClient,
    container: Container,
    clock: ManualClock,
    hours: int,
    *,
    webhooks: bool = True,
) -> None:
    advance(client, container, clock, hours, webhooks=webhooks)


def _shipped_order(
    client: TestClient,
    container: Container,
    clock: ManualClock,
    scenario: str,
    tracking_number: str | None = None,
) -> tuple[str, dict[str, str], dict[str, str], str]:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "cn@example.com", "CN", currency="USD")
    # EMS from CN plays the scripts as written (logistics.routes); slower services stretch them.
    _, offer_id = list_product(client, shop, price_minor=5000, stock=5, services=("ems",))
    buyer = register(client, "ann@example.com", country="US")
    checkout = buy(client, buyer, offer_id)
    order_id = checkout["orders"][0]["id"]
    pay(client, container, clock, buyer, checkout["id"])
    body = {"tracking_number": tracking_number} if tracking_number else {}
    shipped = client.post(f"/api/v1/orders/{order_id}/ship", headers=shop.headers, json=body)
    assert shipped.status_code == 201, shipped.text
    number = shipped.json()["tracking_number"]
    set_parcel_fate(container, number, scenario)
    return order_id, buyer, shop.headers, number


def test_entered_s10_numbers_are_validated(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "cn@example.com", "CN", currency="USD")
    _, offer_id = list_product(client, shop, price_minor=5000, stock=5)
    buyer = register(client, "ann@example.com", country="US")
    checkout = buy(client, buyer, offer_id)
    order_id = checkout["orders"][0]["id"]
    pay(client, container, clock, buyer, checkout["id"])
    bad = client.post(
        f"/api/v1/orders/{order_id}/ship",
        headers=shop.headers,
        json={"tracking_number": "EB000717594HK"},
    )
    assert_problem(bad, 422, "bad_check_digit")
    assert client.get(f"/api/v1/orders/{order_id}", headers=buyer).json()["status"] == (
        "AWAITING_SHIPMENT"
    )
    good = client.post(
        f"/api/v1/orders/{order_id}/ship",
        headers=shop.headers,
        json={"tracking_number": "rr473124829gb"},
    )
    assert good.json()["tracking_number"] == "RR473124829GB"
    assert good.json()["declaration"]["items"][0]["hs_code"] == "854442"


def test_happy_path_delivers_and_starts_the_countdown(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    order_id, buyer, _, _ = _shipped_order(client, container, clock, "happy_path")
    _tick(client, container, clock, 162)  # the script delivers at 156 h
    timeline = client.get(f"/api/v1/orders/{order_id}/tracking", headers=buyer).json()
    codes = [e["code"] for e in timeline]
    # Every scan once (duplicates were delivered too), in event-time order although some
    # batches arrived reversed.
    assert codes == [step.code for step in SCENARIOS["happy_path"]]
    assert [e["occurred_at"] for e in timeline] == sorted(e["occurred_at"] for e in timeline)
    shipment = client.get(f"/api/v1/orders/{order_id}/shipment", headers=buyer).json()
    assert shipment["status"] == "Delivered"
    kinds = [n["kind"] for n in client.get("/api/v1/notifications", headers=buyer).json()]
    assert kinds == ["delivered"]
    # Delivered at 156 h: protection now ends 10 days after delivery (sooner than 30 days).
    _tick(client, container, clock, 10 * 24)
    assert client.get(f"/api/v1/orders/{order_id}", headers=buyer).json()["status"] == ("COMPLETED")
    assert_ledger_ok(container)


def test_polling_catches_up_when_webhooks_are_lost(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    order_id, buyer, _, _ = _shipped_order(client, container, clock, "happy_path")
    _tick(client, container, clock, 168, webhooks=False)  # daily polls only
    shipment = client.get(f"/api/v1/orders/{order_id}/shipment", headers=buyer).json()
    assert shipment["status"] == "Delivered"


def test_attempt_fail_notifies_both_then_pickup_delivers(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    order_id, buyer, seller, _ = _shipped_order(
        client, container, clock, "failed_delivery_then_pickup"
    )
    _tick(client, container, clock, 162)
    assert [n["kind"] for n in client.get("/api/v1/notifications", headers=seller).json()] == [
        "attemptfail"
    ]
    _tick(client, container, clock, 54)
    shipment = client.get(f"/api/v1/orders/{order_id}/shipment", headers=buyer).json()
    assert shipment["status"] == "Delivered"


def test_returned_parcel_refunds_the_buyer(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    order_id, buyer, _, _ = _shipped_order(client, container, clock, "returned_to_sender")
    _tick(client, container, clock, 160 + 14 * 24 + 6)
    assert client.get(f"/api/v1/orders/{order_id}", headers=buyer).json()["status"] == ("REFUNDED")
    disputes = client.get("/api/v1/disputes", headers=buyer).json()["items"]
    assert [(d["status"], d["resolution"], d["refund_minor"]) for d in disputes] == [
        ("resolved", "refund_full", 5000)
    ]
    assert_ledger_ok(container)


@pytest.mark.parametrize("scenario", ["silent", "lost_in_transit"])
def test_parcel_without_news_expires_into_a_dispute(
    client: TestClient, container: Container, clock: ManualClock, scenario: str
) -> None:
    order_id, buyer, _, _ = _shipped_order(client, container, clock, scenario)
    _tick(client, container, clock, 29 * 24, webhooks=True)
    assert client.get(f"/api/v1/orders/{order_id}", headers=buyer).json()["status"] == (
        "AWAITING_RECEIPT"
    )
    _tick(client, container, clock, 6 * 24)
    shipment = client.get(f"/api/v1/orders/{order_id}/shipment", headers=buyer).json()
    assert shipment["status"] == "Expired"
    assert client.get(f"/api/v1/orders/{order_id}", headers=buyer).json()["status"] == (
        "IN_DISPUTE"
    )
    disputes = client.get("/api/v1/disputes", headers=buyer).json()["items"]
    assert [d["reason"] for d in disputes] == ["not_received"]


def test_tracking_webhooks_must_be_signed(client: TestClient) -> None:
    body = b'{"tracking_number":"RR473124829GB","events":[]}'
    assert_problem(client.post("/api/v1/webhooks/postal-sim", content=body), 401, "bad_signature")
