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
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tradewind.bench.harness import bench_database
from tradewind.bench.tantivy_baseline import timed
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


def _catalog_rows(container: Container, to_source: dict[str, str]) -> list[dict[str, Any]]:
    """The indexed products as the Tantivy baseline reads them, keyed by source id."""
    with container.uow(read_only=True) as uow:
        rows = uow.conn.execute(select(products).where(products.c.id.in_(list(to_source))))
        return [{**row._mapping, "id": to_source[row.id]} for row in rows]


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


Times = list[tuple[float, float]]  # (wall ms, CPU ms) per query


def _measure(
    container: Container, queries: list[str], rounds: int, with_facets: bool
) -> tuple[dict[str, list[str]], Times]:
    results = {q: _run(container, q, with_facets) for q in queries}  # warm-up pass
    times = [
        timed(partial(_run, container, q, with_facets)) for _ in range(rounds) for q in queries
    ]
    return results, times


def mean_ndcg(ranked: dict[str, list[str]], judged: dict[str, dict[str, int]]) -> dict[str, float]:
    """nDCG@10 per query that has a positive judgment (``ranked`` holds source ids)."""
    return {q: s for q in sorted(judged) if (s := ndcg_at(ranked[q], judged[q])) is not None}


def _baseline(
    container: Container, to_source: dict[str, str], queries: list[str], rounds: int
) -> tuple[dict[str, list[str]], Times]:
    from tradewind.bench import tantivy_baseline

    baseline = tantivy_baseline.build(_catalog_rows(container, to_source))
    return tantivy_baseline.measure(baseline, queries, rounds)


def _ratio(ours: float, theirs: float) -> float | None:
    return round(ours / theirs, 1) if theirs > 0 else None


def bench_search(
    products_dir: Path,
    judgments: Path,
    db_url: str | None,
    *,
    rounds: int = 3,
    baseline: bool = True,
) -> dict[str, Any]:
    """Our search and (``baseline``) Tantivy's on the same products, queries and thread.

    The phases take turns (ours, Tantivy, ours with facets, Tantivy again) so that drift on a
    shared machine hits both engines alike; ratios are of p95s measured in this one run."""
    judged = read_judgments(judgments)
    theirs: Times = []
    with bench_database(db_url) as (url, container):
        indexed, index_s = _prepare(container, products_dir)
        to_source = _source_ids(container)
        queries = sorted(judged)
        ranked, latencies = _measure(container, queries, rounds, with_facets=False)
        if baseline:
            their_ranked, first = _baseline(container, to_source, queries, rounds)
            theirs += first
        _, with_facets = _measure(container, queries, rounds, with_facets=True)
        if baseline:
            theirs += _baseline(container, to_source, queries, rounds)[1]
    scores = mean_ndcg({q: [to_source.get(p, p) for p in ids] for q, ids in ranked.items()}, judged)
    result = _ours(url, indexed, index_s, scores, len(queries), latencies, with_facets, rounds)
    if baseline:
        result |= _against(result, mean_ndcg(their_ranked, judged), theirs)
    return result


def _against(ours: dict[str, Any], scores: dict[str, float], theirs: Times) -> dict[str, Any]:
    """Tantivy's figures and our p95s as multiples of its p95, wall and CPU."""
    p95 = _percentile([wall for wall, _ in theirs], 0.95)
    cpu_p95 = _percentile([cpu for _, cpu in theirs], 0.95)
    return {
        "tantivy_ndcg_at_10": round(statistics.fmean(scores.values()), 4),
        "tantivy_p50_ms": round(_percentile([wall for wall, _ in theirs], 0.50), 4),
        "tantivy_p95_ms": round(p95, 4),
        "tantivy_cpu_p95_ms": round(cpu_p95, 4),
        "p95_ratio_to_tantivy": _ratio(ours["latency_p95_ms"], p95),
        "with_facets_p95_ratio_to_tantivy": _ratio(ours["with_facets_p95_ms"], p95),
        "cpu_p95_ratio_to_tantivy": _ratio(ours["cpu_p95_ms"], cpu_p95),
        "with_facets_cpu_p95_ratio_to_tantivy": _ratio(ours["with_facets_cpu_p95_ms"], cpu_p95),
    }


def _ours(
    url: str,
    indexed: int,
    index_s: float,
    scores: dict[str, float],
    queries_in_file: int,
    times: Times,
    with_facets: Times,
    rounds: int,
) -> dict[str, Any]:
    latencies = [wall for wall, _ in times]
    facets = [wall for wall, _ in with_facets]
    return {
        "database": url.split(":", 1)[0].split("+", 1)[0],
        "products_indexed": indexed,
        "import_and_index_s": round(index_s, 1),
        "queries": len(scores),
        "queries_in_file": queries_in_file,
        "ndcg_at_10": round(statistics.fmean(scores.values()), 4) if scores else None,
        "latency_p50_ms": round(_percentile(latencies, 0.50), 2),
        "latency_p95_ms": round(_percentile(latencies, 0.95), 2),
        "with_facets_p50_ms": round(_percentile(facets, 0.50), 2),
        "with_facets_p95_ms": round(_percentile(facets, 0.95), 2),
        "cpu_p95_ms": round(_percentile([cpu for _, cpu in times], 0.95), 2),
        "with_facets_cpu_p95_ms": round(_percentile([cpu for _, cpu in with_facets], 0.95), 2),
        "rounds": rounds,
    }
