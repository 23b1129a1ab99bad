"""The index tables, the same SQL on both databases: documents, vocabulary, corpus totals.

Writes keep three things in step inside the caller's transaction: a product's analyzed row,
the document frequency of each of its terms (``search_terms``) and the corpus totals
(``search_stats``). Counters move by deltas (``documents = documents + :delta``) in sorted key
order, so concurrent indexers on PostgreSQL lock rows in one order and never deadlock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Float, String, Subquery, delete, func, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite

from tradewind.db.tables.catalog import product_texts, products
from tradewind.db.tables.search import search_documents, search_stats, search_terms
from tradewind.search.analysis.document import (
    FIELDS,
    IndexedDocument,
    ProductText,
    analyze_product,
)
from tradewind.search.analysis.ranking import CorpusStats, PackedDocument

DOCUMENTS = "documents"
MAX_TERM_CHARS = 64
MAX_LOOKUP_TERMS = 2000  # a query never needs more (edits of a few words)


def length_key(field: str) -> str:
    return f"length:{field}"


def to_row(doc: IndexedDocument) -> dict[str, str]:
    row = {name: " ".join(doc.fields.get(name, ())) for name in FIELDS}
    row["heads"] = " ".join(doc.heads)[:200]
    return row


def from_row(row: Mapping[Any, Any]) -> IndexedDocument:
    return IndexedDocument(
        fields={name: tuple((row[name] or "").split()) for name in FIELDS},
        heads=tuple((row["heads"] or "").split()),
    )


def packed_from_values(values: Sequence[Any]) -> PackedDocument:
    """The ranking's form of a stored row's ``FIELDS`` then ``heads`` values, in that order,
    without splitting its text into tuples."""
    return PackedDocument.from_values(values[: len(FIELDS)], (values[len(FIELDS)] or "").split())


def _terms(doc: IndexedDocument) -> set[str]:
    return {t[:MAX_TERM_CHARS] for name in FIELDS for t in doc.fields.get(name, ())}


def _lengths(doc: IndexedDocument) -> dict[str, int]:
    return {length_key(name): len(doc.fields.get(name, ())) for name in FIELDS}


def _upsert_counts(
    conn: Connection, table: Any, key: str, column: str, deltas: Counter[str]
) -> None:
    changed = sorted((k, d) for k, d in deltas.items() if d)
    if not changed:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c[key]],
        set_={column: table.c[column] + statement.excluded[column]},
    )
    conn.execute(statement, [{key: k, column: d} for k, d in changed])


def analyze_rows(
    rows: Iterable[Mapping[Any, Any]],
    texts: Mapping[str, list[tuple[str, str]]] | None = None,
) -> dict[str, IndexedDocument]:
    """``products`` rows (and their other-language texts) -> analyzed documents, by product id."""
    texts = texts or {}
    return {
        row["id"]: analyze_product(
            ProductText(
                title=row["title"],
                brand=row["brand"],
                model=row["model"],
                description=row["description"],
                attributes={str(k): str(v) for k, v in (row["attributes"] or {}).items()},
                local_titles=tuple(t for t, _ in texts.get(row["id"], [])),
                local_descriptions=tuple(d for _, d in texts.get(row["id"], []) if d),
            )
        )
        for row in rows
    }


def _local_texts(conn: Connection, ids: list[str]) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    for pid, title, description in conn.execute(
        select(product_texts.c.product_id, product_texts.c.title, product_texts.c.description)
        .where(product_texts.c.product_id.in_(ids))
        .order_by(product_texts.c.product_id, product_texts.c.language)
    ):
        found.setdefault(pid, []).append((title, description))
    return found


def write_documents(conn: Connection, product_ids: Collection[str]) -> int:
    """(Re)index these products from the catalog; ids no longer in it leave the index."""
    ids = sorted(set(product_ids))
    if not ids:
        return 0
    fresh = analyze_rows(
        [
            r._mapping
            for r in conn.execute(
                select(
                    products.c.id,
                    products.c.title,
                    products.c.brand,
                    products.c.model,
                    products.c.description,
                    products.c.attributes,
                ).where(products.c.id.in_(ids))
            )
        ],
        _local_texts(conn, ids),
    )
    old = {
        r.product_id: from_row(r._mapping)
        for r in conn.execute(
            select(search_documents).where(search_documents.c.product_id.in_(ids))
        )
    }
    terms: Counter[str] = Counter()
    stats: Counter[str] = Counter()
    for doc in old.values():
        terms.subtract(_terms(doc))
        stats.subtract({**_lengths(doc), DOCUMENTS: 1})
    for doc in fresh.values():
        terms.update(_terms(doc))
        stats.update({**_lengths(doc), DOCUMENTS: 1})
    if old:
        conn.execute(delete(search_documents).where(search_documents.c.product_id.in_(list(old))))
    if fresh:
        conn.execute(
            insert(search_documents),
            [{"product_id": pid, **to_row(doc)} for pid, doc in sorted(fresh.items())],
        )
    _upsert_counts(conn, search_terms, "term", "documents", terms)
    _upsert_counts(conn, search_stats, "name", "value", stats)
    conn.execute(delete(search_terms).where(search_terms.c.documents <= 0))
    return len(fresh)


def clear(conn: Connection) -> None:
    conn.execute(delete(search_documents))
    conn.execute(delete(search_terms))
    conn.execute(delete(search_stats))


def frequencies(conn: Connection, terms: Collection[str]) -> dict[str, int]:
    wanted = sorted({t for t in terms if 0 < len(t) <= MAX_TERM_CHARS})[:MAX_LOOKUP_TERMS]
    if not wanted:
        return {}
    rows = conn.execute(
        select(search_terms.c.term, search_terms.c.documents).where(search_terms.c.term.in_(wanted))
    )
    return {term: int(count) for term, count in rows}


def completions(conn: Connection, prefix: str, limit: int) -> list[tuple[str, int]]:
    """Indexed words starting with ``prefix`` (a range scan on the primary key)."""
    if not prefix:
        return []
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    rows = conn.execute(
        select(search_terms.c.term, search_terms.c.documents)
        .where(search_terms.c.term >= prefix, search_terms.c.term < upper)
        .order_by(search_terms.c.documents.desc(), search_terms.c.term)
        .limit(limit)
    )
    return [(term, int(count)) for term, count in rows]


def corpus_stats(conn: Connection, known: Mapping[str, int]) -> CorpusStats:
    totals = dict(conn.execute(select(search_stats.c.name, search_stats.c.value)).all())
    documents = max(int(totals.get(DOCUMENTS, 0)), 1)
    return CorpusStats(
        documents=documents,
        average_lengths={f: int(totals.get(length_key(f), 0)) / documents for f in FIELDS},
        frequencies=known,
    )


def indexed_count(conn: Connection) -> int:
    return int(conn.scalar(select(func.count()).select_from(search_documents)) or 0)


def ranked_matches(sql: str, expression: str, limit: int | None) -> Subquery:
    """An engine's ``(product_id, rank)`` statement as a subquery, the match expression bound;
    with ``limit``, the engine sorts and stops at the best ``limit`` before any join."""
    if limit is not None:
        sql += " ORDER BY rank, product_id LIMIT :limit"
    statement = text(sql).bindparams(match=expression)
    if limit is not None:
        statement = statement.bindparams(limit=limit)
    return statement.columns(product_id=String, rank=Float).subquery("m")
