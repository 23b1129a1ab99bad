"""``tradewind bench flash-sale``: claims over real HTTP against real server processes.

All against one server run, open-loop at the same offered rate and connection cap (the load
generator counts the requests it could not send instead of queueing them):

1. a sell-out race: every buyer tries 3 claims on a 100-unit sale, limit 2 per buyer.
2. in ``ROUNDS`` turns, so that drift on a shared machine hits every load alike:
   ``/healthz`` (the yardstick: what this server answers when it does nothing); claims on the
   sold-out sale (sold-out answers/s); claims by ``buyers`` buyers on a sale with a big pool
   (committed claims/s; the offered rate is far above what the server can do, so latencies
   here are queueing); claims by 2 buyers on 2 connections (throughput without contention).
3. claims at half the rate reached in 2: the p50/p99 latency of a server that keeps up.

Then the invariants, read from the database: nothing oversold, every acknowledged claim has
its order, and per sale, units sold == pool - remaining.
"""

from __future__ import annotations

import secrets
import statistics
from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from tradewind.bench.checkout import SHIP_TO
from tradewind.bench.fixtures import bench_shop, bulk_buyers
from tradewind.bench.harness import bench_database, run_load, server_process
from tradewind.catalog import service as catalog
from tradewind.catalog.domain import gtin_check_digit
from tradewind.db.tables.flash import flash_buyers, flash_claims, flash_sales
from tradewind.db.tables.ordering import orders
from tradewind.db.uow import UnitOfWorkFactory
from tradewind.flash import service as flash
from tradewind.flash.domain import Terms

SELLOUT_POOL = 100
SELLOUT_LIMIT = 2
SELLOUT_TRIES = 3
MAX_CONNECTIONS = 1000
ROUNDS = 3  # the measured loads take turns, so drift on a shared machine hits all alike
ROUND_KINDS = ("health", "many", "sold_out", "two")


def seed_sales(uow_factory: UnitOfWorkFactory, pools: dict[str, tuple[int, int]]) -> dict[str, str]:
    """One seller, one offer, and a live sale per name: name -> (pool, per-buyer limit)."""
    run_id = f"{secrets.randbelow(10**6):06d}"  # repeated runs on one PostgreSQL never collide
    with uow_factory() as uow:
        seller = bench_shop(uow, "Flash Shop", f"flash.seller.{run_id}@bench.test")
        body = f"6{run_id}00000"
        product = catalog.create_product(
            uow,
            seller,
            catalog.NewProduct(
                title="Hot phone",
                brand="Bench",
                weight_g=200,
                origin_country="US",
                gtin=body + str(gtin_check_digit(body)),
            ),
        )
        offer = catalog.create_offer(
            uow, seller, catalog.NewOffer(product_id=product["id"], price_minor=19_900, stock=1)
        )
        now = uow.clock.now()
        sale_ids = {
            name: flash.create_sale(
                uow,
                seller,
                offer["id"],
                Terms(9_900, pool, limit, 3600, now, now + timedelta(hours=2)),
            )["id"]
            for name, (pool, limit) in pools.items()
        }
        uow.commit()
    return sale_ids


def _claims(
    base_url: str, sale_id: str, headers: list[dict[str, str]], tag: str, **shape: Any
) -> dict[str, Any]:
    """Claims spread over ``headers`` (one buyer each); every request has its own key."""
    return run_load(
        {
            "base_url": base_url,
            "requests": [
                {
                    "method": "POST",
                    "path": f"/api/v1/flash-sales/{sale_id}/claims",
                    "headers": {**h, "Idempotency-Key": f"{tag}-{{i}}"},
                    "json": {"quantity": 1, "ship_to": SHIP_TO},
                }
                for h in headers
            ],
            **shape,
        }
    )


def _audit(uow_factory: UnitOfWorkFactory, sale_ids: list[str]) -> dict[str, Any]:
    """The invariants of this run's sales, from the database (a reused one may hold others)."""
    ours = flash_claims.c.sale_id.in_(sale_ids)
    with uow_factory(read_only=True) as uow:
        sales = uow.conn.execute(select(flash_sales).where(flash_sales.c.id.in_(sale_ids))).all()
        held = dict(
            uow.conn.execute(
                select(flash_claims.c.sale_id, func.sum(flash_claims.c.quantity))
                .where(ours, flash_claims.c.status != "released")
                .group_by(flash_claims.c.sale_id)
            ).all()
        )
        claims = uow.conn.scalar(select(func.count()).select_from(flash_claims).where(ours))
        orders_created = uow.conn.scalar(
            select(func.count())
            .select_from(orders)
            .join(flash_claims, flash_claims.c.order_id == orders.c.id)
            .where(ours)
        )
        over_limit = uow.conn.scalar(
            select(func.count())
            .select_from(flash_buyers)
            .where(
                flash_buyers.c.sale_id.in_(sale_ids),
                flash_buyers.c.units > flash_buyers.c.limit_units,
            )
        )
    sold = {s.id: int(held.get(s.id, 0)) for s in sales}
    return {
        "oversold": sum(max(0, sold[s.id] - s.pool_units) for s in sales),
        "buyers_over_limit": int(over_limit or 0),
        "claims_stored": int(claims or 0),
        "orders_created": int(orders_created or 0),
        "stock_sold_equals_pool_minus_remaining": all(
            sold[s.id] == s.pool_units - s.remaining_units for s in sales
        ),
        "sold_by_sale": {s.id: [sold[s.id], s.pool_units, s.remaining_units] for s in sales},
    }


def bench_flash_sale(
    db_url: str | None,
    *,
    buyers: int,
    stock: int,
    duration_s: float,
    workers: int,
    rate_per_s: int,
) -> dict[str, Any]:
    connections = min(buyers, MAX_CONNECTIONS)
    open_loop = {"duration_s": duration_s, "rate_per_s": rate_per_s, "concurrency": connections}
    with bench_database(db_url) as (url, container):
        sale_ids = seed_sales(
            container.uow,
            {
                "many": (stock, stock),
                "two": (stock, stock),
                "sellout": (SELLOUT_POOL, SELLOUT_LIMIT),
            },
        )
        tag = secrets.token_hex(3)
        headers = bulk_buyers(container.uow, max(buyers, 2), prefix=f"flash{tag}")
        with server_process(url, workers=workers) as base_url:
            race = _claims(
                base_url,
                sale_ids["sellout"],
                headers[:buyers],
                f"{tag}r",
                duration_s=60,
                concurrency=connections,
                max_requests=buyers * SELLOUT_TRIES,
            )
            part = {**open_loop, "duration_s": duration_s / ROUNDS}
            rounds = _rounds(base_url, sale_ids, headers[:buyers], tag, part)
            steady_rate = max(10, int(_rate(_merge(rounds["many"]), "201") / 2))
            steady = _claims(
                base_url,
                sale_ids["many"],
                headers[:buyers],
                f"{tag}l",
                **{**open_loop, "rate_per_s": steady_rate},
            )
        audit = _audit(container.uow, list(sale_ids.values()))
    loads = {k: _merge(v) for k, v in rounds.items()} | {"steady": steady, "race": race}
    by_round = {
        "claims_vs_healthz": _ratios(rounds["many"], rounds["health"], "201"),
        "sold_out_vs_healthz": _ratios(rounds["sold_out"], rounds["health"], None, "sold_out"),
    }
    hot_pool_left = audit["sold_by_sale"][sale_ids["many"]][2]  # 0 would spoil the claim rate
    return _report(url, buyers, stock, rate_per_s, steady_rate, loads, audit) | {
        "hot_pool_left": hot_pool_left,
        "by_round": by_round,
    }


def _rounds(
    base_url: str,
    sale_ids: dict[str, str],
    headers: list[dict[str, str]],
    tag: str,
    part: dict[str, Any],
) -> dict[str, list[dict[str, Any]]]:
    """The compared loads, taking turns ROUNDS times. The two light ones come first: the
    database works off a burst of writes for a while after it (PostgreSQL's autovacuum and
    checkpoints), and that should not land on /healthz or the sold-out answers alone."""
    rounds: dict[str, list[dict[str, Any]]] = {k: [] for k in ROUND_KINDS}
    for r in range(ROUNDS):
        rounds["health"].append(
            run_load({"base_url": base_url, "requests": [{"path": "/healthz"}], **part})
        )
        rounds["sold_out"].append(
            _claims(base_url, sale_ids["sellout"], headers, f"{tag}s{r}", **part)
        )
        rounds["many"].append(_claims(base_url, sale_ids["many"], headers, f"{tag}m{r}", **part))
        two = {**part, "concurrency": 2}
        rounds["two"].append(_claims(base_url, sale_ids["two"], headers[:2], f"{tag}t{r}", **two))
    return rounds


def _merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One summary for several runs of the same load: counts add up; p50 is the median of the
    parts' p50s and p99 the worst part's (percentiles do not add)."""
    merged: dict[str, Any] = {"statuses": Counter(), "codes": Counter()}
    for key in ("sent", "unsent", "errors", "elapsed_s"):
        merged[key] = sum(p[key] for p in parts)
    for part in parts:
        merged["statuses"].update(part["statuses"])
        merged["codes"].update(part["codes"])
    merged["per_s"] = round(merged["sent"] / merged["elapsed_s"], 1) if merged["elapsed_s"] else 0
    merged["p50_ms"] = statistics.median(p["p50_ms"] for p in parts)
    merged["p99_ms"] = max(p["p99_ms"] for p in parts)
    return merged


def _ratios(
    loads: list[dict[str, Any]],
    health: list[dict[str, Any]],
    status: str | None,
    code: str | None = None,
) -> list[float]:
    return [
        round(_rate(load, status, code) / float(h["per_s"]), 3) if h["per_s"] else 0.0
        for load, h in zip(loads, health, strict=True)
    ]


def _rate(load: dict[str, Any], status: str | None = None, code: str | None = None) -> float:
    if not load["elapsed_s"]:
        return 0.0
    count = int(load["statuses"].get(status, 0) if status else load["codes"].get(code, 0))
    return round(count / float(load["elapsed_s"]), 1)


def _report(
    url: str,
    buyers: int,
    stock: int,
    rate_per_s: int,
    steady_rate: int,
    loads: dict[str, dict[str, Any]],
    audit: dict[str, Any],
) -> dict[str, Any]:
    health, many, steady, two = loads["health"], loads["many"], loads["steady"], loads["two"]
    race, sold_out = loads["race"], loads["sold_out"]
    healthz = float(health["per_s"]) or 1.0
    claims_per_s = _rate(many, "201")
    two_per_s = _rate(two, "201")
    sold_out_per_s = _rate(sold_out, code="sold_out")
    acknowledged = sum(load["statuses"].get("201", 0) for load in loads.values())
    return {
        "database": "postgresql" if url.startswith("postgresql") else "sqlite",
        "buyers": buyers,
        "stock": stock,
        "offered_rate_per_s": rate_per_s,
        "rounds": ROUNDS,
        "healthz_per_s": health["per_s"],
        "claims_committed_per_s": claims_per_s,
        "claims_vs_healthz": round(claims_per_s / healthz, 3),
        "claims_unsent": many["unsent"],
        "claims_saturated_p50_ms": many["p50_ms"],
        "claims_saturated_p99_ms": many["p99_ms"],
        "claims_steady_rate_per_s": steady_rate,
        "claims_steady_committed_per_s": _rate(steady, "201"),
        "claims_p50_ms": steady["p50_ms"],
        "claims_p99_ms": steady["p99_ms"],
        "claims_per_s_2_buyers": two_per_s,
        "many_vs_2_buyers": round(claims_per_s / two_per_s, 3) if two_per_s else 0.0,
        "sellout_race": {"201": race["statuses"].get("201", 0), **race["codes"]},
        "sold_out_per_s": sold_out_per_s,
        "sold_out_vs_healthz": round(sold_out_per_s / healthz, 3),
        "sold_out_p50_ms": sold_out["p50_ms"],
        "sold_out_p99_ms": sold_out["p99_ms"],
        "client_errors": sum(load["errors"] for load in loads.values()),
        "claims_acknowledged": acknowledged,
        **audit,
        "acknowledged_equals_orders": acknowledged == audit["orders_created"],
    }
