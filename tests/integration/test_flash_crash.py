"""SIGKILL in the middle of a flash sale: no acknowledged claim is lost, nothing is oversold.

Two server processes take claims from many buyers at once; as soon as some claims have been
acknowledged, the whole server (supervisor and workers) is killed with SIGKILL. After a
restart, every acknowledged claim is there with its order, a retry of each returns it, the
pool is conserved, and the rest of the sale sells exactly the pool.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.support.bulk import many_buyers
from tests.support.crash import killable_server, post_until_killed, run_async
from tests.support.market import list_product, open_shop, operator_headers
from tradewind.bootstrap import Container
from tradewind.db.tables.flash import flash_buyers, flash_claims, flash_sales
from tradewind.db.tables.ordering import orders

SHIP_TO = {
    "full_name": "Crash Buyer",
    "line1": "1 Main St",
    "city": "Austin",
    "region": "TX",
    "postal_code": "78701",
    "country": "US",
}
POOL = 200
LIMIT = 2
BUYERS = 150
KILL_AFTER_ACKS = 40
IN_FLIGHT = 16


@pytest.mark.slow
def test_sigkill_mid_sale_loses_no_acknowledged_claim(
    client: TestClient, container: Container, db_url: str, tmp_path: Path
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "crash.shop@example.com", "US")
    _, offer_id = list_product(client, shop, price_minor=5000, stock=1, title="Crash phone")
    buyers = many_buyers(container, BUYERS)
    log = tmp_path / "server.log"
    with killable_server(db_url, log) as (base_url, proc):
        now = datetime.now(UTC)
        created = httpx.post(
            f"{base_url}/api/v1/flash-sales",
            json={
                "offer_id": offer_id,
                "price_minor": 1999,
                "pool_units": POOL,
                "per_buyer_limit": LIMIT,
                "hold_s": 900,
                "starts_at": now.isoformat(),
                "ends_at": (now + timedelta(hours=1)).isoformat(),
            },
            headers={**shop.headers, "Idempotency-Key": "crash-sale"},
            timeout=30,
        )
        assert created.status_code == 201, created.text
        sale_id = created.json()["id"]
        claim = {"quantity": 1, "ship_to": SHIP_TO}
        requests = [
            (f"/api/v1/flash-sales/{sale_id}/claims", claim, {**h, "Idempotency-Key": key})
            for b, h in enumerate(buyers)
            for key in (f"crash-{b}-{t}" for t in range(LIMIT))
        ]
        acknowledged = run_async(
            post_until_killed(
                base_url, requests, proc, kill_after_acks=KILL_AFTER_ACKS, in_flight=IN_FLIGHT
            )
        )
        assert proc.poll() is not None, "the server was not killed"
    assert len(acknowledged) >= KILL_AFTER_ACKS

    stored = _stored(container, sale_id)
    assert set(acknowledged.values()) <= set(stored), "an acknowledged claim was lost"
    _assert_invariants(container, sale_id, sold=len(stored))
    assert len(stored) < POOL, "the kill came too late to be in the middle of the sale"

    with killable_server(db_url, log) as (base_url, _):
        retried = run_async(_retry(base_url, sale_id, buyers, acknowledged))
        assert retried == acknowledged  # same key, same claim, after the restart
        rest = run_async(_sell_out(base_url, sale_id, buyers))
    assert rest == POOL - len(stored)
    _assert_invariants(container, sale_id, sold=POOL)


async def _retry(
    base_url: str, sale_id: str, buyers: list[dict[str, str]], acknowledged: dict[str, str]
) -> dict[str, str]:
    by_key = {f"crash-{b}-{t}": h for b, h in enumerate(buyers) for t in range(LIMIT)}
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        again = {}
        for key in acknowledged:
            response = await http.post(
                f"/api/v1/flash-sales/{sale_id}/claims",
                json={"quantity": 1, "ship_to": SHIP_TO},
                headers={**by_key[key], "Idempotency-Key": key},
            )
            assert response.status_code == 201, response.text
            assert response.headers["idempotent-replayed"] == "true"
            again[key] = response.json()["id"]
    return again


async def _sell_out(base_url: str, sale_id: str, buyers: list[dict[str, str]]) -> int:
    """Every buyer tries again under fresh keys until the sale is sold out."""
    limits = httpx.Limits(max_connections=len(buyers))
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as http:

        async def one(headers: dict[str, str], key: str) -> int:
            response = await http.post(
                f"/api/v1/flash-sales/{sale_id}/claims",
                json={"quantity": 1, "ship_to": SHIP_TO},
                headers={**headers, "Idempotency-Key": key},
            )
            assert response.status_code in (201, 409), response.text
            return 1 if response.status_code == 201 else 0

        results = await asyncio.gather(
            *(one(h, f"after-{b}-{t}") for b, h in enumerate(buyers) for t in range(LIMIT))
        )
    return sum(results)


def _stored(container: Container, sale_id: str) -> list[str]:
    with container.uow(read_only=True) as uow:
        return list(
            uow.conn.execute(select(flash_claims.c.id).where(flash_claims.c.sale_id == sale_id))
            .scalars()
            .all()
        )


def _assert_invariants(container: Container, sale_id: str, *, sold: int) -> None:
    with container.uow(read_only=True) as uow:
        sale = uow.conn.execute(select(flash_sales).where(flash_sales.c.id == sale_id)).one()
        claims = uow.conn.execute(
            select(flash_claims.c.quantity, flash_claims.c.status, orders.c.status.label("o"))
            .join(orders, orders.c.id == flash_claims.c.order_id)
            .where(flash_claims.c.sale_id == sale_id)
        ).all()
        counts = uow.conn.execute(
            select(flash_buyers.c.units).where(flash_buyers.c.sale_id == sale_id)
        ).all()
    held = sum(c.quantity for c in claims)
    assert held == sold  # every claim has its order (the join), and nothing is oversold
    assert sale.pool_units - sale.remaining_units == held
    assert {c.o for c in claims} == {"AWAITING_PAYMENT"}
    assert sum(c.units for c in counts) == held
    assert max(c.units for c in counts) <= LIMIT
