"""200 buyers race over real HTTP for an offer with 50 units: exactly 50 sell, never more.

Runs against a real server process on SQLite and on PostgreSQL; the second round retries every
request under its Idempotency-Key, concurrently with the original.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.support.bulk import many_buyers
from tests.support.market import SHIP_TO, list_product, open_shop, operator_headers
from tests.support.server import ServerProcess
from tradewind.bootstrap import Container
from tradewind.db.tables.catalog import offers
from tradewind.db.tables.ordering import order_lines, orders

BUYERS = 200
UNITS = 50


def _sold(container: Container, offer_id: str) -> tuple[int, int, int]:
    with container.uow(read_only=True) as uow:
        stock = uow.conn.scalar(select(offers.c.stock).where(offers.c.id == offer_id))
        units = uow.conn.scalar(
            select(func.coalesce(func.sum(order_lines.c.quantity), 0)).where(
                order_lines.c.offer_id == offer_id
            )
        )
        order_count = uow.conn.scalar(select(func.count()).select_from(orders))
    return int(stock), int(units), int(order_count)


async def _race(
    base_url: str, buyers: list[dict[str, str]], offer_id: str, copies: int
) -> list[tuple[int, str, str | None]]:
    body = {"ship_to": SHIP_TO, "lines": [{"offer_id": offer_id, "quantity": 1}]}
    limits = httpx.Limits(max_connections=BUYERS * copies)
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as http:

        async def buy(i: int, headers: dict[str, str]) -> tuple[int, str, str | None]:
            response = await http.post(
                "/api/v1/checkouts", json=body, headers={**headers, "Idempotency-Key": f"race-{i}"}
            )
            payload = response.json()
            order = payload["orders"][0]["id"] if response.status_code == 201 else None
            return response.status_code, payload.get("code", "created"), order

        tasks = [buy(i, h) for i, h in enumerate(buyers) for _ in range(copies)]
        return await asyncio.gather(*tasks)


@pytest.mark.slow
@pytest.mark.parametrize("copies", [1, 2], ids=["once", "retried"])
def test_two_hundred_buyers_fifty_units(
    client: TestClient, container: Container, live_server: ServerProcess, copies: int
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "hot@example.com", "US")
    _, offer_id = list_product(client, shop, price_minor=1999, stock=UNITS, title="Hot item")
    buyers = many_buyers(container, BUYERS)

    # A thread of its own: Playwright's sync API may hold this thread's event loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        results = pool.submit(
            asyncio.run, _race(live_server.base_url, buyers, offer_id, copies)
        ).result()

    outcomes = Counter((status, code) for status, code, _ in results)
    assert outcomes == {
        (201, "created"): UNITS * copies,
        (409, "out_of_stock"): (BUYERS - UNITS) * copies,
    }
    if copies == 2:  # a retried winner gets the same order back, not a second one
        per_buyer: dict[int, set[str | None]] = {}
        for index, (_, _, order) in enumerate(results):
            per_buyer.setdefault(index // copies, set()).add(order)
        assert all(len(orders_seen) == 1 for orders_seen in per_buyer.values())
    assert _sold(container, offer_id) == (0, UNITS, UNITS)
