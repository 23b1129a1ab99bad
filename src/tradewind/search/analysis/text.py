"""Text analysis shared by the index and the query side, so both always agree on tokens.

Every field of a product and every query goes through :func:`tokens`. The databases' own
tokenizers and stemmers never see raw text: SQLite FTS5 (``ascii`` tokenizer) and PostgreSQL
(``tsvector`` literals) only split the already-analyzed text on spaces. That is what makes the
two backends match exactly the same documents for the same query.

The steps, in order, and why:

1. Symbols dropped, Unicode NFKD, lower case, accents stripped: "Café" and "cafe" are one word.
2. Inch marks become the word ``inch`` (``17"`` -> ``17 inch``) before punctuation is dropped.
3. Words are runs of letters and digits. A quantity glued to its unit splits (``1TB`` ->
   ``1 tb``); any other mix of letters and digits is a model code and stays whole
   (``RTX3080`` -> ``rtx3080``), so "aa" does not match inside "4179B002AA". Its pieces
   (:func:`code_parts`) are indexed in a low-weight field, and the query side offers the
   whole and the spaced form as alternatives, so ``rtx3080``, ``RTX 3080`` and ``rtx-3080``
   all find each other.
4. Decimals keep their value (``2.50`` -> ``2d5``: the ``d`` keeps the token one word on both
   databases); thousands separators go (``2,000`` -> ``2000``).
5. Unit words normalize (``terabytes`` -> ``tb``, ``inches`` -> ``inch``, ``watt`` -> ``w``);
   short ambiguous ones (``in``) only right after a number.
6. A light plural stemmer (Harman's S-stemmer): ``batteries`` -> ``battery``. Heavier stemmers
   conflate product words ("printer"/"printing") that buyers keep apart.
7. Hebrew: niqqud and cantillation are combining marks, so step 1 drops them ("כֶּבֶל" is
   "כבל"); a word keeps its attached one-letter prefixes (ה ו ב ל מ ש כ), and
   :func:`hebrew_bases` gives the forms without them, which the index keeps in a low-weight
   field and the query side offers as alternatives.
8. Chinese has no spaces: a run of Han characters becomes its overlapping character bigrams
   ("数据线" -> "数据", "据线"; one character stays itself), and Latin or digits glued to it
   split off ("USB数据线" -> "usb", "数据", "据线"). Bigrams need no dictionary and match the
   same on FTS5 and PostgreSQL; a word of the query then matches where its bigrams occur.
"""

from __future__ import annotations

import re
import unicodedata

MAX_TEXT_CHARS = 20_000  # longer fields are cut: nothing past this helps ranking
MAX_TOKEN_CHARS = 40

_INCH_MARK = re.compile(r"(\d)\s*(?:\"|''|\u201d|\u2033|\u201c|\u2019\u2019)")
_WORD = re.compile(r"\d{1,3}(?:,\d{3})+(?![\d,])|\d+[.,]\d+|[^\W_]+")
_RUN = re.compile(r"\d+|[^\W\d_]+")

# Unit spellings -> one canonical token.
UNIT_WORDS: dict[str, str] = {
    "terabyte": "tb",
    "terabytes": "tb",
    "gigabyte": "gb",
    "gigabytes": "gb",
    "megabyte": "mb",
    "megabytes": "mb",
    "inch": "inch",
    "inches": "inch",
    "watt": "w",
    "watts": "w",
    "volt": "v",
    "volts": "v",
    "hertz": "hz",
    "gigahertz": "ghz",
    "megahertz": "mhz",
    "millimeter": "mm",
    "millimeters": "mm",
    "millimetre": "mm",
    "millimetres": "mm",
    "centimeter": "cm",
    "centimeters": "cm",
    "centimetre": "cm",
    "centimetres": "cm",
    "meter": "m",
    "meters": "m",
    "metre": "m",
    "metres": "m",
    "kilogram": "kg",
    "kilograms": "kg",
    "kgs": "kg",
    "gram": "g",
    "grams": "g",
    "feet": "ft",
    "foot": "ft",
    "pound": "lb",
    "pounds": "lb",
    "lbs": "lb",
    "megapixel": "mp",
    "megapixels": "mp",
}
# Ambiguous abbreviations that are units only right after a number ("15 in").
UNIT_AFTER_NUMBER: dict[str, str] = {"in": "inch", "ins": "inch"}
# Units that may be glued to a number and then split off it ("1tb", "27in", "2m").
GLUED_UNITS = frozenset(
    {"tb", "gb", "mb", "kb", "inch", "in", "w", "v", "hz", "ghz", "mhz", "mm", "cm", "m", "kg"}
    | {"g", "ft", "lb", "mah", "mp", "pc", "pcs", "ppm", "dpi", "wh", "mbps"}
    | {"gbps", "ms", "nm", "db", "mw", "kw", "va", "ah", "l", "ml"}
)

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_RUN = re.compile(f"([{_HAN}]+)")
_HAN_WORD = re.compile(f"[{_HAN}]+")
_HEBREW_WORD = re.compile("[\u05d0-\u05ea]+")
HEBREW_PREFIXES = frozenset("הובלמשכ")
MAX_HEBREW_PREFIX = 3  # "ומה", "שב", "וכש": at most three letters attach
MIN_HEBREW_BASE = 3  # "כבל" is a word, not כ + "בל"

_STEM_KEEP = frozenset({"series", "news", "glass", "class", "bus", "gps", "ups", "lens", "plus"})


def fold(text: str) -> str:
    """Symbols dropped, NFKD, lower case, accents removed: the comparison form of any text."""
    # Symbols (trademark signs) go before NFKD, which would spell "\u2122" as "TM".
    text = "".join(" " if unicodedata.category(ch) == "So" else ch for ch in text[:MAX_TEXT_CHARS])
    text = unicodedata.normalize("NFKD", text).lower()
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def stem(word: str) -> str:
    """Harman's S-stemmer: plural to singular for words of four letters or more."""
    if len(word) < 4 or not word.isalpha() or word in _STEM_KEEP:
        return word
    if word.endswith("ies") and not word.endswith(("eies", "aies")):
        return word[:-3] + "y"
    if word.endswith("es") and not word.endswith(("aes", "ees", "oes")):
        return word[:-1]
    if word.endswith("s") and not word.endswith(("us", "ss")):
        return word[:-1]
    return word


def _number(raw: str) -> str:
    if "," in raw and re.fullmatch(r"\d{1,3}(?:,\d{3})+", raw):
        return raw.replace(",", "")
    whole, sep, frac = raw.replace(",", ".").partition(".")
    frac = frac.rstrip("0")
    return f"{whole}d{frac}" if sep and frac else whole


def _unit(word: str, after_number: bool) -> str:
    return UNIT_WORDS.get(word) or (UNIT_AFTER_NUMBER.get(word, word) if after_number else word)


def han_bigrams(run: str) -> list[str]:
    """Overlapping character pairs of a Han run; a single character stays itself."""
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def hebrew_bases(word: str) -> list[str]:
    """``word`` without one, two or three attached prefix letters ("ובמחשב" -> "במחשב", "מחשב")."""
    if not _HEBREW_WORD.fullmatch(word):
        return []
    bases = []
    for cut in range(1, MAX_HEBREW_PREFIX + 1):
        if len(word) - cut < MIN_HEBREW_BASE or word[cut - 1] not in HEBREW_PREFIXES:
            break
        bases.append(word[cut:])
    return bases


def _word_tokens(word: str, after_number: bool, stemmed: bool = True) -> list[str]:
    if _HAN_WORD.fullmatch(word):
        return han_bigrams(word)
    if word[0].isdigit() and ("." in word or "," in word):
        return [_number(word)]
    runs = _RUN.findall(word)
    if len(runs) == 1:
        if word[0].isdigit():
            return [runs[0]]
        unit = _unit(word, after_number)
        return [stem(unit) if stemmed else unit]
    if len(runs) == 2 and runs[0].isdigit() and runs[1] in GLUED_UNITS:
        return [runs[0], _unit(runs[1], True)]
    return [word[:MAX_TOKEN_CHARS]]


def tokens(text: str, *, stemmed: bool = True) -> list[str]:
    """The index and query form of ``text``: normalized, unit-folded and stemmed words.

    ``stemmed=False`` keeps plurals, for completing a word still being typed ("sams" must
    complete to "samsung", not be read as the plural of "sam").
    """
    folded = _HAN_RUN.sub(r" \1 ", _INCH_MARK.sub(r"\1 inch ", fold(text)))
    out: list[str] = []
    for match in _WORD.finditer(folded):
        after_number = bool(out) and out[-1][0].isdigit()
        out.extend(_word_tokens(match.group(), after_number, stemmed))
    return out


_DECIMAL = re.compile(r"\d+d\d+")


def is_code(token: str) -> bool:
    """A model code: letters and digits mixed in one token (``rtx3080``, ``tn2110``)."""
    return (
        not token.isalpha()
        and not token.isdigit()
        and token.isalnum()
        and not _DECIMAL.fullmatch(token)
    )


def code_parts(token: str) -> list[str]:
    """The letter and digit runs of a model code (``rtx3080`` -> ``rtx``, ``3080``)."""
    return _RUN.findall(token) if is_code(token) else [token]
