"""Hardening of shipping and tracking, over real HTTP against a real server, on both databases.

- A tracking number another shipment holds is a 409 ``tracking_number_in_use`` for the seller
  who typed it and nobody else's problem: the post's own numbering skips typed numbers, and a
  number is free again once its claim is older than the S10 reuse window.
- Concurrent shippers of one number: exactly one wins.
- Signed postal webhooks are type-checked field by field: junk is a 4xx and stores nothing, and
  an update naming one shipment with another shipment's number is refused.

The marketplace is set up in-process (``client``, manual clock); shipping and webhooks go to a
``tradewind serve`` process on the system clock, so webhooks are signed at the current time.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from tests.support.api import count, register
from tests.support.market import Shop, list_product, next_gtin, open_shop, operator_headers
from tests.support.money_flow import buy, pay
from tests.support.server import ServerProcess
from tradewind.bootstrap import POSTAL_WEBHOOK_PATH, Container
from tradewind.db.tables.catalog import products
from tradewind.db.tables.logistics import (
    postal_sim_parcels,
    shipments,
    tracking_events,
    tracking_number_claims,
)
from tradewind.db.tables.ordering import orders
from tradewind.fulfilment.postal_sim import SIGNATURE_HEADER
from tradewind.kernel.clock import ManualClock
from tradewind.logistics.s10 import issue_s10
from tradewind.payments.signing import sign

RACERS = 6


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # One buyer placing a dozen checkouts in a minute, all to one address, is what the risk
    # rules hold for review (tests/integration/test_risk.py); these tests are about shipping.
    return {"risk_mode": "off"}


@dataclass
class Market:
    shops: list[Shop]
    orders: list[list[str]]  # per shop, paid orders awaiting shipment


def _market(
    client: TestClient, container: Container, clock: ManualClock, per_shop: int, shops: int = 2
) -> Market:
    ops = operator_headers(client, container)
    buyer = register(client, "ann@example.com", country="US")
    market = Market([], [])
    for s in range(shops):
        shop = open_shop(client, ops, f"cn{s}@example.com", "CN", currency="USD")
        _, offer_id = list_product(client, shop, price_minor=5000, stock=per_shop)
        placed = []
        for i in range(per_shop):
            checkout = buy(client, buyer, offer_id, key=f"buy-{s}-{i}")
            pay(client, container, clock, buyer, checkout["id"])
            placed.append(checkout["orders"][0]["id"])
        market.shops.append(shop)
        market.orders.append(placed)
    return market


def _state(container: Container) -> dict[str, Any]:
    """Everything a refused request must leave as it was."""
    with container.uow(read_only=True) as uow:

        def count(table: Any) -> int:
            return int(uow.conn.scalar(select(func.count()).select_from(table)) or 0)

        return {
            "shipments": sorted(
                (r.id, r.tracking_number, r.status) for r in uow.conn.execute(select(shipments))
            ),
            "claims": sorted(
                (r.tracking_number, r.shipment_id)
                for r in uow.conn.execute(select(tracking_number_claims))
            ),
            "events": count(tracking_events),
            "parcels": count(postal_sim_parcels),
            "orders": sorted(
                (r.id, r.status) for r in uow.conn.execute(select(orders.c.id, orders.c.status))
            ),
        }


def _ship(http: httpx.Client, shop: Shop, order_id: str, number: str | None) -> httpx.Response:
    body = {"tracking_number": number} if number is not None else {}
    return http.post(f"/api/v1/orders/{order_id}/ship", headers=shop.headers, json=body)


def _problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code, response.text


def _cn(serial: int) -> str:
    return str(issue_s10("RB", serial, "CN"))


def _junk_shipping_input_is_refused(
    http: httpx.Client, container: Container, shop: Shop, order_id: str
) -> None:
    """Control characters, too long, not a string, NUL in path ids; a weight beyond its column
    (the listing form and CSV bypass the API's bound)."""
    for junk, status, code in [
        ("RB00000002\x005CN", 422, "control_characters"),
        ("RB\x1c000000025CN", 422, "control_characters"),
        ("RB\u202e000000025CN", 422, "control_characters"),
        ("R" * 33, 422, "validation_failed"),
    ]:
        _problem(_ship(http, shop, order_id, junk), status, code)
    bad_body = http.post(
        f"/api/v1/orders/{order_id}/ship", headers=shop.headers, json={"tracking_number": {}}
    )
    _problem(bad_body, 422, "validation_failed")
    _problem(
        http.get("/api/v1/orders/ord_%00/shipment", headers=shop.headers), 422, "control_characters"
    )
    _problem(
        http.post("/api/v1/orders/ord_%00/ship", headers=shop.headers, json={}),
        422,
        "control_characters",
    )

    products_before = count(container, products)
    listing = http.post(
        "/seller/listings",
        headers=shop.headers,
        data={
            "gtin": next_gtin(),
            "title": "Anvil",
            "brand": "Acme",
            "price": "10.00",
            "stock": "1",
            "weight_g": "9999999999",
            "origin_country": "CN",
        },
    )
    assert listing.status_code == 422, listing.text
    assert "weight must be 1 to 1000000 g" in listing.text
    assert count(container, products) == products_before


def test_a_clash_is_the_clashers_409_and_the_post_skips_typed_numbers(
    client: TestClient, container: Container, clock: ManualClock, live_server: ServerProcess
) -> None:
    market = _market(client, container, clock, per_shop=4)
    (a, b), (a_orders, b_orders) = market.shops, market.orders
    with httpx.Client(base_url=live_server.base_url, timeout=30) as http:
        first = _ship(http, a, a_orders[0], None)
        assert first.status_code == 201, first.text
        assert first.json()["tracking_number"] == _cn(1)

        # Seller B types A's number: B's 409, in words, and nothing changes.
        before = _state(container)
        _problem(_ship(http, b, b_orders[0], _cn(1)), 409, "tracking_number_in_use")
        # The same on the seller's page: the form again with the error, not raw JSON.
        page = http.post(
            f"/orders/{b_orders[0]}/ship",
            headers=b.headers,
            data={"tracking_number": _cn(1).lower()},
        )
        assert page.status_code == 409
        assert page.headers["content-type"].startswith("text/html")
        assert "is already on another shipment" in page.text
        assert 'id="tracking_number"' in page.text
        assert f'value="{_cn(1).lower()}"' in page.text
        _junk_shipping_input_is_refused(http, container, b, b_orders[0])
        assert _state(container) == before

        # B types the next two numbers the post would issue; the post skips both.
        for order_id, serial in ((b_orders[0], 2), (b_orders[1], 3)):
            typed = _ship(http, b, order_id, _cn(serial))
            assert typed.status_code == 201, typed.text
        issued = [_ship(http, a, a_orders[1], None), _ship(http, b, b_orders[2], None)]
        assert [r.status_code for r in issued] == [201, 201], [r.text for r in issued]
        assert [r.json()["tracking_number"] for r in issued] == [_cn(4), _cn(5)]
        # And the post's counter is not stuck: the next one follows on.
        assert _ship(http, a, a_orders[2], None).json()["tracking_number"] == _cn(6)
    state = _state(container)
    assert len(state["shipments"]) == len(state["claims"]) == state["parcels"] == 6


async def _race(
    base_url: str, shops: list[Shop], order_ids: list[str], number: str | None
) -> list[Any]:
    body = {"tracking_number": number} if number else {}
    limits = httpx.Limits(max_connections=len(order_ids))
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as http:
        return list(
            await asyncio.gather(
                *(
                    http.post(
                        f"/api/v1/orders/{order_id}/ship",
                        headers=shop.headers,
                        json=body,
                    )
                    for shop, order_id in zip(shops, order_ids, strict=True)
                )
            )
        )


def test_concurrent_shippers_of_one_number_exactly_one_wins(
    client: TestClient, container: Container, clock: ManualClock, live_server: ServerProcess
) -> None:
    market = _market(client, container, clock, per_shop=RACERS // 2)
    shops = [shop for shop, placed in zip(market.shops, market.orders, strict=True) for _ in placed]
    order_ids = [order_id for placed in market.orders for order_id in placed]
    number = "RR473124829GB"
    with ThreadPoolExecutor(max_workers=1) as pool:  # an event loop of its own
        results = pool.submit(
            asyncio.run, _race(live_server.base_url, shops, order_ids, number)
        ).result()
    outcomes = Counter((r.status_code, r.json().get("code", "created")) for r in results)
    assert outcomes == {(201, "created"): 1, (409, "tracking_number_in_use"): RACERS - 1}
    winner = next(r.json() for r in results if r.status_code == 201)
    state = _state(container)
    assert state["claims"] == [(number, winner["id"])]
    assert [s[:2] for s in state["shipments"]] == [(winner["id"], number)]
    assert sorted(status for _, status in state["orders"]) == sorted(
        ["AWAITING_RECEIPT"] + ["AWAITING_SHIPMENT"] * (RACERS - 1)
    )
    # The losers race again, each for a number the post issues: all ship, no two alike.
    losers = [
        (shop, o) for shop, o in zip(shops, order_ids, strict=True) if o != winner["order_id"]
    ]
    with ThreadPoolExecutor(max_workers=1) as pool:
        again = pool.submit(
            asyncio.run,
            _race(live_server.base_url, [s for s, _ in losers], [o for _, o in losers], None),
        ).result()
    assert [r.status_code for r in again] == [201] * (RACERS - 1), [r.text for r in again]
    issued = {r.json()["tracking_number"] for r in again}
    assert issued == {_cn(serial) for serial in range(1, RACERS)}
    assert len(_state(container)["claims"]) == RACERS


def _age(container: Container, number: str, days: int) -> None:
    """Move the number's claim and shipment ``days`` into the past (as a year passing would)."""
    with container.uow() as uow:
        past = datetime.now(UTC) - timedelta(days=days)
        uow.conn.execute(
            update(tracking_number_claims)
            .where(tracking_number_claims.c.tracking_number == number)
            .values(claimed_at=past)
        )
        uow.conn.execute(
            update(shipments).where(shipments.c.tracking_number == number).values(shipped_at=past)
        )
        uow.commit()


def _webhook(http: httpx.Client, container: Container, body: bytes) -> httpx.Response:
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(container.postal_secret, body, int(time.time())),
    }
    return http.post(POSTAL_WEBHOOK_PATH, content=body, headers=headers)


def _event(**overrides: Any) -> dict[str, Any]:
    event = {
        "event_id": f"e-{time.monotonic_ns()}",
        "code": "EMA",
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
        "location": "Shenzhen, CN",
        "description": "Posting/collection",
    }
    event.update(overrides)
    return {k: v for k, v in event.items() if v is not ...}


def _update(number: str, reference: str | None, *events: dict[str, Any]) -> bytes:
    payload = {"tracking_number": number, "carrier": "postal-sim", "events": list(events)}
    if reference is not None:
        payload["reference"] = reference
    return json.dumps(payload).encode()


def test_a_number_older_than_the_reuse_window_can_be_shipped_again(
    client: TestClient, container: Container, clock: ManualClock, live_server: ServerProcess
) -> None:
    market = _market(client, container, clock, per_shop=1)
    (a, b), ((a_order,), (b_order,)) = market.shops, market.orders
    number = "EE471108151FR"
    with httpx.Client(base_url=live_server.base_url, timeout=30) as http:
        old = _ship(http, a, a_order, number)
        assert old.status_code == 201, old.text
        _age(container, number, 364)  # still inside the twelve months
        before = _state(container)
        _problem(_ship(http, b, b_order, number), 409, "tracking_number_in_use")
        assert _state(container) == before
        _age(container, number, 366)
        new = _ship(http, b, b_order, number)
        assert new.status_code == 201, new.text
        # Updates by number alone now go to the new parcel, not the year-old one.
        fresh = _webhook(http, container, _update(number, None, _event()))
        assert fresh.status_code == 200, fresh.text
        assert fresh.json() == {"received": 1}
    state = _state(container)
    assert state["claims"] == [(number, new.json()["id"])]
    with container.uow(read_only=True) as uow:
        event_holders = uow.conn.scalars(select(tracking_events.c.shipment_id)).all()
        parcel_holders = uow.conn.scalars(
            select(postal_sim_parcels.c.shipment_id).where(
                postal_sim_parcels.c.tracking_number == number
            )
        ).all()
    assert list(event_holders) == list(parcel_holders) == [new.json()["id"]]


def _junk_updates(number: str, reference: str) -> list[tuple[bytes, int, str]]:
    now = datetime.now(UTC)
    good = _event()
    updates: list[tuple[Any, int, str]] = [
        ([], 422, "bad_event"),
        ("RR473124829GB", 422, "bad_event"),
        ({"tracking_number": {"$ne": ""}, "events": [good]}, 422, "bad_event"),
        ({"tracking_number": 473124829, "events": [good]}, 422, "bad_event"),
        ({"events": [good]}, 422, "bad_event"),
        ({"tracking_number": number}, 422, "bad_event"),
        ({"tracking_number": number, "events": {"0": good}}, 422, "bad_event"),
        ({"tracking_number": number, "reference": ["x"], "events": [good]}, 422, "bad_event"),
        ({"tracking_number": "RB\x00", "events": [good]}, 422, "control_characters"),
    ]
    bad_events: list[tuple[Any, int, str]] = [
        ("EMA", 422, "bad_event"),
        (_event(code=7), 422, "bad_event"),
        (_event(code=...), 422, "bad_event"),
        (_event(code="ZZZ"), 422, "unknown_event_code"),
        (_event(event_id=...), 422, "bad_event"),
        (_event(event_id={"id": 1}), 422, "bad_event"),
        (_event(event_id="x" * 150), 422, "invalid_input"),
        (_event(occurred_at=1764547200), 422, "bad_event"),
        (_event(occurred_at="yesterday"), 422, "bad_event"),
        (_event(occurred_at="0001-01-01T00:00:00+05:00"), 422, "event_time_out_of_range"),
        (_event(occurred_at="9999-12-31T23:59:59-05:00"), 422, "event_time_out_of_range"),
        (_event(occurred_at="2026-03-02T09:00:00"), 422, "naive_datetime"),
        (_event(occurred_at=(now + timedelta(days=400)).isoformat()), 422, "event_in_future"),
        (_event(occurred_at=(now + timedelta(hours=1)).isoformat()), 422, "event_in_future"),
        (_event(occurred_at=(now - timedelta(days=400)).isoformat()), 422, "event_before_shipment"),
        (_event(location={"city": "Shenzhen"}), 422, "bad_event"),
        (_event(location="Shen\x00zhen"), 422, "control_characters"),
        (_event(description="\x1b[31mDelivered"), 422, "control_characters"),
        (_event(location="x" * 101), 422, "invalid_input"),
    ]
    updates += [
        ({"tracking_number": number, "reference": reference, "events": [good, e]}, s, c)
        for e, s, c in bad_events
    ]
    updates.append(({"tracking_number": number, "events": [good] * 101}, 422, "too_many_events"))
    encoded = [(json.dumps(body).encode(), status, code) for body, status, code in updates]
    encoded.append((b"{not json", 422, "bad_event"))
    encoded.append((b"[" * 100_000, 422, "bad_event"))
    return encoded


def test_postal_webhooks_with_junk_or_a_foreign_number_store_nothing(
    client: TestClient, container: Container, clock: ManualClock, live_server: ServerProcess
) -> None:
    market = _market(client, container, clock, per_shop=1)
    (a, b), ((a_order,), (b_order,)) = market.shops, market.orders
    with httpx.Client(base_url=live_server.base_url, timeout=30) as http:
        mine = _ship(http, a, a_order, None).json()
        other = _ship(http, b, b_order, None).json()
        before = _state(container)
        for body, status, code in _junk_updates(mine["tracking_number"], mine["id"]):
            response = _webhook(http, container, body)
            _problem(response, status, code)
            assert _state(container) == before, body[:200]
        # An update naming my shipment but carrying the other shipment's number is refused.
        crossed = _update(other["tracking_number"], mine["id"], _event(code="EMI"))
        _problem(_webhook(http, container, crossed), 422, "tracking_number_mismatch")
        assert _state(container) == before
        # The channel still works for a well-formed update.
        good = _webhook(http, container, _update(mine["tracking_number"], mine["id"], _event()))
        assert good.status_code == 200, good.text
        assert good.json() == {"received": 1}
    after = _state(container)
    assert after["events"] == before["events"] + 1
    assert [s for s in after["shipments"] if s[0] == other["id"]] == [
        (other["id"], other["tracking_number"], "InfoReceived")
    ]
