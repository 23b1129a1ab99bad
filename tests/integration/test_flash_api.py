"""Flash sales through the API on both databases: campaigns, claims, limits, holds, waitlist.

In-process (TestClient, manual clock); the races over real HTTP against real server processes
are in test_flash_race.py and test_flash_crash.py.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.support.api import assert_problem, register
from tests.support.market import Shop, address_in, list_product, open_shop, operator_headers
from tests.support.money_flow import pay
from tradewind.bootstrap import Container
from tradewind.db.tables.catalog import offers
from tradewind.db.tables.flash import flash_claims, flash_sales
from tradewind.db.tables.timers import timers
from tradewind.kernel.clock import ManualClock
from tradewind.timers.service import run_due

HOLD_S = 900
US_SHIP_TO = address_in("US")


@dataclass
class Market:
    client: TestClient
    container: Container
    clock: ManualClock
    ops: dict[str, str]
    shop: Shop
    offer_id: str

    def create_sale(self, *, key: str = "sale", **terms: Any) -> dict[str, Any]:
        now = self.clock.now()
        body = {
            "offer_id": self.offer_id,
            "price_minor": 999,
            "pool_units": 5,
            "per_buyer_limit": 2,
            "hold_s": HOLD_S,
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(hours=3)).isoformat(),
            **terms,
        }
        response = self.client.post(
            "/api/v1/flash-sales", json=body, headers={**self.shop.headers, "Idempotency-Key": key}
        )
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def buyer(self, name: str) -> dict[str, str]:
        return register(self.client, f"{name}@example.com", country="US")

    def claim(self, sale_id: str, buyer: dict[str, str], key: str, quantity: int = 1) -> Any:
        return self.client.post(
            f"/api/v1/flash-sales/{sale_id}/claims",
            json={"quantity": quantity, "ship_to": US_SHIP_TO},
            headers={**buyer, "Idempotency-Key": key},
        )

    def sale(self, sale_id: str) -> dict[str, Any]:
        response = self.client.get(f"/api/v1/flash-sales/{sale_id}")
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def run_timers(self) -> int:
        ran = 0
        for _ in range(10):  # a cancellation schedules the release: run until quiet
            batch = run_due(self.container.uow, self.container.timer_handlers)
            ran += batch
            if batch == 0:
                return ran
        raise AssertionError("timers kept scheduling timers")


@pytest.fixture
def market(client: TestClient, container: Container, clock: ManualClock) -> Market:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "flash.shop@example.com", "US")
    _, offer_id = list_product(client, shop, price_minor=1999, stock=7, title="Hot phone")
    return Market(client, container, clock, ops, shop, offer_id)


def _offer_stock(container: Container, offer_id: str) -> int:
    with container.uow(read_only=True) as uow:
        return int(uow.conn.scalar(select(offers.c.stock).where(offers.c.id == offer_id)))


def _conserved(container: Container, sale_id: str) -> tuple[int, int, int]:
    """(pool, remaining, units of active or releasing claims): pool == remaining + held."""
    with container.uow(read_only=True) as uow:
        sale = uow.conn.execute(select(flash_sales).where(flash_sales.c.id == sale_id)).one()
        held = sum(
            r.quantity
            for r in uow.conn.execute(
                select(flash_claims.c.quantity).where(
                    flash_claims.c.sale_id == sale_id, flash_claims.c.status != "released"
                )
            )
        )
    return sale.pool_units, sale.remaining_units, held


def test_a_seller_creates_a_sale_and_everyone_sees_the_countdown(market: Market) -> None:
    sale = market.create_sale(pool_units=100, per_buyer_limit=2)
    assert sale["phase"] == "live"
    assert sale["remaining_units"] == 100
    assert sale["claimed_percent"] == 0.0
    assert sale["ends_in_s"] == 3 * 3600
    public = market.client.get(f"/api/v1/flash-sales/{sale['id']}")  # no credentials needed
    assert public.status_code == 200
    assert public.json()["server_time"] == market.clock.now().isoformat().replace("+00:00", "Z")
    listed = market.client.get("/api/v1/flash-sales").json()["items"]
    assert [s["id"] for s in listed] == [sale["id"]]
    assert _offer_stock(market.container, market.offer_id) == 7  # the pool is separate


def test_only_the_offers_seller_or_an_operator_may_create_a_sale(market: Market) -> None:
    body = {
        "offer_id": market.offer_id,
        "price_minor": 999,
        "pool_units": 5,
        "per_buyer_limit": 2,
        "hold_s": HOLD_S,
        "starts_at": market.clock.now().isoformat(),
        "ends_at": (market.clock.now() + timedelta(hours=1)).isoformat(),
    }
    other = open_shop(market.client, market.ops, "other.shop@example.com", "US")
    buyer = market.buyer("nosy")
    for headers, status in ((other.headers, 404), (buyer, 403)):
        response = market.client.post(
            "/api/v1/flash-sales", json=body, headers={**headers, "Idempotency-Key": "x"}
        )
        assert response.status_code == status, response.text
    too_dear = market.client.post(
        "/api/v1/flash-sales",
        json={**body, "price_minor": 2000},
        headers={**market.shop.headers, "Idempotency-Key": "dear"},
    )
    assert_problem(too_dear, 422, "invalid_input")


def test_a_claim_is_an_order_awaiting_payment_and_a_retry_returns_it(market: Market) -> None:
    sale = market.create_sale()
    buyer = market.buyer("noa")
    first = market.claim(sale["id"], buyer, "k1", quantity=2)
    assert first.status_code == 201, first.text
    claim = first.json()
    assert claim["status"] == "active"
    assert claim["total_minor"] == 2 * 999
    assert claim["hold_until"] == (
        market.clock.now() + timedelta(seconds=HOLD_S)
    ).isoformat().replace("+00:00", "Z")
    again = market.claim(sale["id"], buyer, "k1", quantity=2)
    assert again.status_code == 201
    assert again.json()["id"] == claim["id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert_problem(market.claim(sale["id"], buyer, "k1", quantity=1), 409, "idempotency_key_reused")
    order = market.client.get(f"/api/v1/orders/{claim['order_id']}", headers=buyer).json()
    assert order["status"] == "AWAITING_PAYMENT"
    assert order["lines"][0]["quantity"] == 2
    checkout = market.client.get(f"/api/v1/checkouts/{claim['checkout_id']}", headers=buyer)
    assert checkout.json()["status"] == "awaiting_payment"
    assert market.sale(sale["id"])["remaining_units"] == 3
    assert market.sale(sale["id"])["claimed_percent"] == 40.0


def test_the_per_buyer_limit_counts_every_claim(market: Market) -> None:
    sale = market.create_sale(per_buyer_limit=2)
    buyer = market.buyer("greedy")
    assert market.claim(sale["id"], buyer, "a").status_code == 201
    assert market.claim(sale["id"], buyer, "b").status_code == 201
    assert_problem(market.claim(sale["id"], buyer, "c"), 409, "buyer_limit_reached")
    assert_problem(
        market.claim(sale["id"], market.buyer("big"), "d", 3), 409, "buyer_limit_reached"
    )
    mine = market.client.get(f"/api/v1/flash-sales/{sale['id']}/me", headers=buyer).json()
    assert mine["units_held"] == 2
    assert mine["units_left_to_claim"] == 0
    assert [c["order_status"] for c in mine["claims"]] == ["AWAITING_PAYMENT"] * 2
    assert _conserved(market.container, sale["id"]) == (5, 3, 2)


def test_not_started_and_ended_are_refused_without_changing_anything(market: Market) -> None:
    start = market.clock.now() + timedelta(hours=1)
    sale = market.create_sale(
        starts_at=start.isoformat(), ends_at=(start + timedelta(hours=1)).isoformat()
    )
    buyer = market.buyer("early")
    early = assert_problem(market.claim(sale["id"], buyer, "e1"), 409, "not_started")
    assert "3600 s" in early["detail"]
    assert market.sale(sale["id"])["phase"] == "scheduled"
    market.clock.advance(timedelta(hours=1))
    assert market.claim(sale["id"], buyer, "e2").status_code == 201
    market.clock.advance(timedelta(hours=1))
    assert_problem(market.claim(sale["id"], buyer, "e3"), 409, "ended")
    assert _conserved(market.container, sale["id"]) == (5, 4, 1)


def test_sold_out_then_released_holds_go_to_the_waitlist_in_order(market: Market) -> None:
    sale = market.create_sale(pool_units=1, per_buyer_limit=1)
    first, second, third = (market.buyer(n) for n in ("first", "second", "third"))
    won = market.claim(sale["id"], first, "w1").json()
    assert_problem(market.claim(sale["id"], second, "w2"), 409, "sold_out")
    assert_problem(market.claim(sale["id"], third, "w3"), 409, "sold_out")
    places = [
        market.client.post(
            f"/api/v1/flash-sales/{sale['id']}/waitlist", json={"ship_to": US_SHIP_TO}, headers=b
        ).json()
        for b in (second, third)
    ]
    assert [p["position"] for p in places] == [1, 2]
    assert market.sale(sale["id"])["waitlist_length"] == 2

    market.clock.advance(timedelta(seconds=HOLD_S + 1))  # the winner never pays
    market.run_timers()
    assert market.run_timers() == 0  # exactly once: nothing left to do
    order = market.client.get(f"/api/v1/orders/{won['order_id']}", headers=first).json()
    assert order["status"] == "CANCELLED"
    handed = market.client.get(f"/api/v1/flash-sales/{sale['id']}/me", headers=second).json()
    assert handed["waitlist"]["status"] == "served"
    assert handed["claims"][0]["source"] == "waitlist"
    assert handed["claims"][0]["order_status"] == "AWAITING_PAYMENT"
    still = market.client.get(f"/api/v1/flash-sales/{sale['id']}/me", headers=third).json()
    assert still["waitlist"]["position"] == 1
    assert _conserved(market.container, sale["id"]) == (1, 0, 1)

    market.clock.advance(timedelta(seconds=HOLD_S + 1))  # the second one does not pay either
    market.run_timers()
    served = market.client.get(f"/api/v1/flash-sales/{sale['id']}/me", headers=third).json()
    assert served["waitlist"]["status"] == "served"
    market.clock.advance(timedelta(seconds=HOLD_S + 1))  # nor the third: back to the pool
    market.run_timers()
    assert _conserved(market.container, sale["id"]) == (1, 1, 0)
    assert _offer_stock(market.container, market.offer_id) == 7  # never the offer's stock
    late = market.buyer("late")
    deadline = time.monotonic() + 5  # the gate's sold-out flag is fresh for at most 1 s
    while (response := market.claim(sale["id"], late, "w4")).status_code == 409:
        assert time.monotonic() < deadline, response.text
        time.sleep(0.1)
    assert response.status_code == 201


def test_the_waitlist_opens_only_when_sold_out(market: Market) -> None:
    sale = market.create_sale(pool_units=2)
    buyer = market.buyer("eager")
    response = market.client.post(
        f"/api/v1/flash-sales/{sale['id']}/waitlist", json={"ship_to": US_SHIP_TO}, headers=buyer
    )
    assert_problem(response, 409, "not_sold_out")


def test_a_paid_claim_keeps_its_units_and_its_hold_never_fires(market: Market) -> None:
    sale = market.create_sale()
    buyer = market.buyer("payer")
    claim = market.claim(sale["id"], buyer, "p1").json()
    payment = pay(market.client, market.container, market.clock, buyer, claim["checkout_id"])
    assert payment["status"] == "captured"
    market.clock.advance(timedelta(seconds=HOLD_S + 1))
    market.run_timers()
    order = market.client.get(f"/api/v1/orders/{claim['order_id']}", headers=buyer).json()
    assert order["status"] == "AWAITING_SHIPMENT"
    assert _conserved(market.container, sale["id"]) == (5, 4, 1)
    with market.container.uow(read_only=True) as uow:
        kinds = uow.conn.execute(select(timers.c.kind, timers.c.status)).all()
    assert ("flash.release", "pending") not in kinds


def test_a_buyer_cancelling_an_unpaid_claim_returns_its_units_to_the_sale(market: Market) -> None:
    sale = market.create_sale()
    buyer = market.buyer("changed.mind")
    claim = market.claim(sale["id"], buyer, "c1", quantity=2).json()
    cancelled = market.client.post(
        f"/api/v1/orders/{claim['order_id']}/cancel", json={"reason": "no"}, headers=buyer
    )
    assert cancelled.status_code == 200, cancelled.text
    assert _conserved(market.container, sale["id"]) == (5, 3, 2)  # on its way back
    market.run_timers()
    assert _conserved(market.container, sale["id"]) == (5, 5, 0)
    mine = market.client.get(f"/api/v1/flash-sales/{sale['id']}/me", headers=buyer).json()
    assert mine["units_held"] == 0  # the allowance came back with the units
    assert _offer_stock(market.container, market.offer_id) == 7


def test_claims_need_a_key_and_a_buyer(market: Market) -> None:
    sale = market.create_sale()
    missing = market.client.post(
        f"/api/v1/flash-sales/{sale['id']}/claims",
        json={"ship_to": US_SHIP_TO},
        headers=market.buyer("keyless"),
    )
    assert_problem(missing, 422, "idempotency_key_required")
    anonymous = market.client.post(
        f"/api/v1/flash-sales/{sale['id']}/claims",
        json={"ship_to": US_SHIP_TO},
        headers={"Idempotency-Key": "anon"},
    )
    assert_problem(anonymous, 401, "unauthenticated")
    assert_problem(market.claim(sale["id"], market.shop.headers, "s"), 403, "role_required")
    assert_problem(market.claim("flash_nope", market.buyer("lost"), "n"), 404, "not_found")


def test_a_bad_token_is_refused_and_a_saved_address_can_be_used(market: Market) -> None:
    sale = market.create_sale()
    bad = market.claim(sale["id"], {"Authorization": "Bearer tw_not_a_token"}, "bad")
    assert_problem(bad, 401, "bad_token")
    buyer = market.buyer("with.address")
    address = market.client.post("/api/v1/addresses", json=US_SHIP_TO, headers=buyer)
    assert address.status_code == 201, address.text
    claimed = market.client.post(
        f"/api/v1/flash-sales/{sale['id']}/claims",
        json={"address_id": address.json()["id"]},
        headers={**buyer, "Idempotency-Key": "addr"},
    )
    assert claimed.status_code == 201, claimed.text
    order = market.client.get(f"/api/v1/orders/{claimed.json()['order_id']}", headers=buyer)
    assert order.json()["ship_to"]["city"] == US_SHIP_TO["city"]
    invalid = market.client.post(
        f"/api/v1/flash-sales/{sale['id']}/claims",
        json={"quantity": 11, "ship_to": US_SHIP_TO},
        headers={**buyer, "Idempotency-Key": "too-many"},
    )
    assert_problem(invalid, 422, "validation_failed")


def test_a_cross_border_claim_collects_ioss_vat_like_a_checkout(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    """A French shop's sale claimed from Germany under EUR 150: the claim's order stores the
    quote a checkout would (IOSS, German VAT 19 % collected now, in the order's, checkout's
    and claim's totals)."""
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "flash.paris@example.com", "FR")
    _, offer_id = list_product(client, shop, price_minor=15000, stock=5, title="Hot lens")
    market = Market(client, container, clock, ops, shop, offer_id)
    sale = market.create_sale(price_minor=10000)  # EUR 100
    buyer = register(client, "jonas@example.com", country="DE")
    claim = client.post(
        f"/api/v1/flash-sales/{sale['id']}/claims",
        json={"quantity": 1, "ship_to": address_in("DE")},
        headers={**buyer, "Idempotency-Key": "de1"},
    )
    assert claim.status_code == 201, claim.text
    order = client.get(f"/api/v1/orders/{claim.json()['order_id']}", headers=buyer).json()
    taxes, landed = order["import_taxes"], order["landed_cost"]
    assert (taxes["paid"], taxes["regime"]) == ("at_checkout", landed["regime"])
    assert landed["regime"] is not None
    assert (order["items_minor"], order["shipping_minor"], order["duty_minor"]) == (10000, 0, 0)
    assert order["vat_minor"] == landed["vat_minor"] == 1900  # 19 % of EUR 100
    assert (taxes["collected_now_minor"], taxes["due_on_delivery_minor"]) == (1900, 0)
    assert order["total_minor"] == 11900 == claim.json()["total_minor"]
    checkout = client.get(f"/api/v1/checkouts/{claim.json()['checkout_id']}", headers=buyer)
    assert checkout.json()["total_minor"] == 11900
    other = client.get(f"/api/v1/orders/{order['id']}", headers=market.buyer("someone.else"))
    assert other.status_code == 404  # another buyer cannot read the claim's order
