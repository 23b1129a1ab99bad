"""A product's title and description in other languages, and the text a reader is shown.

Sellers give translations with the product (API ``translations``, the listing form, CSV
columns ``title_he``, ``description_zh``...); the demo catalog loads its own file. The
product row keeps the seller's original in ``products.language``; ``product_texts`` one row
per other language. Readers get the first text along the fallback chain of
:mod:`tradewind.kernel.languages` (requested, the product's own, English).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from tradewind.catalog.domain import MAX_TITLE_LEN
from tradewind.db.tables.catalog import product_texts, products
from tradewind.db.uow import UnitOfWork
from tradewind.kernel.errors import FieldError, InvalidInput
from tradewind.kernel.languages import CONTENT_LANGUAGES, ShownText, choose_text
from tradewind.kernel.text import check_plain_text, clean_text

MAX_DESCRIPTION_CHARS = 10_000
MAX_TRANSLATIONS = len(CONTENT_LANGUAGES)


@dataclass(frozen=True, slots=True)
class ProductTextIn:
    language: str
    title: str
    description: str = ""


def validate_language(raw: str, field: str = "language") -> str:
    language = raw.strip().lower()
    if language not in CONTENT_LANGUAGES:
        raise InvalidInput(
            f"language must be one of {', '.join(CONTENT_LANGUAGES)}",
            errors=[FieldError(field, "unknown language", "invalid_language")],
        )
    return language


def validate_texts(own: str, texts: Iterable[ProductTextIn]) -> dict[str, tuple[str, str]]:
    """Translations by language: known languages, not the original's, titles 1-500 chars."""
    found: dict[str, tuple[str, str]] = {}
    for text in texts:
        language = validate_language(text.language, "translations")
        if language == own or language in found:
            raise InvalidInput(
                f"one translation per language, other than the product's own ({own})",
                errors=[FieldError("translations", f"{language} given twice", "invalid_language")],
            )
        title = check_plain_text(
            text.title.strip(), f"title_{language}", max_len=MAX_TITLE_LEN, min_len=1
        )
        description = clean_text(text.description, f"description_{language}")
        if len(description) > MAX_DESCRIPTION_CHARS:
            raise InvalidInput(
                f"a description is at most {MAX_DESCRIPTION_CHARS} characters",
                errors=[FieldError(f"description_{language}", "too long")],
            )
        found[language] = (title, description)
    if len(found) > MAX_TRANSLATIONS:
        raise InvalidInput("too many translations", errors=[FieldError("translations", "many")])
    return found


def write_texts(conn: Connection, product_id: str, texts: Mapping[str, tuple[str, str]]) -> None:
    """Replace these languages' texts of one product (validated by :func:`validate_texts`)."""
    if not texts:
        return
    conn.execute(
        delete(product_texts).where(
            product_texts.c.product_id == product_id, product_texts.c.language.in_(list(texts))
        )
    )
    conn.execute(
        insert(product_texts),
        [
            {"product_id": product_id, "language": lang, "title": t, "description": d}
            for lang, (t, d) in sorted(texts.items())
        ],
    )


def texts_of(
    uow: UnitOfWork, product_ids: Collection[str]
) -> dict[str, dict[str, tuple[str, str]]]:
    """Every translation of these products: product id -> language -> (title, description)."""
    found: dict[str, dict[str, tuple[str, str]]] = {}
    if not product_ids:
        return found
    for pid, language, title, description in uow.conn.execute(
        select(
            product_texts.c.product_id,
            product_texts.c.language,
            product_texts.c.title,
            product_texts.c.description,
        ).where(product_texts.c.product_id.in_(sorted(product_ids)))
    ):
        found.setdefault(pid, {})[language] = (title, description)
    return found


def shown(product: Mapping[str, Any], language: str, translations: Mapping[str, Any]) -> ShownText:
    """What a reader of ``language`` sees of a product row (with its translations)."""
    return choose_text(
        language,
        product["language"],
        (product["title"], product["description"]),
        translations,
    )


def load_translations(
    uow: UnitOfWork, by_source_ref: Mapping[str, Mapping[str, tuple[str, str]]]
) -> list[str]:
    """Demo seeding: translations keyed by ``source_ref``; returns the products changed."""
    refs = sorted(by_source_ref)
    ids = dict(
        uow.conn.execute(
            select(products.c.source_ref, products.c.id).where(products.c.source_ref.in_(refs))
        ).all()
    )
    changed = []
    for ref in refs:
        if ref in ids:
            write_texts(uow.conn, ids[ref], by_source_ref[ref])
            changed.append(ids[ref])
    return changed
