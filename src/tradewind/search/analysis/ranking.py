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
    "description": 1.0,
    "attributes": 0.5,
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


@dataclass(frozen=True, slots=True)
class PackedDocument:
    """A document as each field's analyzed text with every token between two spaces.

    ``" usb  cable "``: counting a word or a phrase in a field is one substring count in C,
    with no split into tuples; doubling the separator keeps adjacent equal tokens from sharing
    one (``" a  a "`` holds ``" a "`` twice)."""

    text: Mapping[str, str]
    lengths: Mapping[str, int]
    heads: frozenset[str]

    @classmethod
    def from_values(cls, values: Iterable[str | None], heads: Iterable[str]) -> PackedDocument:
        """From each field's tokens joined by single spaces (the index's stored form), in
        ``FIELDS`` order."""
        packed, lengths = {}, {}
        for name, value in zip(FIELDS, values, strict=True):
            packed[name] = " " + value.replace(" ", "  ") + " " if value else ""
            lengths[name] = value.count(" ") + 1 if value else 0
        return cls(packed, lengths, frozenset(heads))


def pack(doc: IndexedDocument) -> PackedDocument:
    return PackedDocument.from_values(
        (" ".join(doc.fields.get(name, ())) for name in FIELDS), doc.heads
    )


@dataclass(frozen=True, slots=True)
class _Needle:
    text: str  # " rtx  3080 ": the alternative as it appears in a packed field
    factor: float  # the alternative's weight times its IDF


def _needles(query: ParsedQuery, stats: CorpusStats) -> list[list[_Needle]]:
    """Per clause, each alternative's search string and weight, computed once per query."""
    clauses = []
    for clause in query.clauses:
        needles = []
        for alternative in clause.alternatives:
            idf = sum(stats.idf(t) for t in alternative.tokens)
            text = " " + "  ".join(alternative.tokens) + " "
            needles.append(_Needle(text, _share(alternative) * alternative.weight * idf))
        clauses.append(needles)
    return clauses


def _share(alternative: Alternative) -> float:
    # A compound ("laserprinter") stands for two clauses at once: each gets half, so the
    # compound counts once, not twice, against products that spell the two words apart.
    return 0.5 if alternative.source == "compound" else 1.0


def _norms(doc: PackedDocument, stats: CorpusStats) -> dict[str, float]:
    """BM25's per-field length normalization, ``1 - b + b * length / average``."""
    return {
        name: 1 - B + B * doc.lengths[name] / max(stats.average_lengths.get(name, 1.0), 1.0)
        for name in FIELDS
    }


def _clause_score(doc: PackedDocument, needles: list[_Needle], norms: dict[str, float]) -> float:
    best = 0.0
    for needle in needles:
        weighted_tf = 0.0
        for name, weight in FIELD_WEIGHTS.items():
            field = doc.text[name]
            if field:
                tf = field.count(needle.text)
                if tf:
                    weighted_tf += weight * tf / norms[name]
        if weighted_tf:
            best = max(best, needle.factor * weighted_tf * (K1 + 1) / (weighted_tf + K1))
    return best


def _score(
    doc: PackedDocument, clauses: list[list[_Needle]], heads: frozenset[str], stats: CorpusStats
) -> Score:
    norms = _norms(doc, stats)
    coverage, value = 0, 0.0
    for needles in clauses:
        best = _clause_score(doc, needles, norms)
        if best > 0:
            coverage += 1
            value += best
    if coverage and not heads.isdisjoint(doc.heads):
        value += HEAD_BONUS
    return Score(coverage, value)


def score(doc: IndexedDocument | PackedDocument, query: ParsedQuery, stats: CorpusStats) -> Score:
    packed = doc if isinstance(doc, PackedDocument) else pack(doc)
    return _score(packed, _needles(query, stats), query.head_terms, stats)


def rank(
    candidates: Iterable[tuple[str, IndexedDocument | PackedDocument]],
    query: ParsedQuery,
    stats: CorpusStats,
) -> list[tuple[str, Score]]:
    """Candidates best first; those matching no clause are dropped."""
    clauses = _needles(query, stats)
    heads = query.head_terms
    scored = [
        (key, _score(doc if isinstance(doc, PackedDocument) else pack(doc), clauses, heads, stats))
        for key, doc in candidates
    ]
    kept = [(key, s) for key, s in scored if s.coverage]
    kept.sort(key=lambda item: (-item[1].coverage, -item[1].value, item[0]))
    return kept
