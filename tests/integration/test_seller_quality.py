"""The quality rules enforced on both databases: a shop that ships late past the threshold is
warned by one review and paused by the next (no new listings, no payout), every step kept and
shown; an operator reinstates it with a reason (audited), and it lists and is paid again."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.integration.test_seller_performance import RULES, _four_orders
from tests.support.api import PASSWORD, assert_problem, register
from tests.support.market import list_product
from tests.support.money_flow import advance
from tests.support.web import HTML, session_csrf, web_login
from tradewind.bootstrap import Container
from tradewind.kernel.clock import ManualClock
from tradewind.quality.enforcement import schedule_review


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    import json

    return {"risk_mode": "off", "quality_rules": json.dumps(RULES)}


def _me(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    body = client.get("/api/v1/sellers/me/performance", headers=headers)
    assert body.status_code == 200, body.text
    return body.json()  # type: ignore[no-any-return]


def _review(client: TestClient, container: Container, clock: ManualClock) -> None:
    """Let the next daily review fall due and run (with the day's other timers)."""
    with container.uow() as uow:
        schedule_review(uow, clock.now())
        uow.commit()
    advance(client, container, clock, 24, webhooks=False)


def test_late_shipments_warn_then_pause_until_an_operator_reinstates(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    shop, buyer, ids, ops = _four_orders(client, container, clock)
    b = ids[1]
    assert client.post(f"/api/v1/orders/{b}/confirm-receipt", headers=buyer).is_success
    assert _me(client, shop.headers)["enforced"] == "good"

    _review(client, container, clock)
    first = _me(client, shop.headers)
    assert first["enforced"] == "warned"
    assert [(s["step"], s["level"], s["by_operator"]) for s in first["steps"]] == [
        ("warned", "warned", False)
    ]
    late = {(v["measure"], v["days"]): v for v in first["steps"][0]["verdicts"]}
    assert late[("late_shipment", 30)] == {
        "measure": "late_shipment",
        "days": 30,
        "level": "paused",
        "part": 2,
        "whole": 4,
        "value": 5000,
        "warn": 400,
        "pause": 1000,
    }
    assert set(late) == {("late_shipment", 30), ("cancellation", 30)}
    list_product(client, shop, price_minor=500, stock=1, title="Allowed while warned")

    _review(client, container, clock)
    paused = _me(client, shop.headers)
    assert paused["enforced"] == "paused"
    assert [s["step"] for s in paused["steps"]] == ["paused", "warned"]
    product = client.post(
        "/api/v1/products",
        headers=shop.headers,
        json={
            "title": "Refused",
            "brand": "Acme",
            "origin_country": "CN",
            "weight_g": 10,
            "hs_code": "854442",
        },
    )
    assert product.status_code == 201, product.text
    refused = client.post(
        "/api/v1/offers",
        headers=shop.headers,
        json={
            "product_id": product.json()["id"],
            "price_minor": 500,
            "stock": 1,
            "free_shipping": True,
            "shipping_services": ["registered_small_packet"],
        },
    )
    assert_problem(refused, 409, "listings_paused")
    owed = client.get("/api/v1/sellers/me/balances", headers=shop.headers).json()
    held = client.post("/api/v1/ops/payouts/run", headers=ops, json={"batch": "held"})
    assert held.json() == []
    assert client.get("/api/v1/sellers/me/balances", headers=shop.headers).json() == owed

    _review(client, container, clock)  # paused stays paused whatever the figures
    assert [s["step"] for s in _me(client, shop.headers)["steps"]] == ["paused", "warned"]

    _pages_while_paused(client, shop.seller_id)

    other = register(client, "nobody@example.com", role="seller", country="US")
    path = f"/api/v1/ops/sellers/{shop.seller_id}/quality/reinstate"
    assert client.post(path, headers=other, json={"reason": "mine"}).status_code == 403
    assert_problem(client.post(path, headers=ops, json={"reason": "  "}), 422, "reason_required")
    assert _me(client, shop.headers)["enforced"] == "paused"
    done = client.post(path, headers=ops, json={"reason": "Carrier strike; spoke to the shop"})
    assert done.status_code == 200, done.text
    assert (done.json()["step"], done.json()["level"]) == ("reinstated", "good")
    assert_problem(client.post(path, headers=ops, json={"reason": "again"}), 409, "not_paused")
    after = _me(client, shop.headers)
    assert after["enforced"] == "good"
    assert [(s["step"], s["reason"]) for s in after["steps"]] == [
        ("reinstated", "Carrier strike; spoke to the shop"),
        ("paused", ""),
        ("warned", ""),
    ]
    list_product(client, shop, price_minor=500, stock=1, title="Listed again")
    paid = client.post("/api/v1/ops/payouts/run", headers=ops, json={"batch": "after"}).json()
    assert [(p["seller_id"], p["amount_minor"]) for p in paid] == [
        (shop.seller_id, owed["available_minor"])
    ]


PAST = (
    "Late shipment rate over 30 days: 50.0% (2 of 4); "
    "Cancellation rate over 30 days: 50.0% (2 of 4)"
)


def _text(html: str, pattern: str) -> list[str]:
    return [re.sub(r"<[^>]+>|\s+", " ", m).strip() for m in re.findall(pattern, html, re.S)]


def _pages_while_paused(client: TestClient, seller_id: str) -> None:
    """The shop reads each step in words; the operator's page refuses a reinstatement without
    a reason and shows the page again with the error at the field, changing nothing."""
    client.cookies.clear()
    web_login(client, "us@example.com", PASSWORD)
    page = client.get("/seller/performance", headers=HTML).text
    assert _text(page, r'<p id="quality-state"[^>]*>(.*?)</p>') == [
        "New listings and payouts are paused: your shop went past a quality threshold. "
        "An operator will review it."
    ]
    steps = [t.split(": ", 1)[1] for t in _text(page, r"<li data-step=[^>]*>(.*?)</li>")]
    assert steps == [
        f"New listings and payouts paused, still past a threshold: {PAST}.",
        f"Warned, past a threshold: {PAST}.",
    ]
    client.cookies.clear()
    web_login(client, "ops@example.com", "operator-password")
    queue = client.get("/ops/quality", headers=HTML)
    assert f'id="quality-{seller_id}"' in queue.text
    refused = client.post(
        f"/ops/quality/{seller_id}/reinstate",
        data={"reason": " ", "csrf_token": session_csrf(client, "/ops/quality")},
        headers=HTML,
        follow_redirects=False,
    )
    assert refused.status_code == 422, refused.text
    assert 'aria-invalid="true"' in refused.text
    assert _text(refused.text, r'<div class="error" role="alert"[^>]*>(.*?)</div>') == [
        "say why, in a few words"
    ]
    client.cookies.clear()
