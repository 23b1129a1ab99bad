"""Query understanding: words into clauses of weighted alternatives.

A query is a sequence of *clauses*, one per concept the buyer typed; a product matches a clause
when it contains any of the clause's *alternatives* (a word or a phrase). Retrieval asks for
every clause (AND) and falls back to any clause (OR); ranking counts how many clauses matched
before it compares scores.

Alternatives come from, in order:

- the word itself (weight 1);
- a model code's spaced form: ``rtx3080`` also matches the phrase ``rtx 3080`` (weight 1);
- synonyms (:mod:`~tradewind.search.analysis.synonyms`, weight ``SYNONYM_WEIGHT``);
- compounds: adjacent words whose concatenation is an indexed word (``head set`` ->
  ``headset``, ``rtx 3080`` -> ``rtx3080``) satisfy both clauses (weight 1);
- typo tolerance: an unknown word of 4+ letters matches indexed words one edit away
  (insert, delete, substitute, transpose), the most frequent first (weight ``FUZZY_WEIGHT``);
- prefixes: an unknown last word (search-as-you-type) or, for suggestions, any last word
  matches the indexed words it begins (weight ``PREFIX_WEIGHT``);
- Hebrew attached prefixes: ``למחשב`` also matches the indexed ``מחשב`` (weight
  ``HEBREW_BASE_WEIGHT``); the index keeps the bases of its own prefixed words too, so
  ``מחשב`` finds ``והמחשב``.

Everything that needs the index's vocabulary asks a :class:`Vocabulary`, so this module stays
pure and the same on both databases.
"""

from __future__ import annotations

import itertools
import string
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from typing import Protocol

from tradewind.search.analysis.synonyms import MAX_SYNONYM_TOKENS, SYNONYM_WEIGHT, synonym_table
from tradewind.search.analysis.text import code_parts, hebrew_bases, is_code, tokens

MAX_QUERY_CHARS = 200
MAX_CLAUSES = 8
FUZZY_WEIGHT = 0.7
PREFIX_WEIGHT = 0.8
MAX_FUZZY = 3
MAX_PREFIX = 8
MIN_FUZZY_LEN = 4
HEBREW_BASE_WEIGHT = 0.9
STOPWORDS = frozenset({"a", "an", "the", "for", "of", "and", "or", "with", "to", "on", "by", "in"})


class Vocabulary(Protocol):
    """The index's words and how many products contain each (the port queries resolve on)."""

    def frequencies(self, terms: Collection[str]) -> Mapping[str, int]:
        """Document frequency of each term that is indexed (absent terms are left out)."""
        ...

    def completions(self, prefix: str, limit: int) -> list[tuple[str, int]]:
        """Indexed words starting with ``prefix``, most frequent first."""
        ...


@dataclass(frozen=True, slots=True)
class Alternative:
    tokens: tuple[str, ...]
    weight: float
    source: str  # exact | code | synonym | compound | fuzzy | prefix | hebrew


@dataclass(frozen=True, slots=True)
class Clause:
    text: str
    alternatives: tuple[Alternative, ...]

    def terms(self) -> set[str]:
        return {t for alt in self.alternatives for t in alt.tokens}


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    text: str
    clauses: tuple[Clause, ...]

    @property
    def head_terms(self) -> frozenset[str]:
        """Words that would name the product the buyer wants: the last worded clause's."""
        for clause in reversed(self.clauses):
            heads = {a.tokens[-1] for a in clause.alternatives if a.tokens[-1].isalpha()}
            if heads:
                return frozenset(heads)
        return frozenset()

    def terms(self) -> set[str]:
        return {t for clause in self.clauses for t in clause.terms()}


def _base_clauses(words: list[str]) -> list[Clause]:
    """One clause per word or synonym phrase (longest phrase first)."""
    table = synonym_table()
    clauses: list[Clause] = []
    i = 0
    while i < len(words):
        for span in range(min(MAX_SYNONYM_TOKENS, len(words) - i), 0, -1):
            phrase = tuple(words[i : i + span])
            if span == 1 or phrase in table:
                break
        alternatives = [Alternative(phrase, 1.0, "exact")]
        if span == 1 and is_code(phrase[0]):
            alternatives.append(Alternative(tuple(code_parts(phrase[0])), 1.0, "code"))
        alternatives.extend(
            Alternative(s, SYNONYM_WEIGHT, "synonym") for s in table.get(phrase, ())
        )
        clauses.append(Clause(" ".join(phrase), tuple(alternatives)))
        i += span
    return clauses[:MAX_CLAUSES]


def edits1(word: str) -> set[str]:
    """Every string one insert, delete, substitution or transposition away (Norvig)."""
    letters = string.ascii_lowercase
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    transposes = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in letters}
    inserts = {a + c + b for a, b in splits for c in letters}
    return (deletes | transposes | replaces | inserts) - {word}


def _single(clause: Clause) -> str | None:
    first = clause.alternatives[0]
    return first.tokens[0] if len(first.tokens) == 1 else None


def _add_hebrew_bases(
    clauses: list[Clause], bases: Mapping[int, list[str]], known: Mapping[str, int]
) -> None:
    for i, found in bases.items():
        extra = tuple(
            Alternative((b,), HEBREW_BASE_WEIGHT, "hebrew") for b in found if known.get(b)
        )
        if extra:
            clauses[i] = replace(clauses[i], alternatives=(*clauses[i].alternatives, *extra))


def parse_query(text: str, vocabulary: Vocabulary, *, prefix_last: bool = False) -> ParsedQuery:
    """Clauses for ``text``; ``prefix_last`` completes the last word even when it is known."""
    words = tokens(text[:MAX_QUERY_CHARS])
    content = [w for w in words if w not in STOPWORDS] or words
    typed = tokens(text[:MAX_QUERY_CHARS], stemmed=False)
    typing = typed[-1] if typed and len(typed) == len(words) else None
    clauses = _base_clauses(content)
    singles = [_single(c) for c in clauses]
    pairs = {
        i: a + b
        for i, (a, b) in enumerate(itertools.pairwise(singles))
        if a is not None and b is not None
    }
    bases = {i: hebrew_bases(w) for i, w in enumerate(singles) if w is not None}
    known = vocabulary.frequencies(
        {t for c in clauses for t in c.terms()}
        | set(pairs.values())
        | {b for found in bases.values() for b in found}
    )
    _add_hebrew_bases(clauses, bases, known)
    for i, compound in sorted(pairs.items()):
        if known.get(compound):
            alternative = Alternative((compound,), 1.0, "compound")
            for j in (i, i + 1):
                clauses[j] = replace(
                    clauses[j], alternatives=(*clauses[j].alternatives, alternative)
                )
    for i, clause in enumerate(clauses):
        word = singles[i]
        if word is None or not word.isalpha():
            continue
        is_last = i == len(clauses) - 1
        extra: list[Alternative] = []
        stem_of_typed = typing is not None and typing != word and word == content[-1]
        if is_last and (prefix_last or not known.get(word) or stem_of_typed):
            partial = typing if stem_of_typed and typing else word
            extra += [
                Alternative((term,), PREFIX_WEIGHT, "prefix")
                for term, _ in vocabulary.completions(partial, MAX_PREFIX + 1)
                if term != word
            ][:MAX_PREFIX]
        if not known.get(word) and len(word) >= MIN_FUZZY_LEN:
            near = vocabulary.frequencies(edits1(word))
            best = sorted(near.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_FUZZY]
            extra += [Alternative((term,), FUZZY_WEIGHT, "fuzzy") for term, _ in best]
        if extra:
            clauses[i] = replace(clause, alternatives=(*clause.alternatives, *extra))
    return ParsedQuery(text, tuple(clauses))
