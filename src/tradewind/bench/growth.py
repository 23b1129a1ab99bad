"""``tradewind bench growth``: what each cost does as one marketplace grows to 10x and 50x.

One database is grown step by step by the bulk loaders of :mod:`tradewind.bench.growth_load`
(1x is ``base`` offers from the Chorus catalog, ``base / 100`` sellers, ``base / 10`` buyers,
``base / 2`` orders through their life with their ledger). At each size it measures:

- search p50/p95, without and with facets (the search use case, in process, one thread);
- a full ``ledger check``; then a fixed batch of new orders (a tenth of 1x, released but not
  yet paid out) and an incremental check over them, as milliseconds per new entry;
- a seller balance read (what the seller center shows) of the big shop;
- one daily payout batch (every seller; it pays the new batch's releases);
- the product page, the big shop's listings page and the operator overview, p95 over HTTP
  against one server process, and that process's peak resident memory;
- checkouts and flash claims (``bench checkout`` and ``bench flash-sale`` on the same
  database), as ratios to the same server's ``/healthz`` rate.

Every figure is also printed as a ratio to its own 1x value (``growth``). With ``servers``
false the HTTP parts are left out (the test runs it that way at tiny sizes).
"""

from __future__ import annotations

import csv
import math
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from tradewind.bench.growth_load import Grower, Shape
from tradewind.bench.harness import bench_database, run_load, server_process
from tradewind.bootstrap import Container
from tradewind.catalog.chorus_import import (
    ImportReport,
    plan_titles,
    read_products,
    to_new_product,
)
from tradewind.catalog.service import product_values
from tradewind.db.tables.catalog import products, sellers
from tradewind.db.tables.ledger import ledger_entries, ledger_transactions
from tradewind.db.tables.ordering import orders
from tradewind.escrow import payouts
from tradewind.escrow.checks import run_ledger_check
from tradewind.identity import service as identity
from tradewind.identity.domain import Role
from tradewind.kernel.errors import InvalidInput
from tradewind.search import service as search
from tradewind.seed import seed_fx

CHORUS = Path(__file__).resolve().parents[4] / "shared" / "data" / "chorus"
HTML = "text/html,application/xhtml+xml"
MAX_QUERIES = 40
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def _ms(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def _queries(judgments: Path) -> list[str]:
    with judgments.open(newline="") as fh:
        return sorted({row["query"] for row in csv.DictReader(fh)})[:MAX_QUERIES]


def _records(products_dir: Path) -> list[dict[str, Any]]:
    records = list(read_products(products_dir))
    _, repeats = plan_titles(records)
    return [raw for raw in records if str(raw["id"]) not in repeats and _valid(raw)]


def _valid(raw: dict[str, Any]) -> bool:
    """Whether the catalog takes the record (the importer rejects a few, e.g. sizes > 10 m)."""
    try:
        product_values(to_new_product(raw, ImportReport()), created_by=None, now=NOW)
    except InvalidInput:
        return False
    return True


def _search(container: Container, queries: list[str], rounds: int) -> dict[str, float]:
    def run(text: str, facets: bool) -> None:
        request = search.SearchRequest(text=text, limit=10, with_facets=facets)
        with container.uow(read_only=True) as uow:
            search.search(uow, request)

    figures = {}
    for facets, name in ((False, "search"), (True, "search_facets")):
        for q in queries:
            run(q, facets)  # warm-up
        times = [_ms(partial(run, q, facets)) for _ in range(rounds) for q in queries]
        figures[f"{name}_p50_ms"] = round(_percentile(times, 0.5), 2)
        figures[f"{name}_p95_ms"] = round(_percentile(times, 0.95), 2)
    return figures


def _ledger(container: Container, grower: Grower) -> dict[str, Any]:
    """A full check; a tenth of 1x in new orders (not paid out); an incremental check."""
    started = time.perf_counter()
    full = run_ledger_check(container.uow, incremental=False)
    full_s = time.perf_counter() - started
    new_entries = grower.orders(max(2, grower.shape.orders // 10), pay_out=False)
    started = time.perf_counter()
    incremental = run_ledger_check(container.uow, incremental=True)
    incremental_s = time.perf_counter() - started
    return {
        "ledger_check_full_s": round(full_s, 3),
        "ledger_check_breaches": len(full.breaches) + len(incremental.breaches),
        "ledger_check_incremental_ms_per_entry": round(incremental_s * 1000 / new_entries, 4),
        "ledger_check_incremental_entries": new_entries,
    }


def _money(container: Container, big_shop: str, size: int) -> dict[str, Any]:
    def read() -> None:
        with container.uow(read_only=True) as uow:
            payouts.seller_balances(uow, big_shop)

    read()
    balance = statistics.median(_ms(read) for _ in range(21))
    started = time.perf_counter()
    with container.uow() as uow:
        made = payouts.run_payouts(
            uow, container.payments, minimum_major="1.00", batch_key=f"growth-batch-{size}"
        )
        uow.commit()
    batch_s = time.perf_counter() - started
    return {
        "balance_read_ms": round(balance, 3),
        "payout_batch_s": round(batch_s, 3),
        "payout_batch_ms_per_seller": round(batch_s * 1000 / max(1, len(made)), 3),
        "payouts_made": len(made),
    }


def _peak_rss_kb(pid: int) -> int:
    """The largest VmHWM of the server process and its children (workers)."""
    pids = [pid]
    with suppress(OSError):
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    peak = 0
    for one in pids:
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except OSError:
            continue
    return peak


def _pages(url: str, grower: Grower, tokens: dict[str, str], rounds: int) -> dict[str, Any]:
    offers = grower.loaded.offers
    picks = [offers[(i * 104729) % len(offers)][2] for i in range(20)]
    seller = {"Accept": HTML, "Authorization": f"Bearer {tokens['seller']}"}
    operator = {"Accept": HTML, "Authorization": f"Bearer {tokens['operator']}"}
    requests = [
        {"name": "product", "path": f"/products/{p}", "headers": {"Accept": HTML}} for p in picks
    ]
    requests += [{"name": "listings", "path": "/seller/listings", "headers": seller}] * 10
    requests += [{"name": "overview", "path": "/ops/overview", "headers": operator}] * 5
    pids: list[int] = []
    with server_process(url, workers=1, pids=pids) as base_url:
        spec = {"base_url": base_url, "requests": requests, "concurrency": 1}
        run_load({**spec, "max_requests": len(requests), "duration_s": 60})  # warm up
        measured = run_load({**spec, "max_requests": rounds * len(requests), "duration_s": 100})
        rss = _peak_rss_kb(pids[0])
    by_name = measured["by_name"]
    return {
        "product_page_p95_ms": by_name["product"]["p95_ms"],
        "listings_page_p95_ms": by_name["listings"]["p95_ms"],
        "overview_p95_ms": by_name["overview"]["p95_ms"],
        "page_statuses": measured["statuses"],
        "server_peak_rss_mb": round(rss / 1024, 1),
    }


def _throughput(url: str, duration_s: float) -> dict[str, Any]:
    from tradewind.bench.checkout import bench_checkout
    from tradewind.bench.flash_sale import bench_flash_sale

    checkout = bench_checkout(url, duration_s=duration_s, concurrency=32, buyers=64, workers=2)
    flash = bench_flash_sale(
        url, buyers=200, stock=200_000, duration_s=duration_s, workers=2, rate_per_s=6000
    )
    return {
        "checkout_vs_healthz": checkout["ratio"],
        "claims_vs_healthz": flash["claims_vs_healthz"],
        "sold_out_vs_healthz": flash["sold_out_vs_healthz"],
        "oversold": checkout["oversold"] + flash["oversold"],
    }


def _counts(container: Container, grower: Grower) -> dict[str, dict[str, int]]:
    """What the loaders wrote, counted back from the database (expected, found)."""
    loaded = grower.loaded
    growth_sellers = select(sellers.c.id).where(sellers.c.name.like("Growth Shop %"))
    with container.uow(read_only=True) as uow:
        found_products = uow.conn.scalar(
            select(func.count()).where(products.c.source_ref.like("growth:%"))
        )
        found_orders = uow.conn.scalar(
            select(func.count()).where(orders.c.seller_id.in_(growth_sellers))
        )
        loaded_tx = ledger_transactions.c.idempotency_key.like("capture:pi_growth_%") | (
            ledger_transactions.c.idempotency_key.like("release:%")
        )
        loaded_tx |= ledger_transactions.c.idempotency_key.like("payout:%:growth-20%")
        found_tx = uow.conn.scalar(select(func.count()).where(loaded_tx))
        found_entries = uow.conn.scalar(
            select(func.count())
            .select_from(ledger_entries.join(ledger_transactions))
            .where(loaded_tx)
        )
    return {
        "offers": {"expected": len(loaded.offers), "found": int(found_products or 0)},
        "orders": {"expected": loaded.orders, "found": int(found_orders or 0)},
        "ledger_transactions": {"expected": loaded.transactions, "found": int(found_tx or 0)},
        "ledger_entries": {"expected": loaded.entries, "found": int(found_entries or 0)},
    }


def _tokens(container: Container, grower: Grower) -> dict[str, str]:
    ttl = container.settings.api_token_ttl_days
    with container.uow() as uow:
        operator = identity.register_account(
            uow,
            identity.NewAccount(
                email="growth.operator@bench.test",
                password="growth-operator-password",  # noqa: S106 - throwaway bench DB
                display_name="Growth Operator",
                role=Role.OPERATOR,
                country="US",
            ),
        )
        tokens = {
            "operator": identity.create_api_token(uow, operator, ttl_days=ttl),
            "seller": identity.create_api_token(uow, grower.loaded.sellers[0][1], ttl_days=ttl),
        }
        uow.commit()
    return tokens


@contextmanager
def _grown(db_url: str | None, products_dir: Path, base: int) -> Iterator[tuple[str, Grower]]:
    with bench_database(db_url) as (url, container):
        seed_fx(container)
        yield url, Grower(container, _records(products_dir), Shape.of(base))


def bench_growth(
    db_url: str | None,
    *,
    sizes: Sequence[int] = (1, 10, 50),
    base: int = 2000,
    products_dir: Path = CHORUS / "products",
    judgments: Path = CHORUS / "judgments-dev.csv",
    servers: bool = True,
    duration_s: float = 4.0,
    rounds: int = 20,
) -> dict[str, Any]:
    queries = _queries(judgments)
    by_size: dict[str, dict[str, Any]] = {}
    with _grown(db_url, products_dir, base) as (url, grower):
        container = grower.container
        tokens: dict[str, str] = {}
        for size in sizes:
            figures: dict[str, Any] = grower.grow_to(size)
            tokens = tokens or _tokens(container, grower)
            figures |= _ledger(container, grower)
            figures |= _search(container, queries, rounds=2)
            figures |= _money(container, grower.loaded.sellers[0][0], size)
            if servers:
                figures |= _pages(url, grower, tokens, rounds)
                figures |= _throughput(url, duration_s)
            figures["counts"] = _counts(container, grower)
            figures["contents"] = _contents(grower)
            by_size[f"{size}x"] = figures
        load_parts = {k: round(v, 1) for k, v in grower.loaded.seconds.items()}
    return {
        "database": url.split(":", 1)[0].split("+", 1)[0],
        "base_offers": base,
        "sizes": by_size,
        "growth": _growth(by_size),
        "load_seconds_by_part": load_parts,
    }


def _contents(grower: Grower) -> dict[str, int]:
    loaded = grower.loaded
    big = loaded.sellers[0][0]
    return {
        "offers": len(loaded.offers),
        "big_shop_offers": sum(1 for o in loaded.offers if o[1] == big),
        "sellers": len(loaded.sellers),
        "buyers": len(loaded.buyers),
        "orders": loaded.orders,
        "orders_finalized": loaded.finalized,
        "ledger_transactions": loaded.transactions,
        "ledger_entries": loaded.entries,
    }


RATIO_KEYS = (
    "search_p50_ms",
    "search_p95_ms",
    "search_facets_p50_ms",
    "search_facets_p95_ms",
    "product_page_p95_ms",
    "listings_page_p95_ms",
    "overview_p95_ms",
    "balance_read_ms",
    "payout_batch_s",
    "payout_batch_ms_per_seller",
    "ledger_check_full_s",
    "ledger_check_incremental_ms_per_entry",
    "checkout_vs_healthz",
    "claims_vs_healthz",
    "sold_out_vs_healthz",
    "server_peak_rss_mb",
)


def _growth(by_size: dict[str, dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    """Each figure at each size as a ratio to its own value at the first size."""
    first = next(iter(by_size.values()), {})
    return {
        key: {
            size: round(figures[key] / first[key], 2) if first.get(key) else None
            for size, figures in by_size.items()
        }
        for key in RATIO_KEYS
        if key in first
    }
