"""``tradewind bench search``: relevance (nDCG@10) and latency of product search on real judgments.

Imports the Chorus catalog into a throwaway database (or reuses the one ``db_url`` names: the
import is idempotent), rebuilds the search index, then runs every query of a judgments CSV
(``query,docid,rating``, ratings 0-3, ``docid`` the Chorus product id) through the same use
case the API calls.

nDCG@10 is the usual graded form: gain ``2^rating - 1``, discount ``log2(rank + 1)``, unjudged
results gain 0, ideal order from all judgments of the query; queries without any positive
judgment are left out (their ideal DCG is 0). Latency is wall time per query in one thread,
measured after one warm-up pass, over ``rounds`` passes.
"""

from __future__ import annotations

import csv
import math
import statistics
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tradewind.bench.harness import bench_database
from tradewind.bootstrap import Container
from tradewind.catalog.chorus_import import SOURCE, import_chorus
from tradewind.db.tables.catalog import products
from tradewind.search import service as search
from tradewind.seed import seed_fx

TOP_K = 10


def read_judgments(path: Path) -> dict[str, dict[str, int]]:
    judged: dict[str, dict[str, int]] = defaultdict(dict)
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            judged[row["query"]][row["docid"].strip()] = int(row["rating"])
    return dict(judged)


def ndcg_at(ranked: list[str], judged: dict[str, int], k: int = TOP_K) -> float | None:
    """nDCG@k of ``ranked`` source ids; None when the query has no positive judgment."""
    ideal = sorted((2**r - 1 for r in judged.values()), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    if idcg <= 0:
        return None
    dcg = sum((2 ** judged.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    return float(dcg / idcg)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def _prepare(container: Container, products_dir: Path) -> tuple[int, float]:
    seed_fx(container)
    started = time.perf_counter()
    import_chorus(container.uow, products_dir)
    with container.uow() as uow:
        indexed = search.reindex_all(uow)
        uow.commit()
    return indexed, time.perf_counter() - started


def _source_ids(container: Container) -> dict[str, str]:
    prefix = f"{SOURCE}:"
    with container.uow(read_only=True) as uow:
        rows = uow.conn.execute(
            select(products.c.id, products.c.source_ref).where(
                products.c.source_ref.like(f"{prefix}%")
            )
        )
        return {pid: ref[len(prefix) :] for pid, ref in rows}


def _run(container: Container, text: str, with_facets: bool) -> list[str]:
    request = search.SearchRequest(text=text, limit=TOP_K, with_facets=with_facets)
    with container.uow(read_only=True) as uow:
        result = search.search(uow, request)
    return [hit.product_id for hit in result.hits]


def _measure(
    container: Container, queries: list[str], rounds: int, with_facets: bool
) -> tuple[dict[str, list[str]], list[float]]:
    results = {q: _run(container, q, with_facets) for q in queries}  # warm-up pass
    latencies: list[float] = []
    for _ in range(rounds):
        for q in queries:
            started = time.perf_counter()
            _run(container, q, with_facets)
            latencies.append((time.perf_counter() - started) * 1000)
    return results, latencies


def bench_search(
    products_dir: Path, judgments: Path, db_url: str | None, *, rounds: int = 3
) -> dict[str, Any]:
    judged = read_judgments(judgments)
    with bench_database(db_url) as (url, container):
        indexed, index_s = _prepare(container, products_dir)
        to_source = _source_ids(container)
        queries = sorted(judged)
        ranked, latencies = _measure(container, queries, rounds, with_facets=False)
        _, with_facets = _measure(container, queries, rounds, with_facets=True)
    scores = {
        q: s
        for q in queries
        if (s := ndcg_at([to_source.get(p, p) for p in ranked[q]], judged[q])) is not None
    }
    return {
        "database": url.split(":", 1)[0].split("+", 1)[0],
        "products_indexed": indexed,
        "import_and_index_s": round(index_s, 1),
        "queries": len(scores),
        "queries_in_file": len(queries),
        "ndcg_at_10": round(statistics.fmean(scores.values()), 4) if scores else None,
        "latency_p50_ms": round(_percentile(latencies, 0.50), 2),
        "latency_p95_ms": round(_percentile(latencies, 0.95), 2),
        "with_facets_p50_ms": round(_percentile(with_facets, 0.50), 2),
        "with_facets_p95_ms": round(_percentile(with_facets, 0.95), 2),
        "rounds": rounds,
    }
