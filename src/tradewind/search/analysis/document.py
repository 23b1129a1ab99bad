"""A product as the index sees it: analyzed fields, model-code parts and head nouns.

Fields (and why each is separate): ``title`` is what buyers read and what they type;
``brand`` and ``model`` are exact identifiers; ``kind`` is what the product *is* ("notebook
case", "toner cartridge"): the words of the title that are neither brand nor model, up to the
first measurement, plus any ``product_type`` attribute; ``description`` and ``attributes`` add
recall with little weight; ``parts`` holds the pieces of model codes (``rtx3080`` -> ``rtx``,
``3080``) so a partial code still matches, weakly, and Hebrew words without their attached
prefixes; ``local`` holds the product's titles in other languages (Hebrew, Chinese...), as
strong as the title; translated descriptions join ``description``.

``heads`` are the nouns that name the product, found generally rather than per query: the
last word of the kind phrase, and the last word of the title's leading noun phrase (before
"for", "with", a measurement or a model code). Ranking prefers products whose head matches the
query's head, which is how "laptop" ranks notebooks above laptop bags and locks.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from tradewind.search.analysis.text import GLUED_UNITS, code_parts, hebrew_bases, is_code, tokens

FIELDS: tuple[str, ...] = (
    "title",
    "brand",
    "model",
    "kind",
    "description",
    "attributes",
    "parts",
    "local",
)
MAX_FIELD_TOKENS = 400
MAX_ATTRIBUTE_CHARS = 200
MAX_HEADS = 4

# Words that describe a product's look or packaging, never what it is.
NOT_HEADS = frozenset(
    tokens(
        "black white gray grey silver red blue green yellow pink purple orange brown gold beige "
        "metallic transparent multicolor multicolour violet cyan magenta ivory bronze titanium "
        "charcoal anthracite turquoise original compatible new set pack kit piece universal"
    )
) | frozenset(GLUED_UNITS)
# Words after which the title talks about something else ("case for laptop").
HEAD_BREAKS = frozenset({"for", "with", "compatible", "fits", "incl", "including", "to"})
_LOWER_WORD = re.compile(r"[a-z][a-z/-]*")
_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})


@dataclass(frozen=True, slots=True)
class ProductText:
    """The catalog columns search reads (shaped like a ``products`` row)."""

    title: str
    brand: str
    model: str = ""
    description: str = ""
    attributes: Mapping[str, str] | None = None
    local_titles: tuple[str, ...] = ()
    local_descriptions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IndexedDocument:
    fields: Mapping[str, tuple[str, ...]]
    heads: tuple[str, ...]


def _cased(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def kind_phrase(title: str, brand: str, model: str) -> str:
    """The title after brand and model, up to a measurement, bracket or capitalized value.

    Catalog titles are commonly "Brand Model kind values" ("Targus ASF150EU screen protector
    Desktop/Laptop Universal"): the kind is the lower-case run after the model; a capital
    letter after it starts the values.
    """
    rest = _cased(title)
    lowered = rest.lower()
    folded_brand = _cased(brand).strip().lower()
    start = len(folded_brand) if folded_brand and lowered.startswith(folded_brand) else 0
    folded_model = _cased(model).strip().lower()
    if not folded_model:
        return ""
    at = lowered.find(folded_model, start)
    if at < 0:
        return ""
    words: list[str] = []
    for word in rest[at + len(folded_model) :].split():
        if any(ch.isdigit() or ch in '("' for ch in word) or (words and word[:1].isupper()):
            break
        words.append(word)
    return " ".join(words).strip(" ,-/")


def _kind_heads(kind_text: str) -> list[str]:
    """The kind's last word, and both sides of a last "a/b" ("adapter/inverter")."""
    words = kind_text.replace("/", " / ").split()
    analyzed = [tokens(w) for w in words]
    heads: list[str] = []
    for i in range(len(words) - 1, -1, -1):
        candidates = [t for t in analyzed[i] if t.isalpha() and t not in NOT_HEADS and len(t) > 1]
        if candidates:
            heads.append(candidates[-1])
            if not (i >= 2 and words[i - 1] == "/"):
                break
    return heads


def _title_heads(title: str, brand: list[str]) -> list[str]:
    """Heads of the title's leading noun phrase (before "for", "with", a comma or a dash).

    Two readings, both kept: the last content word of that phrase ("Kensington Laptop Lock"
    -> lock), and the last word of its first lower-case run when the title has one, which is
    where catalogs put the kind ("Duracell Plus 9V Single-use battery Alkaline" -> battery).
    """
    words: list[str] = []
    for raw in re.sub(r"\([^)]*\)", " ", _cased(title)).split():
        if raw.lower() in HEAD_BREAKS or raw in ("-", "\u2013", "\u2014"):
            break
        words.append(raw)
        if raw.endswith(","):
            break
    analyzed = [(raw, tokens(raw)) for raw in words]
    if analyzed and [t for _, ts in analyzed[: len(brand)] for t in ts] == brand:
        analyzed = analyzed[len(brand) :]
    last: str | None = None
    lower_run: list[str] = []
    lower_head: str | None = None
    for raw, parts in analyzed:
        content = [t for t in parts if t.isalpha() and len(t) > 1 and t not in NOT_HEADS]
        if content:
            last = content[-1]
        if content and _LOWER_WORD.fullmatch(raw):
            lower_run.append(content[-1])
        elif lower_run and lower_head is None:
            lower_head = lower_run[-1]
    if lower_run and lower_head is None:
        lower_head = lower_run[-1]
    return [h for h in (lower_head, last) if h]


def _attribute_text(attributes: Mapping[str, str]) -> list[str]:
    out: list[str] = []
    for key, raw in sorted(attributes.items()):
        value = str(raw).strip()
        lowered = value.lower()
        if not value or len(value) > MAX_ATTRIBUTE_CHARS or lowered in _FALSE:
            continue
        if lowered in _TRUE:
            # A yes/no feature: its name is the searchable fact ("bluetooth").
            out.append(key.replace("_", " "))
        elif not value.replace(".", "", 1).isdigit():
            out.append(value)
    return out


def analyze_product(product: ProductText) -> IndexedDocument:
    attributes = product.attributes or {}
    title = tokens(product.title)
    brand = tokens(product.brand)
    model = tokens(product.model)
    kind_text = kind_phrase(product.title, product.brand, product.model)
    product_type = str(attributes.get("product_type") or "")
    kind = tokens(kind_text)
    typed = tokens(product_type)
    local = [t for text in product.local_titles for t in tokens(text)]
    parts = sorted(
        {p for t in title + model if is_code(t) for p in code_parts(t) if len(p) > 1}
        | {base for t in local for base in hebrew_bases(t)}
    )
    descriptions = (product.description, *product.local_descriptions)
    fields = {
        "title": title,
        "brand": brand,
        "model": model,
        "kind": kind + typed,
        "description": [t for text in descriptions for t in tokens(text)],
        "attributes": [t for text in _attribute_text(attributes) for t in tokens(text)],
        "parts": parts,
        "local": local,
    }
    heads: list[str] = []
    for head in [
        *_kind_heads(kind_text),
        *_kind_heads(product_type),
        *_title_heads(product.title, brand),
    ]:
        if head and head not in heads:
            heads.append(head)
    return IndexedDocument(
        fields={name: tuple(value[:MAX_FIELD_TOKENS]) for name, value in fields.items()},
        heads=tuple(heads[:MAX_HEADS]),
    )
