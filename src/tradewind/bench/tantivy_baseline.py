"""The Tantivy baseline beside ``tradewind bench search``: how fast a plain engine answers.

Tantivy (the Rust engine, ``tantivy`` on PyPI, the ``bench`` extra) indexes the same products
in memory, in one catch-all field (title, brand, model, description, attribute values) with
its English stemming analyzer, and answers each query as a disjunction of its words ranked by
BM25, top 10, in this process and this thread. The latency measured is the same unit of work
as ours minus what only a marketplace does: parse, search, and read back the ten ids.
Nothing here is used by the product: it is the yardstick of issue 19.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

TOP_K = 10
WRITER_HEAP_BYTES = 64_000_000


def _tantivy() -> Any:
    try:
        import tantivy
    except ImportError as exc:  # pragma: no cover - the bench extra is missing
        raise RuntimeError(
            "the Tantivy baseline needs the bench extra: pip install -e '.[bench]'"
        ) from exc
    return tantivy


@dataclass(frozen=True, slots=True)
class Baseline:
    """An in-memory Tantivy index of the products, keyed by our product ids."""

    index: Any
    searcher: Any
    documents: int

    def search(self, text: str, limit: int = TOP_K) -> list[str]:
        query = self.index.parse_query_lenient(text, ["text"])[0]
        hits = self.searcher.search(query, limit, count=False).hits
        return [str(self.searcher.doc(address)["id"][0]) for _, address in hits]


def catch_all(row: Mapping[str, Any]) -> str:
    """One field of everything a buyer might type: title, brand, model, description, values."""
    values = [str(v) for v in (row.get("attributes") or {}).values()]
    parts = [row["title"], row["brand"], row["model"], row["description"], *values]
    return " ".join(str(p) for p in parts if p)


def build(rows: Iterable[Mapping[str, Any]]) -> Baseline:
    """Index ``rows`` (``products`` rows: id, title, brand, model, description, attributes)."""
    tantivy = _tantivy()
    schema_builder = tantivy.SchemaBuilder()
    schema_builder.add_text_field("id", stored=True, tokenizer_name="raw")
    schema_builder.add_text_field("text", tokenizer_name="en_stem")
    schema = schema_builder.build()
    index = tantivy.Index(schema)
    writer = index.writer(heap_size=WRITER_HEAP_BYTES, num_threads=1)
    documents = 0
    for row in rows:
        writer.add_document(tantivy.Document(id=str(row["id"]), text=catch_all(row)))
        documents += 1
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    return Baseline(index, index.searcher(), documents)


def timed(call: Callable[[], object]) -> tuple[float, float]:
    """``call``'s wall time and this thread's CPU time, in ms. On a shared machine the CPU
    time is the steadier figure: it leaves out the time other processes held the core."""
    wall, cpu = time.perf_counter(), time.thread_time()
    call()
    return (time.perf_counter() - wall) * 1000, (time.thread_time() - cpu) * 1000


def measure(
    baseline: Baseline, queries: list[str], rounds: int
) -> tuple[dict[str, list[str]], list[tuple[float, float]]]:
    """Top-10 ids per query (warm-up pass) and per-query (wall, CPU) ms over ``rounds``."""
    results = {q: baseline.search(q) for q in queries}
    times = [timed(partial(baseline.search, q)) for _ in range(rounds) for q in queries]
    return results, times
