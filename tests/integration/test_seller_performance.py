"""A seller's performance on both databases: late shipments, valid tracking, disputes,
cancellations and response time over 30 and 90 days, the same in the API and on the page,
judged by the configured rules; another seller sees only their own, a buyer has none."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.api import PASSWORD, assert_problem, register
from tests.support.market import Shop, list_product, open_shop, operator_headers
from tests.support.money_flow import advance, buy, pay
from tests.support.web import HTML, web_login
from tradewind.bootstrap import Container
from tradewind.kernel.clock import ManualClock

RULES = [
    {"measure": "late_shipment", "days": 30, "warn": 400, "pause": 1000, "min_count": 4},
    {"measure": "valid_tracking", "days": 30, "warn": 9500, "pause": 9000, "min_count": 2},
    {"measure": "dispute", "days": 90, "warn": 3000, "pause": 5000, "min_count": 4},
    {"measure": "cancellation", "days": 30, "warn": 250, "pause": 5000, "min_count": 4},
    {"measure": "response_time", "days": 30, "warn": 48, "pause": 72, "min_count": 1},
]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"risk_mode": "off", "quality_rules": json.dumps(RULES)}


def _ship(client: TestClient, shop: Shop, order_id: str) -> None:
    shipped = client.post(f"/api/v1/orders/{order_id}/ship", headers=shop.headers, json={})
    assert shipped.status_code == 201, shipped.text


def _four_orders(
    client: TestClient, container: Container, clock: ManualClock
) -> tuple[Shop, dict[str, str], list[str], dict[str, str]]:
    """Order A ships at once, B a day after its 2-day handling time, C the seller cancels,
    D is never shipped (the ship-by timer cancels it); the buyer disputes A and the seller
    answers 6 hours later."""
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "us@example.com", "US")
    _, offer_id = list_product(client, shop, price_minor=10_000, stock=10)
    buyer = register(client, "noa@example.com", country="US")
    ids = []
    for key in "ABCD":
        checkout = buy(client, buyer, offer_id, key=key)
        pay(client, container, clock, buyer, checkout["id"])
        ids.append(checkout["orders"][0]["id"])
    a, b, c, _ = ids
    cancelled = client.post(
        f"/api/v1/orders/{c}/cancel", headers=shop.headers, json={"reason": "out of stock"}
    )
    assert cancelled.json()["status"] == "CANCELLED_REFUNDED", cancelled.text
    _ship(client, shop, a)
    advance(client, container, clock, 72)
    _ship(client, shop, b)
    advance(client, container, clock, 72)
    dispute = client.post(
        f"/api/v1/orders/{a}/disputes",
        headers=buyer,
        json={"reason": "not_received", "message": "Where is it?"},
    )
    assert dispute.status_code == 201, dispute.text
    advance(client, container, clock, 6, webhooks=False)
    answered = client.post(
        f"/api/v1/disputes/{dispute.json()['id']}/messages",
        headers=shop.headers,
        json={"message": "It is on its way: see the tracking."},
    )
    assert answered.status_code == 200, answered.text
    return shop, buyer, ids, ops


def _by_key(body: dict[str, Any]) -> dict[tuple[str, int], tuple[int, int, int | None]]:
    return {(f["measure"], f["days"]): (f["part"], f["whole"], f["value"]) for f in body["figures"]}


def test_the_figures_count_each_order_once_in_both_windows(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    shop, _, ids, _ = _four_orders(client, container, clock)
    statuses = [
        client.get(f"/api/v1/orders/{i}", headers=shop.headers).json()["status"] for i in ids
    ]
    assert statuses[2:] == ["CANCELLED_REFUNDED", "CANCELLED_REFUNDED"]

    body = client.get("/api/v1/sellers/me/performance", headers=shop.headers).json()
    figures = _by_key(body)
    for days in (30, 90):
        assert figures[("late_shipment", days)] == (2, 4, 5000)  # B late, D never shipped
        assert figures[("valid_tracking", days)] == (2, 2, 10000)  # A and B scanned
        assert figures[("dispute", days)] == (1, 4, 2500)
        assert figures[("cancellation", days)] == (2, 4, 5000)  # C by the seller, D by timer
        assert figures[("response_time", days)] == (6 * 3600, 1, 6)
    levels = {r["measure"]: r["level"] for r in body["rules"]}
    assert levels == {
        "late_shipment": "paused",
        "valid_tracking": "good",
        "dispute": "good",
        "cancellation": "warned",
        "response_time": "good",
    }
    assert body["level"] == "paused"

    client.cookies.clear()
    web_login(client, "us@example.com", PASSWORD)
    page = client.get("/seller/performance", headers=HTML)
    assert page.status_code == 200, page.text
    assert ">Log out<" in page.text  # the header knows the seller
    assert ">Log in<" not in page.text
    assert _dd(page.text, "late_shipment-30") == "50.0% (2 of 4)"
    assert _dd(page.text, "valid_tracking-90") == "100.0% (2 of 2)"
    assert _dd(page.text, "dispute-90") == "25.0% (1 of 4)"
    assert _dd(page.text, "response_time-30") == "6 hours (1 disputes)"
    assert _dd(page.text, "late_shipment-rule") == (
        "Warning above 4.0%; new listings and payouts paused above 10.0% "
        "(last 30 days, from 4 orders)."
    )
    assert _dd(page.text, "late_shipment-level") == "Past the pause threshold"
    assert _dd(page.text, "cancellation-level") == "Warning"
    assert "<title>30 days: 50.0%</title>" in page.text


def test_the_window_forgets_what_is_older_than_it(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    shop, _, _, _ = _four_orders(client, container, clock)
    advance(client, container, clock, 30 * 24)  # every promise is now over 30 days old
    figures = _by_key(client.get("/api/v1/sellers/me/performance", headers=shop.headers).json())
    assert figures[("late_shipment", 30)] == (0, 0, None)
    assert figures[("late_shipment", 90)] == (2, 4, 5000)
    assert figures[("dispute", 30)] == (0, 0, None)
    assert figures[("response_time", 90)] == (6 * 3600, 1, 6)


def test_each_seller_sees_only_their_own(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    _, _, _, ops = _four_orders(client, container, clock)
    other = open_shop(client, ops, "de@example.com", "DE")
    body = client.get("/api/v1/sellers/me/performance", headers=other.headers).json()
    assert {f["whole"] for f in body["figures"]} == {0}
    assert body["level"] == "good"
    buyer = register(client, "amir@example.com", country="US")
    assert_problem(client.get("/api/v1/sellers/me/performance", headers=buyer), 404, "no_shop")


def _dd(page: str, element_id: str) -> str:
    found = re.search(rf'<dd id="{element_id}">(.*?)</dd>', page, re.S)
    assert found, element_id
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()
