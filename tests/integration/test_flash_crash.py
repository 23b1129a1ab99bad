"""SIGKILL in the middle of a flash sale: no acknowledged claim is lost, nothing is oversold.

Two server processes take claims from many buyers at once; as soon as some claims have been
acknowledged, the whole server (supervisor and workers) is killed with SIGKILL. After a
restart, every acknowledged claim is there with its order, a retry of each returns it, the
pool is conserved, and the rest of the sale sells exactly the pool.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.support.bulk import many_buyers
from tests.support.market import list_product, open_shop, operator_headers
from tests.support.postgres import free_port
from tradewind.bootstrap import Container
from tradewind.db.tables.flash import flash_buyers, flash_claims, flash_sales
from tradewind.db.tables.ordering import orders

SHIP_TO = {"full_name": "Crash Buyer", "line1": "1 Main St", "city": "Austin", "country": "US"}
POOL = 200
LIMIT = 2
BUYERS = 150
KILL_AFTER_ACKS = 40
IN_FLIGHT = 16
T = TypeVar("T")


@contextmanager
def _server(db_url: str, log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``tradewind serve --workers 2`` in its own process group, so SIGKILL reaches all of it."""
    port = free_port()
    env = {**os.environ, "TRADEWIND_DATABASE_URL": db_url, "TRADEWIND_SECRET_KEY": "test-secret"}
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tradewind", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"server exited with {proc.returncode}"
            assert time.monotonic() < deadline, "server did not become healthy"
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield base_url, proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(30)


async def _claim_until_killed(
    base_url: str, sale_id: str, buyers: list[dict[str, str]], proc: subprocess.Popen[bytes]
) -> dict[str, str]:
    """IN_FLIGHT buyers at a time claim; SIGKILL right after the KILL_AFTER_ACKS-th answer,
    with claims still in flight. Returns the acknowledged ones: Idempotency-Key -> claim id."""
    acknowledged: dict[str, str] = {}
    queue = [(h, f"crash-{b}-{t}") for b, h in enumerate(buyers) for t in range(LIMIT)]
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:

        async def worker() -> None:
            while queue and proc.poll() is None:
                headers, key = queue.pop(0)
                try:
                    response = await http.post(
                        f"/api/v1/flash-sales/{sale_id}/claims",
                        json={"quantity": 1, "ship_to": SHIP_TO},
                        headers={**headers, "Idempotency-Key": key},
                    )
                except httpx.HTTPError:
                    return  # the server died under this request: not acknowledged
                if response.status_code == 201:
                    acknowledged[key] = response.json()["id"]
                    if len(acknowledged) == KILL_AFTER_ACKS:
                        _kill(proc)

        await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
    return acknowledged


def _run(coroutine: Coroutine[None, None, T]) -> T:
    """In a thread of its own: Playwright's sync API may hold this thread's event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.mark.slow
def test_sigkill_mid_sale_loses_no_acknowledged_claim(
    client: TestClient, container: Container, db_url: str, tmp_path: Path
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "crash.shop@example.com", "US")
    _, offer_id = list_product(client, shop, price_minor=5000, stock=1, title="Crash phone")
    buyers = many_buyers(container, BUYERS)
    log = tmp_path / "server.log"
    with _server(db_url, log) as (base_url, proc):
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
        acknowledged = _run(_claim_until_killed(base_url, sale_id, buyers, proc))
        assert proc.poll() is not None, "the server was not killed"
    assert len(acknowledged) >= KILL_AFTER_ACKS

    stored = _stored(container, sale_id)
    assert set(acknowledged.values()) <= set(stored), "an acknowledged claim was lost"
    _assert_invariants(container, sale_id, sold=len(stored))
    assert len(stored) < POOL, "the kill came too late to be in the middle of the sale"

    with _server(db_url, log) as (base_url, _):
        retried = _run(_retry(base_url, sale_id, buyers, acknowledged))
        assert retried == acknowledged  # same key, same claim, after the restart
        rest = _run(_sell_out(base_url, sale_id, buyers))
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
