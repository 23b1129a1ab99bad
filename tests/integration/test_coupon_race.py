"""200 buyers race over real HTTP for the last 10 uses of a coupon: exactly 10 get it.

Runs against a real server process on SQLite and on PostgreSQL. The coupon's total quantity
and its per-buyer limit are counters moved by conditional UPDATEs in the checkout's write
transaction; the second round retries every request under its Idempotency-Key, concurrently
with the original, and a retry answers its first answer without using the coupon again.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.support.bulk import many_buyers
from tests.support.market import SHIP_TO, list_product, open_shop, operator_headers
from tests.support.server import ServerProcess
from tradewind.bootstrap import Container
from tradewind.db.tables.ordering import orders
from tradewind.db.tables.promotions import promotion_redemptions, promotions

BUYERS = 200
USES = 10
WINDOW = {"starts_at": "2020-01-01T00:00:00Z", "ends_at": "2099-01-01T00:00:00Z"}


def _coupon(client: TestClient, headers: dict[str, str], **body: Any) -> str:
    made = client.post("/api/v1/promotions", headers=headers, json={**WINDOW, **body})
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def _used(container: Container, promotion_id: str) -> tuple[int, int, int, int]:
    """(used_count, redemptions, distinct buyers redeeming, orders)"""
    with container.uow(read_only=True) as uow:
        used = uow.conn.scalar(
            select(promotions.c.used_count).where(promotions.c.id == promotion_id)
        )
        redemptions = uow.conn.execute(
            select(func.count(), func.count(promotion_redemptions.c.buyer_id.distinct())).where(
                promotion_redemptions.c.promotion_id == promotion_id
            )
        ).one()
        order_count = uow.conn.scalar(select(func.count()).select_from(orders))
    return int(used), int(redemptions[0]), int(redemptions[1]), int(order_count)


async def _race(
    base_url: str, buyers: list[dict[str, str]], body: dict[str, Any], copies: int, tag: str
) -> list[tuple[int, str, str | None]]:
    limits = httpx.Limits(max_connections=len(buyers) * copies)
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as http:

        async def buy(i: int, headers: dict[str, str]) -> tuple[int, str, str | None]:
            response = await http.post(
                "/api/v1/checkouts",
                json=body,
                headers={**headers, "Idempotency-Key": f"{tag}-{i}"},
            )
            payload = response.json()
            if response.status_code == 201:
                return 201, "created", payload["id"]
            assert response.headers["content-type"].startswith("application/problem+json")
            return response.status_code, payload["code"], None

        tasks = [buy(i, h) for i, h in enumerate(buyers) for _ in range(copies)]
        return await asyncio.gather(*tasks)


def _run(coro: Any) -> list[tuple[int, str, str | None]]:
    # A thread of its own: Playwright's sync API may hold this thread's event loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()  # type: ignore[no-any-return]


@pytest.mark.slow
@pytest.mark.parametrize("copies", [1, 2], ids=["once", "retried"])
def test_two_hundred_buyers_ten_coupon_uses(
    client: TestClient, container: Container, live_server: ServerProcess, copies: int
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "coupons@example.com", "US")
    _, offer_id = list_product(client, shop, price_minor=1999, stock=BUYERS * 2)
    coupon = _coupon(
        client,
        ops,
        kind="platform_coupon",
        name="Last ten",
        code="LASTTEN",
        amount_minor=500,
        currency="USD",
        total_quantity=USES,
    )
    buyers = many_buyers(container, BUYERS)
    body = {
        "ship_to": SHIP_TO,
        "lines": [{"offer_id": offer_id, "quantity": 1}],
        "coupon_codes": ["LASTTEN"],
    }
    results = _run(_race(live_server.base_url, buyers, body, copies, "coupon"))

    outcomes = Counter((status, code) for status, code, _ in results)
    assert outcomes == {
        (201, "created"): USES * copies,
        (409, "coupon_exhausted"): (BUYERS - USES) * copies,
    }
    if copies == 2:  # a retried winner gets the same checkout back, not a second one
        per_buyer: dict[int, set[str | None]] = {}
        for index, (_, _, checkout) in enumerate(results):
            per_buyer.setdefault(index // copies, set()).add(checkout)
        assert all(len(seen) == 1 for seen in per_buyer.values())
    assert _used(container, coupon) == (USES, USES, USES, USES)


@pytest.mark.slow
def test_one_buyer_racing_twenty_checkouts_uses_a_coupon_once(
    client: TestClient, container: Container, live_server: ServerProcess
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "once@example.com", "US")
    _, offer_id = list_product(client, shop, price_minor=1999, stock=100)
    coupon = _coupon(
        client,
        shop.headers,
        kind="store_coupon",
        name="Once each",
        code="ONCEEACH",
        amount_minor=300,
        total_quantity=1000,
    )
    (buyer,) = many_buyers(container, 1)
    body = {
        "ship_to": SHIP_TO,
        "lines": [{"offer_id": offer_id, "quantity": 1}],
        "coupon_codes": ["ONCEEACH"],
    }
    results = _run(_race(live_server.base_url, [buyer] * 20, body, 1, "mine"))

    outcomes = Counter((status, code) for status, code, _ in results)
    assert outcomes == {(201, "created"): 1, (409, "coupon_limit_reached"): 19}
    assert _used(container, coupon) == (1, 1, 1, 1)
