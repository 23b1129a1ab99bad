"""SIGKILL while checkouts are being written many to a transaction: no acknowledged checkout
is lost, none is written twice, and stock is conserved.

Two server processes take checkouts from many buyers for one offer; right after some are
acknowledged, the whole server is killed with SIGKILL, with checkouts still queued in the
writers. After a restart, every acknowledged checkout is there with its order, a retry under
its key returns it, and the rest of the stock sells exactly once.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.support.bulk import many_buyers
from tests.support.crash import killable_server, post_until_killed, run_async
from tests.support.market import list_product, open_shop, operator_headers
from tradewind.bootstrap import Container
from tradewind.db.tables.catalog import offers
from tradewind.db.tables.ordering import checkouts, order_lines, orders

SHIP_TO = {
    "full_name": "Crash Buyer",
    "line1": "1 Main St",
    "city": "Austin",
    "region": "TX",
    "postal_code": "78701",
    "country": "US",
}
STOCK = 80
BUYERS = 150
KILL_AFTER_ACKS = 25
IN_FLIGHT = 16


async def _retry_then_sell_out(
    base_url: str, offer_id: str, buyers: list[dict[str, str]], acknowledged: dict[str, str]
) -> tuple[dict[str, str], int]:
    by_key = {f"crash-{b}": h for b, h in enumerate(buyers)}
    line = {"ship_to": SHIP_TO, "lines": [{"offer_id": offer_id, "quantity": 1}]}
    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as http:
        again = {}
        for key in acknowledged:
            response = await http.post(
                "/api/v1/checkouts", json=line, headers={**by_key[key], "Idempotency-Key": key}
            )
            assert response.status_code == 201, response.text
            assert response.headers["idempotent-replayed"] == "true"
            again[key] = response.json()["id"]

        async def one(headers: dict[str, str], key: str) -> int:
            response = await http.post(
                "/api/v1/checkouts", json=line, headers={**headers, "Idempotency-Key": key}
            )
            assert response.status_code in (201, 409), response.text
            if response.status_code == 409:
                assert response.json()["code"] == "out_of_stock"
            return 1 if response.status_code == 201 else 0

        sold = await asyncio.gather(*(one(h, f"after-{b}") for b, h in enumerate(buyers)))
    return again, sum(sold)


def _books(container: Container, offer_id: str) -> tuple[set[str], int, int]:
    """(checkout ids, units in order lines, stock left), after checking each checkout has its
    one order and each order its line."""
    with container.uow(read_only=True) as uow:
        ids = set(uow.conn.scalars(select(checkouts.c.id)))
        per_checkout = uow.conn.execute(
            select(orders.c.checkout_id, func.count()).group_by(orders.c.checkout_id)
        ).all()
        units = uow.conn.scalar(select(func.coalesce(func.sum(order_lines.c.quantity), 0)))
        lines = uow.conn.scalar(select(func.count()).select_from(order_lines))
        left = uow.conn.scalar(select(offers.c.stock).where(offers.c.id == offer_id))
    assert {c for c, n in per_checkout if n == 1} == ids
    assert lines == len(ids)
    return ids, int(units or 0), int(left or 0)


@pytest.mark.slow
def test_sigkill_mid_checkouts_loses_no_acknowledged_checkout(
    client: TestClient, container: Container, db_url: str, tmp_path: Path
) -> None:
    shop = open_shop(client, operator_headers(client, container), "crash.shop@example.com", "US")
    _, offer_id = list_product(client, shop, price_minor=5000, stock=STOCK, title="Crash phone")
    buyers = many_buyers(container, BUYERS)
    log = tmp_path / "server.log"
    with killable_server(db_url, log) as (base_url, proc):
        line = {"ship_to": SHIP_TO, "lines": [{"offer_id": offer_id, "quantity": 1}]}
        requests = [
            ("/api/v1/checkouts", line, {**h, "Idempotency-Key": f"crash-{b}"})
            for b, h in enumerate(buyers)
        ]
        acknowledged = run_async(
            post_until_killed(
                base_url, requests, proc, kill_after_acks=KILL_AFTER_ACKS, in_flight=IN_FLIGHT
            )
        )
        assert proc.poll() is not None, "the server was not killed"
    assert len(acknowledged) >= KILL_AFTER_ACKS

    stored, units, left = _books(container, offer_id)
    assert set(acknowledged.values()) <= stored, "an acknowledged checkout was lost"
    assert units == len(stored)
    assert left + units == STOCK
    assert len(stored) < STOCK, "the kill came too late to be in the middle of the checkouts"

    with killable_server(db_url, log) as (base_url, _):
        retried, sold_after = run_async(
            _retry_then_sell_out(base_url, offer_id, buyers, acknowledged)
        )
    assert retried == acknowledged  # same key, same checkout, after the restart
    assert sold_after == STOCK - len(stored)
    final, units, left = _books(container, offer_id)
    assert (len(final), units, left) == (STOCK, STOCK, 0)
