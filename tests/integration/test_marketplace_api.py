"""Sellers, catalog, cart, checkout and orders over the API, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.support.api import assert_problem, count, register
from tests.support.market import (
    SHIP_TO,
    add_fx,
    list_product,
    next_gtin,
    open_shop,
    operator_headers,
)
from tradewind.bootstrap import Container
from tradewind.db.tables.catalog import offers
from tradewind.db.tables.ordering import checkouts, order_lines, orders
from tradewind.kernel.clock import ManualClock
from tradewind.timers.service import run_due


def _stock(container: Container, offer_id: str) -> int:
    with container.uow(read_only=True) as uow:
        return int(uow.conn.scalar(select(offers.c.stock).where(offers.c.id == offer_id)))


def test_seller_onboarding_needs_operator_approval(
    client: TestClient, container: Container
) -> None:
    ops = operator_headers(client, container)
    seller = register(client, "shop@example.com", role="seller", country="CN")
    applied = client.post(
        "/api/v1/sellers",
        headers=seller,
        json={"name": "Shenzhen Parts", "ship_from": {"line1": "1 Export Rd", "city": "Shenzhen"}},
    )
    assert applied.status_code == 201
    shop = applied.json()
    assert (shop["status"], shop["currency"], shop["country"]) == ("pending", "CNY", "CN")
    blocked = client.post(
        "/api/v1/products",
        headers=seller,
        json={"title": "Cable", "brand": "Acme", "origin_country": "CN", "weight_g": 10},
    )
    assert_problem(blocked, 409, "seller_not_active")
    assert_problem(
        client.post(
            f"/api/v1/sellers/{shop['id']}/status", headers=seller, json={"action": "approve"}
        ),
        403,
        "role_required",
    )
    approved = client.post(
        f"/api/v1/sellers/{shop['id']}/status", headers=ops, json={"action": "approve"}
    )
    assert approved.json()["status"] == "active"
    again = client.post(
        f"/api/v1/sellers/{shop['id']}/status", headers=ops, json={"action": "approve"}
    )
    assert_problem(again, 409, "illegal_transition")
    pending = client.get("/api/v1/sellers?status=active", headers=ops).json()["items"]
    assert [s["id"] for s in pending] == [shop["id"]]


def test_gtin_is_validated_and_unique(client: TestClient, container: Container) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "shop@example.com", "CN")
    base = {"title": "Cable", "brand": "Acme", "origin_country": "CN", "weight_g": 10}
    bad = client.post(
        "/api/v1/products", headers=shop.headers, json={**base, "gtin": "4006381333932"}
    )
    assert assert_problem(bad, 422, "invalid_input")["errors"][0]["code"] == "invalid_gtin"
    good = client.post(
        "/api/v1/products", headers=shop.headers, json={**base, "gtin": "4006381333931"}
    )
    assert good.status_code == 201
    assert good.json()["gtin"] == "04006381333931"
    assert good.json()["hs_code"] == "854442"  # guessed from "Cable"
    dup = client.post(
        "/api/v1/products", headers=shop.headers, json={**base, "gtin": "04006381333931"}
    )
    assert_problem(dup, 409, "product_exists")


def test_product_page_lists_every_sellers_offer(client: TestClient, container: Container) -> None:
    ops = operator_headers(client, container)
    cn = open_shop(client, ops, "cn@example.com", "CN")
    us = open_shop(client, ops, "us@example.com", "US")
    product_id, cn_offer = list_product(client, cn, price_minor=6900, stock=5)
    us_offer = client.post(
        "/api/v1/offers",
        headers=us.headers,
        json={"product_id": product_id, "price_minor": 1299, "stock": 3},
    ).json()
    detail = client.get(f"/api/v1/products/{product_id}").json()
    assert {(o["id"], o["currency"], o["price_minor"]) for o in detail["offers"]} == {
        (cn_offer, "CNY", 6900),
        (us_offer["id"], "USD", 1299),
    }


def test_offer_updates_use_optimistic_versions(client: TestClient, container: Container) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "cn@example.com", "CN")
    other = open_shop(client, ops, "other@example.com", "CN")
    _, offer_id = list_product(client, shop, price_minor=6900, stock=5)
    moved = client.patch(
        f"/api/v1/offers/{offer_id}", headers=shop.headers, json={"version": 1, "stock": 9}
    )
    assert (moved.json()["stock"], moved.json()["version"]) == (9, 2)
    stale = client.patch(
        f"/api/v1/offers/{offer_id}", headers=shop.headers, json={"version": 1, "stock": 1}
    )
    assert_problem(stale, 409, "version_mismatch")
    foreign = client.patch(
        f"/api/v1/offers/{offer_id}", headers=other.headers, json={"version": 2, "stock": 0}
    )
    assert_problem(foreign, 404, "not_found")
    assert _stock(container, offer_id) == 9


def test_multi_seller_checkout_splits_orders_in_buyer_currency(
    client: TestClient, container: Container
) -> None:
    ops = operator_headers(client, container)
    cn = open_shop(client, ops, "cn@example.com", "CN")
    us = open_shop(client, ops, "us@example.com", "US")
    add_fx(container, "CNY", "ILS", "0.5", spread_bps=100)
    add_fx(container, "USD", "ILS", "3.7")
    _, cn_offer = list_product(client, cn, price_minor=6900, stock=5)
    _, us_offer = list_product(client, us, price_minor=1299, stock=3, title="Mouse")
    buyer = register(client, "noa@example.com", country="IL")
    client.put(f"/api/v1/cart/lines/{cn_offer}", headers=buyer, json={"quantity": 2})
    cart = client.put(f"/api/v1/cart/lines/{us_offer}", headers=buyer, json={"quantity": 1})
    # CNY 69.00 * 0.5 * 1.01 = ILS 34.845 -> 34.84 (half-even); USD 12.99 * 3.7 = 48.063 -> 48.06
    assert [
        (line["unit_price_minor"], line["line_total_minor"]) for line in cart.json()["lines"]
    ] == [(3484, 6968), (4806, 4806)]
    assert cart.json()["total_minor"] == 11774

    placed = client.post(
        "/api/v1/checkouts", headers={**buyer, "Idempotency-Key": "k1"}, json={"ship_to": SHIP_TO}
    )
    assert placed.status_code == 201, placed.text
    body = placed.json()
    assert (body["currency"], body["total_minor"], body["status"]) == (
        "ILS",
        11774,
        "awaiting_payment",
    )
    by_seller = {o["seller_id"]: o for o in body["orders"]}
    assert by_seller[cn.seller_id]["total_minor"] == 6968
    assert by_seller[cn.seller_id]["seller_items_minor"] == 13800
    assert by_seller[us.seller_id]["total_minor"] == 4806
    assert {o["status"] for o in body["orders"]} == {"AWAITING_PAYMENT"}
    assert (_stock(container, cn_offer), _stock(container, us_offer)) == (3, 2)
    assert client.get("/api/v1/cart", headers=buyer).json()["lines"] == []

    cn_orders = client.get("/api/v1/orders", headers=cn.headers).json()["items"]
    assert [o["seller_id"] for o in cn_orders] == [cn.seller_id]
    order = client.get(f"/api/v1/orders/{cn_orders[0]['id']}", headers=buyer).json()
    assert order["fx"]["rate"] == "0.5"
    assert order["fx"]["spread_bps"] == 100
    assert [(line["quantity"], line["unit_price_minor"]) for line in order["lines"]] == [(2, 3484)]


def test_orders_are_private(client: TestClient, container: Container) -> None:
    ops = operator_headers(client, container)
    cn = open_shop(client, ops, "cn@example.com", "CN")
    us = open_shop(client, ops, "us@example.com", "US")
    _, offer_id = list_product(client, us, price_minor=1000, stock=5)
    noa = register(client, "noa@example.com", country="US")
    dan = register(client, "dan@example.com", country="US")
    placed = client.post(
        "/api/v1/checkouts",
        headers={**noa, "Idempotency-Key": "a"},
        json={"ship_to": SHIP_TO, "lines": [{"offer_id": offer_id, "quantity": 1}]},
    ).json()
    order_id = placed["orders"][0]["id"]
    for outsider in (dan, cn.headers):
        assert_problem(client.get(f"/api/v1/orders/{order_id}", headers=outsider), 404, "not_found")
        assert_problem(
            client.get(f"/api/v1/checkouts/{placed['id']}", headers=outsider), 404, "not_found"
        )
        assert client.get("/api/v1/orders", headers=outsider).json()["items"] == []
    assert client.get(f"/api/v1/orders/{order_id}", headers=us.headers).status_code == 200
    assert client.get(f"/api/v1/orders/{order_id}", headers=ops).status_code == 200


def test_checkout_idempotency(client: TestClient, container: Container) -> None:
    ops = operator_headers(client, container)
    us = open_shop(client, ops, "us@example.com", "US")
    _, offer_id = list_product(client, us, price_minor=1000, stock=5)
    buyer = register(client, "noa@example.com", country="US")
    request = {"ship_to": SHIP_TO, "lines": [{"offer_id": offer_id, "quantity": 2}]}
    missing = client.post("/api/v1/checkouts", headers=buyer, json=request)
    assert_problem(missing, 422, "idempotency_key_required")
    first = client.post(
        "/api/v1/checkouts", headers={**buyer, "Idempotency-Key": "x"}, json=request
    )
    again = client.post(
        "/api/v1/checkouts", headers={**buyer, "Idempotency-Key": "x"}, json=request
    )
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    changed = client.post(
        "/api/v1/checkouts",
        headers={**buyer, "Idempotency-Key": "x"},
        json={**request, "lines": [{"offer_id": offer_id, "quantity": 1}]},
    )
    assert_problem(changed, 409, "idempotency_key_reused")
    assert count(container, checkouts) == 1
    assert _stock(container, offer_id) == 3


def test_failed_checkout_changes_nothing(client: TestClient, container: Container) -> None:
    ops = operator_headers(client, container)
    us = open_shop(client, ops, "us@example.com", "US")
    _, plenty = list_product(client, us, price_minor=1000, stock=5)
    _, scarce = list_product(client, us, price_minor=1000, stock=1, title="Rare")
    buyer = register(client, "noa@example.com", country="US")
    short = client.post(
        "/api/v1/checkouts",
        headers={**buyer, "Idempotency-Key": "s"},
        json={
            "ship_to": SHIP_TO,
            "lines": [{"offer_id": plenty, "quantity": 2}, {"offer_id": scarce, "quantity": 2}],
        },
    )
    assert_problem(short, 409, "out_of_stock")
    too_many = client.post(
        "/api/v1/checkouts",
        headers={**buyer, "Idempotency-Key": "t"},
        json={"ship_to": SHIP_TO, "lines": [{"offer_id": plenty, "quantity": 100}]},
    )
    assert_problem(too_many, 422, "validation_failed")
    unknown = client.post(
        "/api/v1/checkouts",
        headers={**buyer, "Idempotency-Key": "u"},
        json={"ship_to": SHIP_TO, "lines": [{"offer_id": "ofr_nope", "quantity": 1}]},
    )
    assert_problem(unknown, 404, "offer_unavailable")
    no_fx = register(client, "jonas@example.com", country="DE")
    missing_rate = client.post(
        "/api/v1/checkouts",
        headers={**no_fx, "Idempotency-Key": "v"},
        json={"ship_to": SHIP_TO, "lines": [{"offer_id": plenty, "quantity": 1}]},
    )
    assert_problem(missing_rate, 409, "fx_rate_missing")
    assert (_stock(container, plenty), _stock(container, scarce)) == (5, 1)
    assert (
        count(container, checkouts),
        count(container, orders),
        count(container, order_lines),
    ) == (0, 0, 0)
    # the failed keys were not burned: a corrected retry under a new body is a new request
    ok = client.post(
        "/api/v1/checkouts",
        headers={**buyer, "Idempotency-Key": "s"},
        json={"ship_to": SHIP_TO, "lines": [{"offer_id": plenty, "quantity": 2}]},
    )
    assert ok.status_code == 201


def test_payment_timeout_cancels_and_returns_stock_once(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    ops = operator_headers(client, container)
    us = open_shop(client, ops, "us@example.com", "US")
    _, offer_id = list_product(client, us, price_minor=1000, stock=5)
    buyer = register(client, "noa@example.com", country="US")
    placed = client.post(
        "/api/v1/checkouts",
        headers={**buyer, "Idempotency-Key": "p"},
        json={"ship_to": SHIP_TO, "lines": [{"offer_id": offer_id, "quantity": 3}]},
    ).json()
    assert _stock(container, offer_id) == 2
    clock.advance(timedelta(seconds=container.settings.payment_timeout_s - 1))
    assert run_due(container.uow, container.timer_handlers) == 0
    clock.advance(timedelta(seconds=1))
    assert run_due(container.uow, container.timer_handlers) == 1
    assert run_due(container.uow, container.timer_handlers) == 0
    assert _stock(container, offer_id) == 5
    order = client.get(f"/api/v1/orders/{placed['orders'][0]['id']}", headers=buyer).json()
    assert order["status"] == "CANCELLED"
    assert client.get(f"/api/v1/checkouts/{placed['id']}", headers=buyer).json()["status"] == (
        "expired"
    )
    history = client.get(f"/api/v1/orders/{order['id']}/events", headers=buyer).json()
    assert [(e["event"], e["to_status"]) for e in history] == [
        ("placed", "AWAITING_PAYMENT"),
        ("payment_timeout", "CANCELLED"),
    ]
    # a buyer cancel after the timeout is an illegal transition and returns no stock
    late = client.post(f"/api/v1/orders/{order['id']}/cancel", headers=buyer, json={})
    assert_problem(late, 409, "illegal_transition")
    assert _stock(container, offer_id) == 5


def test_buyer_cancels_unpaid_order(client: TestClient, container: Container) -> None:
    ops = operator_headers(client, container)
    us = open_shop(client, ops, "us@example.com", "US")
    _, offer_id = list_product(client, us, price_minor=1000, stock=5)
    buyer = register(client, "noa@example.com", country="US")
    placed = client.post(
        "/api/v1/checkouts",
        headers={**buyer, "Idempotency-Key": "p"},
        json={"ship_to": SHIP_TO, "lines": [{"offer_id": offer_id, "quantity": 4}]},
    ).json()
    order_id = placed["orders"][0]["id"]
    cancelled = client.post(
        f"/api/v1/orders/{order_id}/cancel", headers=buyer, json={"reason": "changed my mind"}
    )
    assert cancelled.json() == {"id": order_id, "status": "CANCELLED"}
    assert _stock(container, offer_id) == 5
    assert_problem(
        client.post(f"/api/v1/orders/{order_id}/cancel", headers=buyer, json={}),
        409,
        "illegal_transition",
    )
    assert _stock(container, offer_id) == 5


def test_cart_limits(client: TestClient, container: Container) -> None:
    ops = operator_headers(client, container)
    us = open_shop(client, ops, "us@example.com", "US")
    _, offer_id = list_product(client, us, price_minor=1000, stock=5)
    buyer = register(client, "noa@example.com", country="US")
    assert_problem(
        client.put(f"/api/v1/cart/lines/{offer_id}", headers=buyer, json={"quantity": 6}),
        409,
        "insufficient_stock",
    )
    assert_problem(
        client.put("/api/v1/cart/lines/ofr_missing", headers=buyer, json={"quantity": 1}),
        404,
        "not_found",
    )
    assert_problem(
        client.put(f"/api/v1/cart/lines/{offer_id}", headers=us.headers, json={"quantity": 1}),
        403,
        "role_required",
    )
    assert client.get("/api/v1/cart", headers=buyer).json()["lines"] == []


def test_pagination_walks_every_product_once(client: TestClient, container: Container) -> None:
    ops = operator_headers(client, container)
    seen: list[str] = []
    for i in range(5):
        created = client.post(
            "/api/v1/products",
            headers=ops,
            json={
                "title": f"Item {i}",
                "brand": "Acme",
                "gtin": next_gtin(),
                "origin_country": "CN",
                "weight_g": 10,
            },
        )
        assert created.status_code == 201
    cursor = None
    while True:
        url = "/api/v1/products?limit=2" + (f"&after={cursor}" if cursor else "")
        page = client.get(url).json()
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5
    assert seen == sorted(seen)
    assert_problem(client.get("/api/v1/products?limit=101"), 422, "validation_failed")
