"""SQLite FTS5 adapter: a match expression over the analyzed columns, ranked by weighted bm25.

FTS5's ``bm25()`` takes one weight per column, in table order; the weights are the ranking's
own field weights, so the candidates it returns are the ones the reranker would pick first.
"""

from __future__ import annotations

from sqlalchemy import Subquery

from tradewind.search._store import ranked_matches
from tradewind.search.analysis.document import FIELDS
from tradewind.search.analysis.query import Alternative, ParsedQuery
from tradewind.search.analysis.ranking import FIELD_WEIGHTS


def _phrase(alternative: Alternative) -> str:
    return '"' + " ".join(t.replace('"', '""') for t in alternative.tokens) + '"'


def match_expression(query: ParsedQuery, *, require_all: bool) -> str:
    """``("laptop" OR "notebook") AND "bag"``: a clause is any alternative, as a phrase."""
    clauses = [
        "(" + " OR ".join(_phrase(a) for a in clause.alternatives) + ")" for clause in query.clauses
    ]
    return (" AND " if require_all else " OR ").join(clauses)


_WEIGHTS = ", ".join(str(FIELD_WEIGHTS[f]) for f in FIELDS)
# Constants only; the match expression is a bound parameter.
_MATCH_SQL = (
    "SELECT d.product_id AS product_id, bm25(search_fts, "  # noqa: S608
    + _WEIGHTS
    + ") AS rank FROM search_fts JOIN search_documents d ON d.doc_id = search_fts.rowid "
    "WHERE search_fts MATCH :match"
)


def matches(query: ParsedQuery, *, require_all: bool, limit: int | None = None) -> Subquery:
    """(product_id, rank) of every matching product, lower rank better; with ``limit``, only
    the best ``limit`` of them."""
    return ranked_matches(_MATCH_SQL, match_expression(query, require_all=require_all), limit)
