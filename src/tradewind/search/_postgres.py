"""PostgreSQL full-text adapter: a ``tsquery`` built from the clauses, ranked by ``ts_rank``.

The query is cast from its literal form (``'laptop' | 'notebook'``), not parsed by
``to_tsquery``, so no dictionary re-normalizes the analyzed tokens. Weight classes follow the
ranking's field weights (see migration 0003s): D attributes, C description and parts,
B kind and brand, A title and model.
"""

from __future__ import annotations

from sqlalchemy import Subquery

from tradewind.search._store import ranked_matches
from tradewind.search.analysis.query import Alternative, ParsedQuery

# D, C, B, A: as the ranking's weights relative to the title's (attributes 0.5 of 2.0,
# description 1.0 of 2.0; parts share class C with the description).
RANK_WEIGHTS = "{0.25, 0.5, 0.75, 1.0}"


def _lexeme(token: str) -> str:
    return "'" + token.replace("'", "''").replace("\\", "\\\\") + "'"


def _phrase(alternative: Alternative) -> str:
    return "(" + " <-> ".join(_lexeme(t) for t in alternative.tokens) + ")"


def tsquery(query: ParsedQuery, *, require_all: bool) -> str:
    clauses = [
        "(" + " | ".join(_phrase(a) for a in clause.alternatives) + ")" for clause in query.clauses
    ]
    return (" & " if require_all else " | ").join(clauses)


# Constants only; the tsquery is a bound parameter.
_MATCH_SQL = (
    "SELECT d.product_id AS product_id, "  # noqa: S608
    f"-ts_rank('{RANK_WEIGHTS}'::float4[], d.tsv, CAST(:match AS tsquery)) AS rank "
    "FROM search_documents d WHERE d.tsv @@ CAST(:match AS tsquery)"
)


def matches(query: ParsedQuery, *, require_all: bool, limit: int | None = None) -> Subquery:
    """(product_id, rank) of every matching product, lower rank better; with ``limit``, only
    the best ``limit`` of them."""
    return ranked_matches(_MATCH_SQL, tsquery(query, require_all=require_all), limit)
