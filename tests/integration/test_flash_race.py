"""Flash sales over real HTTP against two server processes, on SQLite and on PostgreSQL.

Many buyers race for a small pool with a per-buyer limit (every request also retried under its
key, concurrently with itself); then unpaid holds expire while two timer workers compete, and
the units go to the waitlist first, in order, exactly once.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.support.bulk import many_buyers
from tests.support.market import Shop, list_product, open_shop, operator_headers
from tradewind.bench.harness import server_process
from tradewind.bootstrap import Container, build
from tradewind.config import Settings
from tradewind.db.tables.flash import flash_buyers, flash_claims, flash_sales
from tradewind.db.tables.ordering import orders
from tradewind.kernel.clock import ManualClock
from tradewind.timers.service import run_due

SHIP_TO = {
    "full_name": "Race Buyer",
    "line1": "1 Main St",
    "city": "Austin",
    "region": "TX",
    "postal_code": "78701",
    "country": "US",
}
BUYERS = 300
POOL = 100
LIMIT = 2
TRIES = 3


@pytest.fixture
def live(container: Container, db_url: str) -> Iterator[str]:
    with server_process(db_url, workers=2) as base_url:
        yield base_url


@pytest.fixture
def shop(client: TestClient, container: Container) -> tuple[Shop, str]:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "race.shop@example.com", "US")
    _, offer_id = list_product(client, shop, price_minor=5000, stock=3, title="Race phone")
    return shop, offer_id


def _create_sale(base_url: str, shop: Shop, offer_id: str, **terms: Any) -> str:
    now = datetime.now(UTC)
    body = {
        "offer_id": offer_id,
        "price_minor": 1999,
        "pool_units": POOL,
        "per_buyer_limit": LIMIT,
        "hold_s": 900,
        "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(),
        **terms,
    }
    response = httpx.post(
        f"{base_url}/api/v1/flash-sales",
        json=body,
        headers={**shop.headers, "Idempotency-Key": f"sale-{offer_id}-{body['pool_units']}"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _claims(
    base_url: str, sale_id: str, requests: list[tuple[dict[str, str], str]]
) -> list[tuple[int, str, str | None]]:
    """Every (headers, key) at once; returns (status, code or "created", claim id)."""
    limits = httpx.Limits(max_connections=len(requests))
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as http:

        async def one(headers: dict[str, str], key: str) -> tuple[int, str, str | None]:
            response = await http.post(
                f"/api/v1/flash-sales/{sale_id}/claims",
                json={"quantity": 1, "ship_to": SHIP_TO},
                headers={**headers, "Idempotency-Key": key},
            )
            body = response.json()
            created = response.status_code == 201
            return (
                response.status_code,
                body.get("code", "created"),
                body["id"] if created else None,
            )

        return await asyncio.gather(*(one(h, k) for h, k in requests))


def _race(base_url: str, sale_id: str, requests: list[tuple[dict[str, str], str]]) -> Any:
    # A thread of its own: Playwright's sync API may hold this thread's event loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _claims(base_url, sale_id, requests)).result()


def _audit(container: Container, sale_id: str) -> dict[str, int]:
    with container.uow(read_only=True) as uow:
        sale = uow.conn.execute(select(flash_sales).where(flash_sales.c.id == sale_id)).one()
        held = uow.conn.scalar(
            select(func.coalesce(func.sum(flash_claims.c.quantity), 0)).where(
                flash_claims.c.sale_id == sale_id, flash_claims.c.status != "released"
            )
        )
        claims = uow.conn.scalar(
            select(func.count()).select_from(flash_claims).where(flash_claims.c.sale_id == sale_id)
        )
        flash_orders = uow.conn.scalar(
            select(func.count())
            .select_from(orders)
            .join(flash_claims, flash_claims.c.order_id == orders.c.id)
            .where(flash_claims.c.sale_id == sale_id)
        )
        most = uow.conn.scalar(
            select(func.coalesce(func.max(flash_buyers.c.units), 0)).where(
                flash_buyers.c.sale_id == sale_id
            )
        )
    return {
        "pool": sale.pool_units,
        "remaining": sale.remaining_units,
        "held": int(held),
        "claims": int(claims),
        "orders": int(flash_orders),
        "most_by_one_buyer": int(most),
    }


@pytest.mark.slow
@pytest.mark.parametrize("copies", [1, 2], ids=["once", "retried"])
def test_many_buyers_race_for_the_pool_and_exactly_the_pool_sells(
    container: Container, live: str, shop: tuple[Shop, str], copies: int
) -> None:
    sale_id = _create_sale(live, *shop)
    buyers = many_buyers(container, BUYERS)
    requests = [
        (headers, f"race-{b}-{t}")
        for b, headers in enumerate(buyers)
        for t in range(TRIES)
        for _ in range(copies)
    ]
    results = _race(live, sale_id, requests)

    outcomes = Counter(code for _, code, _ in results)
    claim_ids = {claim for _, _, claim in results if claim is not None}
    assert len(claim_ids) == POOL
    assert outcomes["created"] == POOL * copies  # a retried winner gets its claim again
    assert set(outcomes) <= {"created", "sold_out", "buyer_limit_reached"}
    assert {s for s, _, _ in results} <= {201, 409}
    if copies == 2:
        per_key: dict[str, set[str | None]] = {}
        for (_, key), (_, _, claim) in zip(requests, results, strict=True):
            per_key.setdefault(key, set()).add(claim)
        assert all(len(seen) == 1 for seen in per_key.values() if seen != {None})
    audit = _audit(container, sale_id)
    assert audit == {
        "pool": POOL,
        "remaining": 0,
        "held": POOL,
        "claims": POOL,
        "orders": POOL,
        "most_by_one_buyer": LIMIT,
    }


def _expire_all(db_url: str, after: timedelta) -> None:
    """Two timer workers (separate engines, like two processes) race through the due timers."""

    def worker() -> None:
        clock = ManualClock()
        clock.advance(after)
        settings = Settings(database_url=db_url, secret_key="test-secret", clock="manual")
        other = build(settings, clock=clock)
        try:
            for _ in range(10):  # a cancellation schedules the release: run until quiet
                if run_due(other.uow, other.timer_handlers) == 0:
                    break
        finally:
            other.engine.dispose()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)


@pytest.mark.slow
def test_expired_holds_go_to_the_waitlist_first_in_order_exactly_once(
    container: Container, db_url: str, live: str, shop: tuple[Shop, str]
) -> None:
    sale_id = _create_sale(live, *shop, pool_units=2, per_buyer_limit=1, hold_s=60)
    first, second, third, fourth, late = many_buyers(container, 5)
    won = _race(live, sale_id, [(first, "a"), (second, "b")])
    assert [s for s, _, _ in won] == [201, 201]
    places = []
    for buyer in (third, fourth):  # in this order
        joined = httpx.post(
            f"{live}/api/v1/flash-sales/{sale_id}/waitlist",
            json={"ship_to": SHIP_TO},
            headers=buyer,
            timeout=30,
        )
        assert joined.status_code == 200, joined.text
        places.append(joined.json()["position"])
    assert places == [1, 2]

    _expire_all(db_url, timedelta(seconds=61))  # first and second never pay
    audit = _audit(container, sale_id)
    assert (audit["remaining"], audit["held"], audit["claims"]) == (0, 2, 4)
    with container.uow(read_only=True) as uow:
        handed = uow.conn.execute(
            select(flash_claims.c.buyer_id, flash_claims.c.seq)
            .where(flash_claims.c.sale_id == sale_id, flash_claims.c.source == "waitlist")
            .order_by(flash_claims.c.seq)
        ).all()
    me = [
        httpx.get(f"{live}/api/v1/flash-sales/{sale_id}/me", headers=b).json()
        for b in (third, fourth)
    ]
    assert [m["waitlist"]["status"] for m in me] == ["served", "served"]
    assert [row.buyer_id for row in handed] == [m["claims"][0]["buyer_id"] for m in me]

    _expire_all(db_url, timedelta(seconds=200))  # nor do the waitlisted buyers: back to the pool
    audit = _audit(container, sale_id)
    assert (audit["remaining"], audit["held"], audit["claims"]) == (2, 0, 4)
    results = _race(live, sale_id, [(late, "late")])  # the gate sees the units within a second
    for _ in range(50):
        if results[0][0] == 201:
            break
        assert results[0][1] == "sold_out"
        time.sleep(0.1)
        results = _race(live, sale_id, [(late, "late")])
    assert results[0][0] == 201
