"""Ranking: BM25F over weighted fields, clause coverage first, the product's head noun as a bonus.

Both databases return a candidate list; this module puts it in order, so the ordering rules
are the same Python on SQLite and PostgreSQL.

Why these rules (each is general: nothing here names a query or a product):

- **Coverage first.** A product that matches every concept the buyer typed beats one that
  matches fewer, whatever their scores ("laptop bag" wants bags for laptops, not all bags).
- **BM25F** (Robertson and Zaragoza): term frequencies are weighted per field and length-
  normalized per field *before* saturation, so a word in a short title counts more than the
  same word deep in a long attribute list, and repeating a word across fields does not add up
  without bound. ``k1`` and ``b`` are the textbook values.
- **Phrases** (synonyms such as "solid state drive", a model code's spaced form) score the sum
  of their words' IDF when they occur as a phrase: rare and specific.
- **Head noun.** When a product's head noun (see :mod:`~tradewind.search.analysis.document`)
  is the query's head noun or one of its synonyms, the product *is* what the buyer asked for,
  not an accessory that mentions it; that earns :data:`HEAD_BONUS`.
- Ties break on the product id, so a ranking never depends on the database's row order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tradewind.search.analysis.document import FIELDS, IndexedDocument
from tradewind.search.analysis.query import Alternative, ParsedQuery

FIELD_WEIGHTS: Mapping[str, float] = {
    "title": 2.0,
    "brand": 1.0,
    "model": 1.0,
    "kind": 1.5,
    "description": 0.5,
    "attributes": 0.2,
    "parts": 0.3,
    "local": 2.0,
}
K1 = 1.2
B = 0.75
HEAD_BONUS = 2.0
assert set(FIELD_WEIGHTS) == set(FIELDS)


@dataclass(frozen=True, slots=True)
class CorpusStats:
    """What BM25 needs about the whole index: size, mean field lengths, term frequencies."""

    documents: int
    average_lengths: Mapping[str, float]
    frequencies: Mapping[str, int]

    def idf(self, term: str) -> float:
        df = self.frequencies.get(term, 0)
        return math.log(1 + (self.documents - df + 0.5) / (df + 0.5))


@dataclass(frozen=True, slots=True, order=True)
class Score:
    coverage: int
    value: float


def _occurrences(field: tuple[str, ...], phrase: tuple[str, ...]) -> int:
    if len(phrase) == 1:
        return field.count(phrase[0])
    n = len(phrase)
    return sum(1 for i in range(len(field) - n + 1) if field[i : i + n] == phrase)


def _alternative_score(doc: IndexedDocument, alternative: Alternative, stats: CorpusStats) -> float:
    weighted_tf = 0.0
    for name, weight in FIELD_WEIGHTS.items():
        field = doc.fields.get(name, ())
        tf = _occurrences(field, alternative.tokens)
        if tf:
            average = max(stats.average_lengths.get(name, 1.0), 1.0)
            weighted_tf += weight * tf / (1 - B + B * len(field) / average)
    if not weighted_tf:
        return 0.0
    idf = sum(stats.idf(t) for t in alternative.tokens)
    return alternative.weight * idf * weighted_tf * (K1 + 1) / (weighted_tf + K1)


def score(doc: IndexedDocument, query: ParsedQuery, stats: CorpusStats) -> Score:
    present = set().union(*doc.fields.values())
    coverage, value = 0, 0.0
    for clause in query.clauses:
        best = max(
            (
                _alternative_score(doc, a, stats)
                for a in clause.alternatives
                if present.issuperset(a.tokens)
            ),
            default=0.0,
        )
        if best > 0:
            coverage += 1
            value += best
    if coverage and query.head_terms.intersection(doc.heads):
        value += HEAD_BONUS
    return Score(coverage, value)


def rank(
    candidates: Iterable[tuple[str, IndexedDocument]], query: ParsedQuery, stats: CorpusStats
) -> list[tuple[str, Score]]:
    """Candidates best first; those matching no clause are dropped."""
    scored = [(key, score(doc, query, stats)) for key, doc in candidates]
    kept = [(key, s) for key, s in scored if s.coverage]
    kept.sort(key=lambda item: (-item[1].coverage, -item[1].value, item[0]))
    return kept
