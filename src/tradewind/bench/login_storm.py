"""``tradewind bench login-storm``: does a storm of wrong passwords slow everyone else's writes?

A password check costs ~50 ms of argon2 by design. If it ran inside a write transaction, every
other writer would queue behind it (on SQLite the whole database; on PostgreSQL the rows it
locks). This bench measures an unrelated buyer's cart write (``PUT /api/v1/cart/lines/...``), one
at a time, first on a quiet server and then while ``clients`` threads send wrong passwords as
fast as they are answered, and prints both latencies and their ratio. The throttles are raised
for the run, so that every wrong password really is hashed.

Expect the ratio to reflect CPU contention only (the storm keeps the cores busy hashing), not
a queue: with hashing inside the write transaction it was about 600 (9 ms -> 5.5 s).
"""

from __future__ import annotations

import statistics
import threading
import time
from typing import Any

import httpx

from tradewind.bench.checkout import seed_offers
from tradewind.bench.fixtures import bulk_buyers
from tradewind.bench.harness import bench_database, server_process

# The settings' upper bounds: far more wrong passwords than one run sends.
_NO_THROTTLE = {
    "TRADEWIND_LOGIN_MAX_FAILURES": "1000",
    "TRADEWIND_LOGIN_CLIENT_MAX_FAILURES": "100000",
}


def _cart_writes(base_url: str, headers: dict[str, str], offer_id: str, count: int) -> list[float]:
    """Milliseconds per cart write, written one after the other."""
    took = []
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as http:
        for i in range(count):
            started = time.perf_counter()
            answer = http.put(f"/api/v1/cart/lines/{offer_id}", json={"quantity": 1 + i % 3})
            took.append((time.perf_counter() - started) * 1000)
            if answer.status_code != 200:
                raise RuntimeError(f"cart write answered {answer.status_code}: {answer.text}")
    return took


def _storm(base_url: str, stop: threading.Event, answers: list[int]) -> None:
    body = {"email": "victim@bench.test", "password": "not-the-password-at-all"}
    with httpx.Client(base_url=base_url, timeout=60) as http:
        while not stop.is_set():
            answers.append(http.post("/api/v1/tokens", json=body).status_code)


def _summary(took: list[float]) -> dict[str, float]:
    ordered = sorted(took)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 2),
    }


def run(*, db_url: str | None, clients: int, writes: int) -> dict[str, Any]:
    with bench_database(db_url) as (url, container):
        (offer_id,) = seed_offers(container.uow, 1, 1_000_000)
        (headers,) = bulk_buyers(container.uow, 1, prefix="storm")
        with server_process(url, env=_NO_THROTTLE) as base_url:
            _cart_writes(base_url, headers, offer_id, 20)  # warm up pools and caches
            quiet = _cart_writes(base_url, headers, offer_id, writes)
            stop, answers = threading.Event(), list[int]()
            threads = [
                threading.Thread(target=_storm, args=(base_url, stop, answers))
                for _ in range(clients)
            ]
            for thread in threads:
                thread.start()
            time.sleep(1.0)  # let the storm build up
            stormy = _cart_writes(base_url, headers, offer_id, writes)
            stop.set()
            for thread in threads:
                thread.join()
    quiet_s, stormy_s = _summary(quiet), _summary(stormy)
    return {
        "clients": clients,
        "cart_writes_each": writes,
        "quiet": quiet_s,
        "storm": stormy_s,
        "wrong_password_answers": len(answers),
        "answers_other_than_401": sum(1 for a in answers if a != 401),
        "p50_ratio": round(stormy_s["p50_ms"] / quiet_s["p50_ms"], 2),
        "p95_ratio": round(stormy_s["p95_ms"] / quiet_s["p95_ms"], 2),
    }
