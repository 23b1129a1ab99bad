"""Pure search analysis: tokens, units, model codes, synonyms, typos, prefixes, heads, ranking."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tradewind.money.fx import FxQuote
from tradewind.search._pricing import PriceBounds, in_buyer_currency, seller_bounds
from tradewind.search.analysis.document import ProductText, analyze_product, kind_phrase
from tradewind.search.analysis.query import (
    FUZZY_WEIGHT,
    PREFIX_WEIGHT,
    Alternative,
    parse_query,
)
from tradewind.search.analysis.ranking import CorpusStats, rank
from tradewind.search.analysis.synonyms import SYNONYM_WEIGHT
from tradewind.search.analysis.text import code_parts, tokens


class FakeVocabulary:
    def __init__(self, frequencies: Mapping[str, int]) -> None:
        self.df = dict(frequencies)

    def frequencies(self, terms: Collection[str]) -> Mapping[str, int]:
        return {t: self.df[t] for t in terms if t in self.df}

    def completions(self, prefix: str, limit: int) -> list[tuple[str, int]]:
        found = [(t, n) for t, n in self.df.items() if t.startswith(prefix)]
        return sorted(found, key=lambda kv: (-kv[1], kv[0]))[:limit]


EMPTY = FakeVocabulary({})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1TB", ["1", "tb"]),
        ("1 terabyte", ["1", "tb"]),
        ("2 Terabytes", ["2", "tb"]),
        ('17" laptop', ["17", "inch", "laptop"]),
        ("17\u201d laptop", ["17", "inch", "laptop"]),
        ("17 inches", ["17", "inch"]),
        ("15in screen", ["15", "inch", "screen"]),
        ("15 in screen", ["15", "inch", "screen"]),
        ("in the box", ["in", "the", "box"]),
        ("500 Watts", ["500", "w"]),
        ("2.50 m", ["2d5", "m"]),
        ("1,5 kg", ["1d5", "kg"]),
        ("2,000 pages", ["2000", "page"]),
        ("Batteries", ["battery"]),
        ("Speakers cases", ["speaker", "case"]),
        ("Café\u2122 SSD\u00ae", ["cafe", "ssd"]),
    ],
)
def test_tokens_normalize_units_numbers_and_plurals(text: str, expected: list[str]) -> None:
    assert tokens(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("RTX3080", ["rtx3080"]),
        ("rtx 3080", ["rtx", "3080"]),
        ("TN-2110", ["tn", "2110"]),
        ("4179B002AA", ["4179b002aa"]),
        ("Core i7-9700", ["core", "i7", "9700"]),
    ],
)
def test_model_codes_stay_whole(text: str, expected: list[str]) -> None:
    assert tokens(text) == expected


def test_code_parts_split_letters_from_digits() -> None:
    assert code_parts("rtx3080") == ["rtx", "3080"]
    assert code_parts("4179b002aa") == ["4179", "b", "002", "aa"]
    assert code_parts("2d5") == ["2d5"]  # a decimal, not a code
    assert code_parts("laptop") == ["laptop"]


def _alternatives(text: str, vocabulary: FakeVocabulary = EMPTY) -> list[list[Alternative]]:
    return [list(c.alternatives) for c in parse_query(text, vocabulary).clauses]


def test_a_code_also_matches_its_spaced_form() -> None:
    assert _alternatives("RTX3080") == [
        [Alternative(("rtx3080",), 1.0, "exact"), Alternative(("rtx", "3080"), 1.0, "code")]
    ]


def test_adjacent_words_also_match_their_indexed_compound() -> None:
    vocabulary = FakeVocabulary({"rtx": 5, "3080": 3, "rtx3080": 2})
    compound = Alternative(("rtx3080",), 1.0, "compound")
    clauses = _alternatives("rtx 3080", vocabulary)
    assert clauses == [
        [Alternative(("rtx",), 1.0, "exact"), compound],
        [Alternative(("3080",), 1.0, "exact"), compound],
    ]
    assert _alternatives("head set", FakeVocabulary({"head": 1, "set": 1})) == [
        [Alternative(("head",), 1.0, "exact")],
        [Alternative(("set",), 1.0, "exact")],
    ]


def test_synonyms_expand_both_ways_and_across_phrases() -> None:
    assert _alternatives("laptop") == [
        [
            Alternative(("laptop",), 1.0, "exact"),
            Alternative(("notebook",), SYNONYM_WEIGHT, "synonym"),
        ]
    ]
    assert _alternatives("solid state drives") == [
        [
            Alternative(("solid", "state", "drive"), 1.0, "exact"),
            Alternative(("ssd",), SYNONYM_WEIGHT, "synonym"),
        ]
    ]
    assert _alternatives("1 terabyte") == [
        [Alternative(("1",), 1.0, "exact")],
        [Alternative(("tb",), 1.0, "exact")],
    ]


def test_stopwords_are_dropped_unless_nothing_else_is_left() -> None:
    assert [c.text for c in parse_query("case for the laptop", EMPTY).clauses] == ["case", "laptop"]
    assert [c.text for c in parse_query("the", EMPTY).clauses] == ["the"]


def test_unknown_words_match_known_words_one_edit_away_most_frequent_first() -> None:
    vocabulary = FakeVocabulary({"laptop": 40, "lapdog": 1, "keyboard": 9})
    (clause,) = parse_query("laptpo", vocabulary).clauses
    assert clause.alternatives[1:] == (Alternative(("laptop",), FUZZY_WEIGHT, "fuzzy"),)
    (known,) = parse_query("keyboard", vocabulary).clauses
    assert len(known.alternatives) == 1  # a known word is never "corrected"


def test_the_last_word_completes_when_unknown_or_when_asked() -> None:
    vocabulary = FakeVocabulary({"samsung": 7, "sample": 3, "sam": 1})
    (typing,) = parse_query("sams", vocabulary).clauses
    assert typing.alternatives[1:] == (Alternative(("samsung",), PREFIX_WEIGHT, "prefix"),)
    (word,) = parse_query("sam", vocabulary).clauses
    assert len(word.alternatives) == 1
    (suggesting,) = parse_query("sam", vocabulary, prefix_last=True).clauses
    assert [a.tokens[0] for a in suggesting.alternatives] == ["sam", "samsung", "sample"]


def test_kind_is_what_follows_brand_and_model() -> None:
    assert (
        kind_phrase(
            "Targus ASF150EU screen protector Desktop/Laptop Universal", "Targus", "ASF150EU"
        )
        == "screen protector"
    )
    assert kind_phrase("Canon BCI-6Y Original", "Canon", "") == ""
    assert kind_phrase("HP 55X toner cartridge 1 pc(s)", "HP", "55X") == "toner cartridge"


@pytest.mark.parametrize(
    ("title", "model", "heads"),
    [
        ('Targus TBT050EU notebook case 40.6 cm (16") Backpack', "TBT050EU", ("case", "backpack")),
        ("Kensington MicroSaver Keyed Laptop Lock", "", ("lock",)),
        ("Sandberg FireWire for Laptop (3 ports)", "", ("firewire",)),
        ("HP 45W power adapter/inverter Black", "45W", ("inverter", "adapter")),
        ("Duracell Plus 9V Single-use battery Alkaline", "Plus 9V", ("battery", "alkaline")),
    ],
)
def test_heads_name_what_the_product_is(title: str, model: str, heads: tuple[str, ...]) -> None:
    brand = title.split()[0]
    assert analyze_product(ProductText(title=title, brand=brand, model=model)).heads == heads


def test_coverage_ranks_first_then_the_head_noun_then_bm25() -> None:
    docs = {
        "lock": analyze_product(ProductText("Kensington laptop lock", "Kensington", "")),
        "notebook": analyze_product(ProductText("Lenovo IdeaPad notebook", "Lenovo", "IdeaPad")),
        "bag": analyze_product(ProductText("Targus laptop bag", "Targus", "")),
        "desk": analyze_product(ProductText("Ikea desk", "Ikea", "")),
    }
    df = {"laptop": 2, "notebook": 1, "bag": 1, "case": 0}
    stats = CorpusStats(documents=4, average_lengths={"title": 3.0}, frequencies=df)
    laptop = parse_query("laptop", FakeVocabulary(df))
    assert [k for k, _ in rank(docs.items(), laptop, stats)] == ["notebook", "bag", "lock"]
    bag = parse_query("laptop bag", FakeVocabulary(df))
    assert [(k, s.coverage) for k, s in rank(docs.items(), bag, stats)] == [
        ("bag", 2),
        ("lock", 1),
        ("notebook", 1),
    ]


def _quote(rate: str, spread_bps: int = 0) -> FxQuote:
    return FxQuote(
        base="EUR",
        quote="USD",
        rate=Decimal(rate),
        spread_bps=spread_bps,
        source="test",
        quoted_at=datetime(2026, 1, 1, tzinfo=UTC),
        quote_id="q1",
    )


@pytest.mark.parametrize("spread_bps", [0, 150])
def test_price_bounds_are_exact_in_the_sellers_currency(spread_bps: int) -> None:
    quote = _quote("1.08695652", spread_bps)
    bounds = seller_bounds(quote, 2_500, 3_000)
    assert bounds is not None
    assert bounds.low_minor is not None
    assert bounds.high_minor is not None
    assert in_buyer_currency(bounds.low_minor, quote) >= 2_500
    assert in_buyer_currency(bounds.low_minor - 1, quote) < 2_500
    assert in_buyer_currency(bounds.high_minor, quote) <= 3_000
    assert in_buyer_currency(bounds.high_minor + 1, quote) > 3_000


def test_price_bounds_with_nothing_inside_are_none() -> None:
    quote = _quote("100")  # 1 EUR cent is 1 USD: no EUR price lands strictly between
    assert seller_bounds(quote, 150, 199) is None
    assert seller_bounds(quote, None, 50) is None
    assert seller_bounds(quote, 100, None) == PriceBounds("EUR", 1, None)
