"""Synonyms: general shopping vocabulary, not rules for particular queries.

Each group lists spellings buyers and sellers use for one thing. Every member expands to the
others at query time (the index is never rewritten, so the list can change without a reindex).
Synonym matches score at :data:`SYNONYM_WEIGHT` of a literal match: they widen recall, and the
words the buyer actually typed still rank first, unless the synonym names what the product is
(its head noun), which ranking rewards in full.

Units are not here: :mod:`tradewind.search.analysis.text` folds them ("terabyte" -> "tb")
on both sides, which is cheaper and exact.
"""

from __future__ import annotations

from functools import cache

from tradewind.search.analysis.text import tokens

SYNONYM_WEIGHT = 0.3
MAX_SYNONYM_TOKENS = 3

SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    ("laptop", "notebook"),
    ("tv", "television"),
    ("headphones", "headset", "earphones"),
    ("earbuds", "in-ear headphones"),
    ("ssd", "solid state drive"),
    ("hdd", "hard drive", "hard disk drive"),
    ("pc", "desktop computer"),
    ("cellphone", "mobile phone", "smartphone", "cell phone"),
    ("usb stick", "usb flash drive", "flash drive", "thumb drive", "pen drive"),
    ("power bank", "powerbank", "portable charger"),
    ("charger", "power adapter"),
    ("speaker", "loudspeaker"),
    ("ps4", "playstation 4"),
    ("ps5", "playstation 5"),
    ("mouse pad", "mousepad", "mouse mat"),
    ("webcam", "web camera"),
    ("cpu", "processor"),
    ("gpu", "graphics card", "video card"),
    ("ram", "memory module"),
    ("mic", "microphone"),
    ("ups", "uninterruptible power supply"),
    ("fridge", "refrigerator"),
    ("wifi", "wi-fi", "wlan"),
    ("cable", "cord"),
    ("bag", "case"),
    ("monitor", "display"),
    ("hoover", "vacuum cleaner"),
    ("sat nav", "gps navigator"),
    ("cellular", "mobile"),
)


@cache
def synonym_table() -> dict[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """Analyzed phrase -> the analyzed phrases it expands to."""
    table: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for group in SYNONYM_GROUPS:
        phrases = [tuple(tokens(member)) for member in group]
        for phrase in phrases:
            others = table.setdefault(phrase, [])
            others.extend(p for p in phrases if p != phrase and p not in others)
    return {phrase: tuple(others) for phrase, others in table.items()}
