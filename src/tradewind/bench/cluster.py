"""``tradewind bench cluster``: checkouts and flash claims through HAProxy while things break.

One run (docs/how-to/deploy-cluster.md): the cluster comes up (bench.cluster_topology); the
yardstick is ``/healthz`` through the same HAProxy; then checkout and claim clients run for
``duration_s``, each retrying a failed request under its own Idempotency-Key until it is
answered. At 30% of the run the primary is SIGKILLed and the replica promoted; at 55% an app
node is SIGKILLed. After the load: a node is cut off from the database for ``cut_s`` (its
``/readyz`` must answer 503 quickly, then 200 again), the clock jumps past every payment
deadline and hold with a worker SIGKILLed mid-way, and the books are audited on the new
primary:

- ``oversold``: units sold beyond an offer's stock or a sale's pool (must be 0);
- ``acknowledged_minus_stored``: 201 answers whose checkout or claim is not in the database
  (must be 0: synchronous replication keeps every acknowledged commit);
- ``doubled``: a key answered with two different ids, or a checkout stored without its key's
  record (must be 0);
- after the timers: every unit back in stock and in its pool (each expiry fired once), no order
  cancelled twice, and ``tradewind ledger check`` clean.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import aiohttp

from tradewind.bench.checkout import SHIP_TO, seed_offers
from tradewind.bench.cluster_topology import Cluster, cluster_running
from tradewind.bench.fixtures import bulk_buyers
from tradewind.bench.flash_sale import seed_sales
from tradewind.bench.harness import BENCH_SECRET, run_load
from tradewind.bootstrap import Container, build
from tradewind.config import Settings

RETRY_FOR_S = 40.0
RETRY_PAUSE_S = 0.25
RETRY_STATUSES = frozenset({500, 502, 503, 504, 599})  # 599: no answer at all
RETRY_CODES = frozenset({"checkout_pending", "claim_pending", "too_many_requests"})


@dataclass
class Plan:
    duration_s: float = 24.0
    concurrency: int = 8  # per load (checkouts, claims)
    offers: int = 10
    stock: int = 80
    checkout_buyers: int = 60
    flash_buyers: int = 150
    pool: int = 200
    per_buyer_limit: int = 2
    cut_s: float = 10.0
    nodes: int = 3
    workers: int = 2


@dataclass
class Acks:
    """What the clients were told, by key; and what went wrong on the way."""

    ids: dict[str, dict[str, str]] = field(default_factory=lambda: {"checkout": {}, "claim": {}})
    # (first sent, answered 201) per acknowledged request, monotonic seconds
    times: dict[str, list[tuple[float, float]]] = field(
        default_factory=lambda: {"checkout": [], "claim": []}
    )
    refused: Counter[str] = field(default_factory=Counter)
    failed_at: list[float] = field(default_factory=list)  # attempts that were retried
    conflicting: int = 0  # a key answered with two different ids
    gave_up: int = 0


@dataclass
class Seeded:
    offer_ids: list[str]
    sale_id: str
    checkout_headers: list[dict[str, str]]
    flash_headers: list[dict[str, str]]


def _seed(container: Container, plan: Plan) -> Seeded:
    offer_ids = seed_offers(container.uow, plan.offers, plan.stock)
    sale = seed_sales(container.uow, {"hot": (plan.pool, plan.per_buyer_limit)})["hot"]
    return Seeded(
        offer_ids,
        sale,
        bulk_buyers(container.uow, plan.checkout_buyers, prefix="clusterco"),
        bulk_buyers(container.uow, plan.flash_buyers, prefix="clusterfl"),
    )


def _request(seeded: Seeded, kind: str, n: int) -> tuple[str, dict[str, str], dict[str, Any]]:
    if kind == "checkout":
        headers = seeded.checkout_headers[n % len(seeded.checkout_headers)]
        offer = seeded.offer_ids[n % len(seeded.offer_ids)]
        body: dict[str, Any] = {"ship_to": SHIP_TO, "lines": [{"offer_id": offer, "quantity": 1}]}
        return "/api/v1/checkouts", headers, body
    headers = seeded.flash_headers[n % len(seeded.flash_headers)]
    path = f"/api/v1/flash-sales/{seeded.sale_id}/claims"
    return path, headers, {"quantity": 1, "ship_to": SHIP_TO}


async def _send_until_answered(
    session: aiohttp.ClientSession, url: str, kind: str, key: str, request: Any, acks: Acks
) -> None:
    _path, headers, body = request
    first_sent = time.monotonic()
    give_up_at = first_sent + RETRY_FOR_S
    while time.monotonic() < give_up_at:
        try:
            async with session.post(
                url, json=body, headers={**headers, "Idempotency-Key": key}
            ) as response:
                payload = await response.json(content_type=None)
                status = response.status
        except (aiohttp.ClientError, TimeoutError, ValueError):
            status, payload = 599, {}
        code = str(payload.get("code", "")) if isinstance(payload, dict) else ""
        if status == 201:
            known = acks.ids[kind].setdefault(key, str(payload["id"]))
            acks.conflicting += known != str(payload["id"])
            acks.times[kind].append((first_sent, time.monotonic()))
            return
        if status not in RETRY_STATUSES and code not in RETRY_CODES:
            acks.refused[f"{kind}:{code or status}"] += 1
            return
        acks.failed_at.append(time.monotonic())
        await asyncio.sleep(RETRY_PAUSE_S)
    acks.gave_up += 1


async def _clients(base_url: str, seeded: Seeded, plan: Plan, acks: Acks, stop_at: float) -> None:
    timeout = aiohttp.ClientTimeout(total=15)

    async def client(kind: str, index: int) -> None:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            n = index
            while time.monotonic() < stop_at:
                request = _request(seeded, kind, n)
                key = f"{kind}-{index}-{n}"
                await _send_until_answered(session, base_url + request[0], kind, key, request, acks)
                n += plan.concurrency

    await asyncio.gather(
        *(client(kind, i) for kind in ("checkout", "claim") for i in range(plan.concurrency))
    )


@dataclass
class Faults:
    started: float
    killed_primary_at: float = 0.0
    killed_node_at: float = 0.0
    errors: list[str] = field(default_factory=list)


def _inject(cluster: Cluster, plan: Plan, faults: Faults) -> None:
    try:
        time.sleep(plan.duration_s * 0.3)
        faults.killed_primary_at = cluster.kill_primary()
        time.sleep(max(0.0, faults.started + plan.duration_s * 0.55 - time.monotonic()))
        faults.killed_node_at = time.monotonic()
        cluster.kill("node1")
    except Exception as exc:  # noqa: BLE001 - reported in the result, not lost in a thread
        faults.errors.append(f"{type(exc).__name__}: {exc}")


def _run_load(cluster: Cluster, seeded: Seeded, plan: Plan) -> tuple[Acks, Faults]:
    acks = Acks()
    faults = Faults(started=time.monotonic())
    injector = threading.Thread(target=_inject, args=(cluster, plan, faults), daemon=True)
    injector.start()
    asyncio.run(_clients(cluster.base_url, seeded, plan, acks, faults.started + plan.duration_s))
    injector.join()
    return acks, faults


def bench_cluster(plan: Plan | None = None) -> dict[str, Any]:
    """Bring the cluster up, load it, break it, audit it; one flat result."""
    from tradewind.bench import cluster_audit as audit

    plan = plan or Plan()
    with cluster_running(nodes=plan.nodes, workers=plan.workers) as cluster:
        container = build(Settings(database_url=cluster.db_url, secret_key=BENCH_SECRET))
        try:
            seeded = _seed(container, plan)
            health = run_load(
                {
                    "base_url": cluster.base_url,
                    "duration_s": 3,
                    "concurrency": plan.concurrency * 2,
                    "requests": [{"method": "GET", "path": "/healthz"}],
                }
            )
            acks, faults = _run_load(cluster, seeded, plan)
            result = _rates(acks, faults, health["per_s"])
            result.update(audit.stored(container, seeded, plan, acks))
            result.update(audit.cut_node(cluster, plan.cut_s))
            result.update(audit.cross_node(cluster, container, seeded))
            result.update(audit.timers_fire_once(cluster, container, seeded, plan))
            result["fault_errors"] = faults.errors
        finally:
            container.engine.dispose()
    return {"nodes": plan.nodes, "workers": plan.workers, "duration_s": plan.duration_s, **result}


def _rates(acks: Acks, faults: Faults, healthz_per_s: float) -> dict[str, Any]:
    """Rates before the primary died (a steady cluster), failover time and retried requests."""
    kill = faults.killed_primary_at
    steady_s = kill - faults.started
    before = {k: sum(1 for _, t in v if t < kill) / steady_s for k, v in acks.times.items()}
    # From the kill to the first acknowledged write that was sent after it (one sent before
    # may have committed on the old primary just in time).
    after = sorted(t for v in acks.times.values() for sent, t in v if sent >= kill)
    failover_s = round(after[0] - kill, 2) if after else None

    run_s = max(t for v in acks.times.values() for _, t in v) - faults.started if after else 0.0
    overall = {k: len(v) / run_s if run_s else 0.0 for k, v in acks.times.items()}

    def ratio(per_s: float) -> float:
        return round(per_s / healthz_per_s, 4) if healthz_per_s else 0.0

    return {
        "healthz_per_s": healthz_per_s,
        "checkouts_per_s": round(before["checkout"], 1),
        "claims_per_s": round(before["claim"], 1),
        "checkouts_vs_healthz": ratio(before["checkout"]),
        "claims_vs_healthz": ratio(before["claim"]),
        "checkouts_per_s_whole_run": round(overall["checkout"], 1),
        "claims_per_s_whole_run": round(overall["claim"], 1),
        "checkouts_acknowledged": len(acks.ids["checkout"]),
        "claims_acknowledged": len(acks.ids["claim"]),
        "refused": dict(acks.refused),
        "failover_s": failover_s,
        "failed_during_failover": sum(1 for t in acks.failed_at if kill <= t <= kill + 30),
        "failed_attempts_retried": len(acks.failed_at),
        "gave_up": acks.gave_up,
        "answered_twice_differently": acks.conflicting,
    }


def clock_jump() -> timedelta:
    """Past every payment deadline and flash hold the run made (30 min and 1 h)."""
    return timedelta(hours=3)
