"""``tradewind bench checkout``: full checkouts over real HTTP against a real server process.

Prints orders/s, p50/p99 latency, the same server's /healthz requests/s in the same run, their
ratio, and ``oversold`` (units sold beyond the stock that existed; must be 0). With
``promotions=("off", "on", ...)`` the "on" phases buy from a shop with an item discount, a
tiered store promotion and a free-shipping threshold, and apply a store coupon and a platform
coupon to every cart; ``promotions_vs_none`` is the on phases' mean ratio over the off ones'.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from tradewind.bench.fixtures import bench_shop, bulk_buyers
from tradewind.bench.harness import (
    bench_database,
    process_tree_cpu_s,
    run_load,
    server_process,
)
from tradewind.catalog import service as catalog
from tradewind.catalog.domain import gtin_check_digit
from tradewind.db.tables.catalog import offers
from tradewind.db.tables.ordering import order_lines
from tradewind.db.uow import UnitOfWork, UnitOfWorkFactory
from tradewind.identity.domain import Principal, Role
from tradewind.promotions import service as promotions

# A deliverable US address (the address check asks for the state and a ZIP code that fits it).
SHIP_TO = {
    "full_name": "Bench Buyer",
    "line1": "1 Load St",
    "city": "Austin",
    "region": "TX",
    "postal_code": "78701",
    "country": "US",
}


def seed_offers(
    uow_factory: UnitOfWorkFactory,
    count: int,
    stock: int,
    with_promotions: bool = False,
    run_id: str | None = None,
) -> list[str]:
    # A run id keeps repeated runs against one PostgreSQL database from colliding.
    run_id = run_id or f"{secrets.randbelow(10**6):06d}"
    with uow_factory() as uow:
        principal = bench_shop(uow, "Bench Shop", f"bench.seller.{run_id}@bench.test")
        if with_promotions:
            _seed_promotions(uow, principal, run_id)
        offer_ids = []
        for i in range(count):
            body = f"5{run_id}{i:05d}"
            product = catalog.create_product(
                uow,
                principal,
                catalog.NewProduct(
                    title=f"Bench item {i}",
                    brand="Bench",
                    weight_g=200,
                    origin_country="US",
                    gtin=body + str(gtin_check_digit(body)),
                ),
            )
            offer = catalog.create_offer(
                uow,
                principal,
                catalog.NewOffer(product_id=product["id"], price_minor=1999, stock=stock),
            )
            offer_ids.append(offer["id"])
        uow.commit()
    return offer_ids


def coupon_codes(run_id: str) -> list[str]:
    return [f"BENCHSHOP{run_id}", f"BENCHTW{run_id}"]


def _seed_promotions(uow: UnitOfWork, seller: Principal, run_id: str) -> None:
    """Every kind at once, none of them limited per buyer (buyers check out many times)."""
    now = uow.clock.now()
    window = {"starts_at": now - timedelta(days=1), "ends_at": now + timedelta(days=30)}
    store, platform = coupon_codes(run_id)
    specs: list[tuple[Principal, dict[str, Any]]] = [
        (seller, {"kind": "item_discount", "name": "Bench 10%", "percent_bps": 1000}),
        (seller, {"kind": "store_promotion", "name": "1 off 10", "tiers": ((1000, 100),)}),
        (seller, {"kind": "free_shipping", "name": "Free over 10", "min_spend_minor": 1000}),
        (seller, {"kind": "store_coupon", "name": "Bench shop", "code": store, "amount_minor": 50}),
    ]
    operator = Principal(
        "bench-operator", Role.OPERATOR, "ops@bench.test", "ops", "US", "USD", "en"
    )
    specs.append(
        (
            operator,
            {"kind": "platform_coupon", "name": "Bench TW", "code": platform, "percent_bps": 500},
        )
    )
    for who, spec in specs:
        unlimited = {"per_buyer_limit": 10**6} if "code" in spec else {}
        promotions.create_promotion.within(
            uow,
            who,
            promotions.PromotionSpec(**window, **unlimited, **spec),  # type: ignore[arg-type]
        )


def _stock_audit(
    uow_factory: UnitOfWorkFactory, offer_ids: list[str], stock: int
) -> tuple[int, bool]:
    """(units sold beyond the initial stock, whether remaining + sold == initial everywhere)."""
    with uow_factory(read_only=True) as uow:
        sold = dict(
            uow.conn.execute(
                select(order_lines.c.offer_id, func.sum(order_lines.c.quantity)).group_by(
                    order_lines.c.offer_id
                )
            ).all()
        )
        remaining = dict(
            uow.conn.execute(
                select(offers.c.id, offers.c.stock).where(offers.c.id.in_(offer_ids))
            ).all()
        )
    oversold = sum(max(0, int(sold.get(o, 0)) - stock) for o in offer_ids)
    conserved = all(remaining[o] + int(sold.get(o, 0)) == stock for o in offer_ids)
    return oversold, conserved


def _phase(
    url: str,
    *,
    workers: int,
    duration_s: float,
    concurrency: int,
    requests: list[dict[str, Any]],
    risk_mode: str,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One server process (risk scoring ``risk_mode``): /healthz, then checkouts; each load's
    summary gains ``server_cpu_s``, the CPU seconds the server's processes spent on it."""
    env = {"TRADEWIND_RISK_MODE": risk_mode}
    pids: list[int] = []
    with server_process(url, workers=workers, env=env, pids=pids) as base_url:
        before = process_tree_cpu_s(pids[0])
        health = run_load(
            {
                "base_url": base_url,
                "duration_s": duration_s,
                "concurrency": concurrency,
                "requests": [{"method": "GET", "path": "/healthz"}],
            }
        )
        between = process_tree_cpu_s(pids[0])
        load = run_load(
            {
                "base_url": base_url,
                "duration_s": duration_s,
                "concurrency": concurrency,
                "requests": requests,
            }
        )
        after = process_tree_cpu_s(pids[0])
    health["server_cpu_s"] = between - before
    load["server_cpu_s"] = after - between
    return health, load


def _checkout_requests(
    headers: list[dict[str, str]], offer_ids: list[str], phase: str, codes: list[str]
) -> list[dict[str, Any]]:
    return [
        {
            "method": "POST",
            "path": "/api/v1/checkouts",
            "headers": {
                **h,
                "Idempotency-Key": f"bench-{phase}-{{i}}",
                "X-Device-Id": f"dev{n:08d}",
            },
            "json": {
                "ship_to": SHIP_TO,
                "lines": [{"offer_id": offer_ids[n % len(offer_ids)], "quantity": 1}],
                "coupon_codes": codes,
            },
        }
        for n, h in enumerate(headers)
    ]


def bench_checkout(
    db_url: str | None,
    *,
    duration_s: float,
    concurrency: int,
    buyers: int,
    workers: int,
    risk_modes: tuple[str, ...] = ("enforce",),
    promotions_phases: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Checkouts/s over /healthz/s per phase, one server per phase (its risk mode), phases in
    one run on one database. The first phase is the headline figure; with two modes,
    ``risk_on_vs_off`` is the second mode's mean ratio over the first's (an order such as
    ``off,enforce,enforce,off`` cancels a steady drift of the machine's load)."""
    offer_count, stock = 20, 100_000
    phases: list[tuple[str, tuple[dict[str, Any], dict[str, Any]]]] = []
    promo_run = f"{secrets.randbelow(10**6):06d}"
    plan = _plan(risk_modes, promotions_phases)
    with bench_database(db_url) as (url, container):
        offer_ids = seed_offers(container.uow, offer_count, stock)
        wanted = offer_count if "on" in promotions_phases else 0
        promo_offers = seed_offers(container.uow, wanted, stock, True, promo_run)
        headers = bulk_buyers(container.uow, buyers, prefix=f"bench{secrets.token_hex(3)}")
        for n, (mode, promo) in enumerate(plan):
            on = promo == "on"
            measured = _phase(
                url,
                workers=workers,
                duration_s=duration_s,
                concurrency=concurrency,
                requests=_checkout_requests(
                    headers,
                    promo_offers if on else offer_ids,
                    f"{mode}{promo}{n}",
                    coupon_codes(promo_run) if on else [],
                ),
                risk_mode=mode,
            )
            phases.append((promo if promotions_phases else mode, measured))
        offer_ids += promo_offers
        created = _orders_created(container.uow, offer_ids)
        oversold, conserved = _stock_audit(container.uow, offer_ids, stock)
    result = _figures(phases[0][1])
    result = {
        "database": "postgresql" if url.startswith("postgresql") else "sqlite",
        "server_workers": workers,
        "concurrency": concurrency,
        "duration_s": duration_s,
        "risk_mode": risk_modes[0],
        **result,
        "orders_created": created,
        "oversold": oversold,
        "stock_conserved": conserved,
    }
    if promotions_phases:
        result.update(_promotion_figures(phases, promotions_phases))
        return result
    result.update(_risk_comparison(phases, risk_modes))
    return result


def _risk_comparison(
    phases: list[tuple[str, tuple[dict[str, Any], dict[str, Any]]]], risk_modes: tuple[str, ...]
) -> dict[str, Any]:
    """With two risk modes: each phase's figures, the modes' mean ratios (throughput and server
    CPU) and ``risk_on_vs_off`` / ``risk_on_vs_off_cpu``, the second mode's over the first's."""
    result: dict[str, Any] = {}
    distinct = list(dict.fromkeys(risk_modes))
    if len(distinct) > 1:
        figures = [(m, _figures(p)) for m, p in phases]
        result["phases"] = [{"risk_mode": m, **f} for m, f in figures]
        mean = {
            m: sum(f["ratio"] for k, f in figures if k == m) / risk_modes.count(m) for m in distinct
        }
        result["mean_ratio_by_risk_mode"] = {m: round(r, 4) for m, r in mean.items()}
        first, second = mean[distinct[0]], mean[distinct[1]]
        result["risk_on_vs_off"] = round(second / first, 3) if first else 0.0
        cpu = {
            m: sum(f["cpu_ratio"] for k, f in figures if k == m) / risk_modes.count(m)
            for m in distinct
        }
        result["mean_cpu_ratio_by_risk_mode"] = {m: round(r, 4) for m, r in cpu.items()}
        low, high = cpu[distinct[0]], cpu[distinct[1]]
        result["risk_on_vs_off_cpu"] = round(high / low, 3) if low else 0.0
    return result


def _plan(risk_modes: tuple[str, ...], promotions: tuple[str, ...]) -> list[tuple[str, str]]:
    """(risk mode, promotions) per phase: the risk modes, or the first one per promotions phase."""
    if promotions:
        return [(risk_modes[0], p) for p in promotions]
    return [(m, "off") for m in risk_modes]


def _orders_created(uow_factory: UnitOfWorkFactory, offer_ids: list[str]) -> int:
    """This run's orders only: a reused --db may hold earlier runs' orders."""
    with uow_factory(read_only=True) as uow:
        return int(
            uow.conn.scalar(
                select(func.count(func.distinct(order_lines.c.order_id))).where(
                    order_lines.c.offer_id.in_(offer_ids)
                )
            )
            or 0
        )


def _promotion_figures(
    phases: list[tuple[str, tuple[dict[str, Any], dict[str, Any]]]], order: tuple[str, ...]
) -> dict[str, Any]:
    """Both ratios of one run: checkouts with promotions over /healthz, and without."""
    figures = [(p, _figures(m)) for p, m in phases]
    mean = {
        p: sum(f["ratio"] for k, f in figures if k == p) / order.count(p)
        for p in dict.fromkeys(order)
    }
    off, on = mean.get("off", 0.0), mean.get("on", 0.0)
    return {
        "phases": [{"promotions": p, **f} for p, f in figures],
        "ratio_without_promotions": round(off, 4),
        "ratio_with_promotions": round(on, 4),
        "promotions_vs_none": round(on / off, 3) if off else 0.0,
    }


def _answered(load: dict[str, Any]) -> int:
    return sum(int(v) for v in load["statuses"].values())


def _cpu_ms_per(load: dict[str, Any], count: int) -> float:
    return 1000 * float(load["server_cpu_s"]) / count if count else 0.0


def _cpu_ratio(health: dict[str, Any], load: dict[str, Any], ok: int) -> float:
    """The throughput ratio in server CPU: a /healthz's CPU over a checkout's (what orders/s
    over /healthz/s would be if CPU were the only limit and nothing else loaded the machine)."""
    checkout = _cpu_ms_per(load, ok)
    return round(_cpu_ms_per(health, _answered(health)) / checkout, 4) if checkout else 0.0


def _figures(phase: tuple[dict[str, Any], dict[str, Any]]) -> dict[str, Any]:
    health, load = phase
    ok = load["statuses"].get("201", 0)
    orders_per_s = ok / load["elapsed_s"] if load["elapsed_s"] else 0.0
    return {
        "orders_per_s": round(orders_per_s, 1),
        "p50_ms": load["p50_ms"],
        "p99_ms": load["p99_ms"],
        "healthz_per_s": health["per_s"],
        "ratio": round(orders_per_s / health["per_s"], 4) if health["per_s"] else 0.0,
        "cpu_ms_per_checkout": round(_cpu_ms_per(load, ok), 3),
        "cpu_ms_per_healthz": round(_cpu_ms_per(health, _answered(health)), 3),
        "cpu_ratio": _cpu_ratio(health, load, ok),
        "checkouts_201": ok,
        "non_201": {k: v for k, v in load["statuses"].items() if k != "201"},
        "errors": load["errors"],
    }
