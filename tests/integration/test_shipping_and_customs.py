"""Postage and landed cost at checkout, per seller parcel, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from tests.support.api import assert_problem, register
from tests.support.market import add_fx, address_in, list_product, open_shop, operator_headers
from tests.support.money_flow import assert_ledger_ok, deliver_all, pay
from tradewind.bootstrap import Container
from tradewind.kernel.clock import ManualClock
from tradewind.ledger import domain as ledger
from tradewind.ledger.service import balance

ADDRESS = {"full_name": "A Buyer", "line1": "1 Main St", "city": "City", "postal_code": "1"}


def _checkout(
    client: TestClient,
    buyer: dict[str, str],
    offer_id: str,
    country: str,
    key: str,
    service: str | None = None,
    seller_id: str | None = None,
) -> dict:  # type: ignore[type-arg]
    body: dict[str, object] = {
        "ship_to": address_in(country),
        "lines": [{"offer_id": offer_id, "quantity": 1}],
    }
    if service and seller_id:
        body["shipping"] = {seller_id: service}
    response = client.post(
        "/api/v1/checkouts", headers={**buyer, "Idempotency-Key": key}, json=body
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _move_to(clock: ManualClock, when: datetime) -> None:
    clock.advance(when - clock.now())


def test_postage_is_priced_by_weight_and_zone_in_buyer_and_seller_currency(
    client: TestClient, container: Container
) -> None:
    ops = operator_headers(client, container)
    cn = open_shop(client, ops, "cn@example.com", "CN")
    add_fx(container, "CNY", "USD", "0.14")
    add_fx(container, "USD", "CNY", "7.2")
    _, offer_id = list_product(
        client,
        cn,
        price_minor=7000,
        stock=5,
        weight_g=120,
        free_shipping=False,
        services=("registered_small_packet", "ems"),
    )
    buyer = register(client, "ann@example.com", country="US")
    small = _checkout(client, buyer, offer_id, "US", "k1")["orders"][0]
    # CN -> US is zone 3; the demo small-packet tariff charges USD 7.50 for 101-250 g, and the
    # shop is paid the same postage in CNY at the reference rate (7.2): CNY 54.00.
    assert (small["shipping_minor"], small["items_minor"]) == (750, 980)
    assert small["total_minor"] == 1730
    order = client.get(f"/api/v1/orders/{small['id']}", headers=buyer).json()
    assert order["shipping_service"] == "registered_small_packet"
    express = _checkout(client, buyer, offer_id, "US", "k2", "ems", cn.seller_id)["orders"][0]
    assert express["shipping_service"] == "ems"
    assert express["shipping_minor"] > small["shipping_minor"]
    bad = client.post(
        "/api/v1/checkouts",
        headers={**buyer, "Idempotency-Key": "k3"},
        json={
            "ship_to": address_in("US"),
            "lines": [{"offer_id": offer_id, "quantity": 1}],
            "shipping": {cn.seller_id: "ecommerce_parcel"},
        },
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "shipping_service_unavailable"


def test_israel_dap_parcel_above_threshold_shows_an_estimate(
    client: TestClient, container: Container
) -> None:
    ops = operator_headers(client, container)
    us = open_shop(client, ops, "us@example.com", "US")
    add_fx(container, "USD", "ILS", "3.7")
    _, cheap = list_product(client, us, price_minor=10000, stock=5)
    _, dear = list_product(client, us, price_minor=20000, stock=5, title="Headphones")
    buyer = register(client, "noa@example.com", country="IL")
    # 2 March 2026: Israel's exemption threshold is USD 130 (since 25 February 2026).
    below = _checkout(client, buyer, cheap, "IL", "a")["orders"][0]
    order = client.get(f"/api/v1/orders/{below['id']}", headers=buyer).json()
    assert (order["total_minor"], order["vat_minor"]) == (37000, 0)
    above = _checkout(client, buyer, dear, "IL", "b")["orders"][0]
    detail = client.get(f"/api/v1/orders/{above['id']}", headers=buyer).json()
    # USD 200 = ILS 740.00; VAT 18% = ILS 133.20, paid to the carrier on delivery (DAP), so it
    # is an estimate and not part of what the buyer pays now.
    assert detail["total_minor"] == 74000
    assert detail["vat_minor"] == 0
    assert detail["landed_cost"]["vat_minor"] == 13320
    assert detail["landed_cost"]["is_estimate"] is True


def test_eu_ioss_parcel_collects_vat_and_the_3_euro_duty_from_july_2026(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    ops = operator_headers(client, container)
    cn = open_shop(client, ops, "cn@example.com", "CN")
    add_fx(container, "CNY", "EUR", "0.125")
    _, offer_id = list_product(client, cn, price_minor=8000, stock=5)  # CNY 80 = EUR 10.00
    buyer = register(client, "jonas@example.com", country="DE")
    before = _checkout(client, buyer, offer_id, "DE", "before")["orders"][0]
    # IOSS: German VAT 19% collected at checkout on EUR 10.00; no duty under EUR 150.
    assert (before["vat_minor"], before["duty_minor"], before["total_minor"]) == (190, 0, 1190)
    _move_to(clock, datetime(2026, 7, 2, 9, 0, tzinfo=UTC))
    after = _checkout(client, buyer, offer_id, "DE", "after")["orders"][0]
    # From 1 July 2026: EUR 3 per tariff subheading, and VAT on goods + duty: 13.00 x 19%.
    assert (after["duty_minor"], after["vat_minor"], after["total_minor"]) == (300, 247, 1547)


def test_collected_duty_and_vat_go_to_customs_not_the_seller(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    ops = operator_headers(client, container)
    cn = open_shop(client, ops, "cn@example.com", "CN")
    add_fx(container, "CNY", "EUR", "0.125")
    _, offer_id = list_product(client, cn, price_minor=8000, stock=5)
    buyer = register(client, "jonas@example.com", country="DE")
    checkout = _checkout(client, buyer, offer_id, "DE", "c")
    order_id = checkout["orders"][0]["id"]
    pay(client, container, clock, buyer, checkout["id"])
    client.post(f"/api/v1/orders/{order_id}/ship", headers=cn.headers, json={})
    client.post(f"/api/v1/orders/{order_id}/confirm-receipt", headers=buyer)
    deliver_all(client, container, clock)
    with container.uow(read_only=True) as uow:
        assert balance(uow, ledger.platform_customs("EUR")) == -190
        assert balance(uow, ledger.seller_payable(cn.seller_id)) == -7360  # CNY 80 less 8%
        assert balance(uow, ledger.order_escrow(order_id)) == 0
    assert_ledger_ok(container)
    assert clock.now() > datetime(2026, 3, 2, tzinfo=UTC) - timedelta(days=1)


def test_operator_amends_israeli_vat_from_a_date_and_old_orders_keep_theirs(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    ops = operator_headers(client, container)
    us = open_shop(client, ops, "us@example.com", "US")
    add_fx(container, "USD", "ILS", "3.7")
    _, dear = list_product(client, us, price_minor=20000, stock=5, title="Headphones")
    buyer = register(client, "noa@example.com", country="IL")
    before = _checkout(client, buyer, dear, "IL", "before")["orders"][0]
    amended = client.post(
        "/api/v1/customs/rules",
        headers=ops,
        json={
            "destination": "IL",
            "effective_from": "2026-04-01",
            "vat_percent": "20",
            "note": "test amendment",
        },
    )
    assert amended.status_code == 201, amended.text
    history = {r["effective_from"]: r for r in amended.json()}
    assert history["2026-02-25"]["effective_to"] == "2026-04-01"
    assert (history["2026-04-01"]["vat_percent"], history["2026-04-01"]["source"]) == (
        "20",
        "operator amendment: test amendment",
    )
    assert_problem(
        client.post(
            "/api/v1/customs/rules",
            headers=register(client, "x@example.com", country="IL"),
            json={"destination": "IL", "effective_from": "2026-04-01", "vat_percent": "1"},
        ),
        403,
        "role_required",
    )
    _move_to(clock, datetime(2026, 4, 2, 9, 0, tzinfo=UTC))
    after = _checkout(client, buyer, dear, "IL", "after")["orders"][0]
    old = client.get(f"/api/v1/orders/{before['id']}", headers=buyer).json()["landed_cost"]
    new = client.get(f"/api/v1/orders/{after['id']}", headers=buyer).json()["landed_cost"]
    assert (old["vat_minor"], old["rule_id"]) == (13320, "IL/2026-02-25")  # 18% of 740.00
    assert (new["vat_minor"], new["rule_id"]) == (14800, "IL/2026-04-01")  # 20% of 740.00
