"""Search use cases: search, suggest, and keeping the index in step with the catalog.

One port, two adapters: the database's full-text engine (SQLite FTS5 or PostgreSQL
``tsvector``) finds candidates, ranked by its own weighted score, and the pure ranking in
:mod:`tradewind.search.analysis.ranking` orders them. When fewer than ``MAX_CANDIDATES``
products contain every clause, the two rankings see the same set and agree exactly on both
databases; past that, each engine's weighted BM25 picks the pool.

Offers are not indexed: price, stock, ship-from and rating filters join the live ``offers``
and ``sellers`` rows at query time, so an offer change shows in the next search without a
reindex. Product text must be indexed when a product is created or edited:
:func:`index_products` in the same unit of work, or :func:`reindex_all` after a bulk import.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Connection, Subquery, func, select

from tradewind.db.tables.catalog import products
from tradewind.db.tables.search import search_documents
from tradewind.db.uow import UnitOfWork
from tradewind.kernel.errors import FieldError, InvalidInput
from tradewind.money.currency import validate_country, validate_currency
from tradewind.search import _postgres, _sqlite, _store
from tradewind.search._facets import Facets, facets
from tradewind.search._filters import SearchFilters, compile_filters, where
from tradewind.search._hits import Quotes, SearchHit, hits_for, live_offers, seller_bounds_for
from tradewind.search._sorting import Sort, delivered_price, sort_ranked
from tradewind.search.analysis.document import FIELDS
from tradewind.search.analysis.query import ParsedQuery, parse_query
from tradewind.search.analysis.ranking import PackedDocument, rank
from tradewind.search.analysis.text import tokens

MAX_CANDIDATES = 200  # ranked results per query; deeper pages are not served
MAX_PAGE_SIZE = 50
MAX_QUERY_CHARS = 200
REINDEX_CHUNK = 500

__all__ = [
    "Facets",
    "SearchFilters",
    "SearchHit",
    "SearchRequest",
    "SearchResult",
    "Sort",
    "index_products",
    "reindex_all",
    "search",
    "suggest",
]


@dataclass(frozen=True, slots=True)
class SearchRequest:
    text: str
    currency: str = "USD"
    filters: SearchFilters = field(default_factory=SearchFilters)
    limit: int = 20
    offset: int = 0
    with_facets: bool = True
    language: str = "en"  # titles shown in this language when the product has it
    sort: Sort = Sort.RELEVANCE
    destination: str | None = None  # the buyer's country: prices delivered there


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: str
    match: str  # "all": every clause matched; "any": fell back to partial matches
    total: int  # products matching (in "match" mode) and passing the filters
    hits: list[SearchHit]
    next_offset: int | None
    facets: Facets | None
    interpretation: list[list[str]]  # each clause's alternatives, as the index saw them
    # The query with unknown words replaced by the indexed word they were read as ("samsnug"
    # -> "samsung"), when any was; None when every word was found as typed.
    corrected: str | None = None
    # In "all" mode, how many ranked results after the total's match only some of the words
    # (they fill the list): the page says so instead of a count the list contradicts.
    partial: int = 0


class _Vocabulary:
    """The :class:`~tradewind.search.analysis.query.Vocabulary` port over ``search_terms``."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.known: dict[str, int] = {}

    def frequencies(self, terms: Collection[str]) -> Mapping[str, int]:
        found = _store.frequencies(self._conn, terms)
        self.known.update(found)
        return found

    def completions(self, prefix: str, limit: int) -> list[tuple[str, int]]:
        found = _store.completions(self._conn, prefix, limit)
        self.known.update(found)
        return found


Matcher = Callable[..., Subquery]


def _matcher(conn: Connection) -> Matcher:
    return _postgres.matches if conn.dialect.name == "postgresql" else _sqlite.matches


def _validate(request: SearchRequest) -> None:
    errors = []
    if len(request.text) > MAX_QUERY_CHARS:
        errors.append(FieldError("q", f"at most {MAX_QUERY_CHARS} characters"))
    if not 1 <= request.limit <= MAX_PAGE_SIZE:
        errors.append(FieldError("limit", f"1 to {MAX_PAGE_SIZE}"))
    if not 0 <= request.offset < MAX_CANDIDATES:
        errors.append(FieldError("after", f"results past {MAX_CANDIDATES} are not served"))
    f = request.filters
    if (
        f.min_price_minor is not None
        and f.max_price_minor is not None
        and f.min_price_minor > f.max_price_minor
    ):
        errors.append(FieldError("min_price", "greater than max_price"))
    if errors:
        raise InvalidInput("invalid search parameters", errors=errors)
    validate_currency(request.currency)
    if request.destination is not None:
        validate_country(request.destination)


_DOCUMENT_COLUMNS = [search_documents.c[name] for name in (*FIELDS, "heads")]
Candidate = tuple[str, PackedDocument]


def _candidates(
    conn: Connection, m: Subquery, conditions: list[Any], limit: int
) -> list[Candidate]:
    statement = (
        select(m.c.product_id, *_DOCUMENT_COLUMNS)
        .select_from(m)
        .join(search_documents, search_documents.c.product_id == m.c.product_id)
    )
    if conditions:
        statement = statement.join(products, products.c.id == m.c.product_id).where(*conditions)
    rows = conn.execute(statement.order_by(m.c.rank, m.c.product_id).limit(limit))
    return [(row[0], _store.packed_from_values(row[1:])) for row in rows]


def _count(conn: Connection, m: Subquery, conditions: list[Any]) -> int:
    statement = select(func.count()).select_from(m)
    if conditions:
        statement = statement.join(products, products.c.id == m.c.product_id).where(*conditions)
    return int(conn.scalar(statement) or 0)


@dataclass(frozen=True, slots=True)
class _Retrieved:
    mode: str  # "all" | "any"
    matched: Subquery  # every product of the mode (for counts and facets)
    found: list[Candidate]  # the ranked candidates, at most MAX_CANDIDATES
    every_word: frozenset[str]  # candidates that matched every clause
    complete: bool  # found holds the mode's whole match set: its size is the total


def _pool(
    conn: Connection, query: ParsedQuery, conditions: list[Any], *, require_all: bool
) -> tuple[Subquery, list[Candidate]]:
    """All matches (for counting) and the engine's best MAX_CANDIDATES of them. Without
    filters the engine sorts and cuts before any join; with them, the join filters first."""
    matches = _matcher(conn)
    every = matches(query, require_all=require_all)
    top = every if conditions else matches(query, require_all=require_all, limit=MAX_CANDIDATES)
    return every, _candidates(conn, top, conditions, MAX_CANDIDATES)


def _retrieve(conn: Connection, query: ParsedQuery, conditions: list[Any]) -> _Retrieved:
    """AND first; when that finds fewer than MAX_CANDIDATES, fill up with OR matches."""
    strict, found = _pool(conn, query, conditions, require_all=True)
    every_word = frozenset(pid for pid, _ in found)
    mode, m, complete = ("all" if found else "any"), strict, len(found) < MAX_CANDIDATES
    if len(found) < MAX_CANDIDATES and len(query.clauses) > 1:
        loose, more = _pool(conn, query, conditions, require_all=False)
        seen = set(every_word)
        found += [(pid, doc) for pid, doc in more if pid not in seen][: MAX_CANDIDATES - len(found)]
        if mode == "any":
            m, complete = loose, len(more) < MAX_CANDIDATES
    return _Retrieved(mode, m, found, every_word, complete)


# Alternatives that stand in for a word the index does not have, most faithful first: the
# word without its attached Hebrew prefix letters ("לכבל" -> "כבל"), then a typo's correction.
_STAND_INS = ("hebrew", "fuzzy")


def corrected_text(query: ParsedQuery, known: Mapping[str, int]) -> str | None:
    """The words as the index read them, when a stand-in (a Hebrew base without its prefix, a
    typo's correction) replaced a word that no product has as typed."""
    words, changed = [], False
    for clause in query.clauses:
        exact = clause.alternatives[0].tokens
        stand_ins = [a for source in _STAND_INS for a in clause.alternatives if a.source == source]
        if stand_ins and not all(known.get(t) for t in exact):
            words.append(" ".join(stand_ins[0].tokens))
            changed = True
        else:
            words.append(clause.text)
    return " ".join(words) if changed else None


# Facets that keep their other values when one is chosen: each is counted without its own
# filter (a buyer who picked one brand still sees the other brands, with their counts).
_OWN_FILTER = {"brand": "brands", "category": "categories", "ship_from": "ship_from"}


def _without(filters: SearchFilters, name: str) -> SearchFilters:
    if name == "brands":
        return replace(filters, brands=())
    if name == "categories":
        return replace(filters, categories=())
    return replace(filters, ship_from=())


def _facets(
    conn: Connection,
    query: ParsedQuery,
    request: SearchRequest,
    m: Subquery,
    conditions: Any,
    priced: Mapping[str, Any],
) -> Facets:
    summary = facets(conn, m, conditions, priced)
    for facet, name in _OWN_FILTER.items():
        if not getattr(request.filters, name):
            continue
        wider = _without(request.filters, name)
        wider_conditions = compile_filters(wider, seller_bounds_for(priced, wider))
        wider_m = _retrieve(conn, query, where(wider_conditions)).matched
        values = getattr(facets(conn, wider_m, wider_conditions, priced), facet)
        summary = replace(summary, **{facet: values})
    return summary


def _ordered(
    conn: Connection,
    request: SearchRequest,
    ranked: list[Any],
    conditions: Any,
    quotes: Quotes,
    every_word: frozenset[str],
) -> tuple[list[Any], dict[str, int | None]]:
    """Ranked results in the requested order, and the delivered prices it computed.

    Sorting by price or rating reorders the products that matched every word among
    themselves, then the partial matches that fill the list after them: a cheap
    product that matches one word of three never jumps ahead of the ones the buyer asked for."""
    if request.sort is Sort.RELEVANCE and request.destination is None:
        return ranked, {}
    priced = quotes.every_seller_currency()
    if request.sort is Sort.RELEVANCE:
        ids = [pid for pid, _ in ranked[request.offset : request.offset + request.limit]]
    else:
        ids = [pid for pid, _ in ranked]
    by_product = live_offers(conn, ids, conditions)
    whole = [item for item in ranked if item[0] in every_word]
    partial = [item for item in ranked if item[0] not in every_word]
    ordered = [
        *sort_ranked(whole, request.sort, by_product, request.destination, priced),
        *sort_ranked(partial, request.sort, by_product, request.destination, priced),
    ]
    delivered = {
        pid: delivered_price(found, request.destination, priced)
        for pid, found in by_product.items()
    }
    return ordered, delivered


def _total(conn: Connection, got: _Retrieved, conditions: Any, summary: Facets | None) -> int:
    """Products matching in the result's mode: counted only when the candidates were cut."""
    if summary is not None and not summary.approximate:
        return summary.total
    if not got.found:
        return 0
    if got.complete:
        return len(got.every_word) if got.mode == "all" else len(got.found)
    return _count(conn, got.matched, where(conditions))


def search(uow: UnitOfWork, request: SearchRequest) -> SearchResult:
    """Ranked products for a buyer's query, with filters, facets and prices in their currency."""
    _validate(request)
    conn = uow.conn
    vocabulary = _Vocabulary(conn)
    query = parse_query(request.text, vocabulary)
    interpretation = [[" ".join(a.tokens) for a in c.alternatives] for c in query.clauses]
    quotes = Quotes(uow, request.currency)
    priced = (
        quotes.every_seller_currency() if request.filters.has_price or request.with_facets else {}
    )
    conditions = compile_filters(request.filters, seller_bounds_for(priced, request.filters))
    if not query.clauses:
        return SearchResult(request.text, "all", 0, [], None, None, interpretation)
    got = _retrieve(conn, query, where(conditions))
    vocabulary.frequencies(query.terms() - set(vocabulary.known))
    stats = _store.corpus_stats(conn, vocabulary.known)
    ranked = rank(got.found, query, stats)
    ranked, delivered = _ordered(conn, request, ranked, conditions, quotes, got.every_word)
    page = ranked[request.offset : request.offset + request.limit]
    end = request.offset + len(page)
    summary = (
        _facets(conn, query, request, got.matched, conditions, priced)
        if request.with_facets and got.found
        else None
    )
    total = _total(conn, got, conditions, summary)
    return SearchResult(
        query=request.text,
        match=got.mode,
        total=total,
        hits=hits_for(conn, page, quotes, request.language, delivered),
        next_offset=end if end < min(len(ranked), MAX_CANDIDATES) else None,
        facets=summary,
        interpretation=interpretation,
        corrected=corrected_text(query, vocabulary.known),
        partial=sum(1 for pid, _ in ranked if pid not in got.every_word)
        if got.mode == "all"
        else 0,
    )


@dataclass(frozen=True, slots=True)
class Suggestions:
    query: str
    completions: list[str]
    products: list[SearchHit]


MAX_SUGGESTIONS = 10


def suggest(
    uow: UnitOfWork, text: str, *, limit: int = 8, currency: str = "USD", language: str = "en"
) -> Suggestions:
    """Search-as-you-type: completions of the last word, and the best products so far."""
    if len(text) > MAX_QUERY_CHARS or not 1 <= limit <= MAX_SUGGESTIONS:
        raise InvalidInput(
            "invalid suggestion parameters",
            errors=[FieldError("q", f"at most {MAX_QUERY_CHARS} characters, limit 1 to 10")],
        )
    conn = uow.conn
    vocabulary = _Vocabulary(conn)
    query = parse_query(text, vocabulary, prefix_last=True)
    if not query.clauses:
        return Suggestions(text, [], [])
    typed = text.rstrip()
    head_text = typed[: len(typed) - len(typed.split()[-1])]
    last = query.clauses[-1]
    typed_word = (tokens(typed, stemmed=False) or [""])[-1]
    words = [
        a.tokens[0]
        for a in last.alternatives
        if a.source == "prefix" or (a.source == "exact" and a.tokens[0] == typed_word)
    ]
    known = [w for w in words if w.isalpha() and vocabulary.known.get(w)]  # no model codes
    completions = [f"{head_text}{w}" for w in known][:limit]
    found = _retrieve(conn, query, []).found
    stats = _store.corpus_stats(conn, vocabulary.known)
    ranked = rank(found, query, stats)
    hits = hits_for(conn, ranked[:limit], Quotes(uow, currency), language)
    return Suggestions(text, completions, hits)


def index_products(uow: UnitOfWork, product_ids: Collection[str]) -> int:
    """Index (or re-index) these products in the caller's transaction; returns how many."""
    return _store.write_documents(uow.conn, product_ids)


def reindex_all(uow: UnitOfWork) -> int:
    """Rebuild the whole index from the catalog (after a bulk import, or a change of analysis)."""
    conn = uow.conn
    _store.clear(conn)
    total, after = 0, ""
    while True:
        ids = list(
            conn.scalars(
                select(products.c.id)
                .where(products.c.id > after)
                .order_by(products.c.id)
                .limit(REINDEX_CHUNK)
            )
        )
        if not ids:
            return total
        total += _store.write_documents(conn, ids)
        after = ids[-1]
