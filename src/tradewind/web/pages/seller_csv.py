"""Listings in bulk: a CSV with one row per offer, applied row by row.

Columns: ``gtin,title,brand,price,stock,weight_g,origin_country``, and optionally ``product_id``
(names a product that has no GTIN; the export writes it), ``language``
(the language title is written in, ``en`` when absent), ``description``, ``category``,
``hs_code`` (6 digits), ``status`` (active or paused), ``shipping_services`` (codes separated by
spaces), ``free_shipping`` (yes or no), and per other language ``title_he``, ``description_he``,
``title_zh``... A new GTIN creates the product (title, brand, weight, origin, description,
category, HS code and the translations are used then); a known GTIN gets this shop's offer
added or updated (price in major units of the shop's currency, stock in units). The export
(``/seller/listings.csv``) writes the same columns, so a seller edits it and uploads it back.
Each row runs in its own savepoint, so a bad row is reported with its line number and reason and
the good rows still apply.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from tradewind.catalog import reads as catalog_reads
from tradewind.catalog import service as catalog
from tradewind.catalog import texts
from tradewind.catalog.domain import OfferStatus, normalize_gtin
from tradewind.db.uow import UnitOfWork
from tradewind.identity.domain import Principal
from tradewind.kernel.errors import DomainError, FieldError, InvalidInput
from tradewind.kernel.i18n import N_, _
from tradewind.kernel.languages import CONTENT_LANGUAGES
from tradewind.kernel.problems import ProblemCode
from tradewind.kernel.text import is_ascii_digits
from tradewind.money.amount import Money
from tradewind.search import service as search
from tradewind.web.pages.common import field_text, problem_text

COLUMNS = ("gtin", "title", "brand", "price", "stock", "weight_g", "origin_country")
TRANSLATED_COLUMNS = tuple(
    f"{name}_{lang}"
    for lang in CONTENT_LANGUAGES
    if lang != "en"
    for name in ("title", "description")
)
OPTIONAL_COLUMNS = (
    "product_id",
    "language",
    "description",
    "category",
    "hs_code",
    "status",
    "shipping_services",
    "free_shipping",
    *TRANSLATED_COLUMNS,
)
_YES = frozenset({"yes", "true", "1", "y"})
_NO = frozenset({"no", "false", "0", "n", ""})
MAX_ROWS = 1000
ROW_LIMIT = {"num": MAX_ROWS}
MAX_BYTES = 512 * 1024
MAX_KIB = MAX_BYTES // 1024
DEFAULT_SERVICES = ("registered_small_packet", "ems")


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    reason: str


@dataclass
class ImportResult:
    products_created: int = 0
    offers_created: int = 0
    offers_updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def applied(self) -> int:
        return self.offers_created + self.offers_updated


def parse(data: bytes) -> tuple[list[tuple[int, dict[str, str]]], list[RowError]]:
    """Rows with their line numbers (the header is line 1), or why the file cannot be read."""
    if len(data) > MAX_BYTES:
        return [], [RowError(0, _("the file is larger than %(kib)d KiB") % {"kib": MAX_KIB})]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [RowError(0, _("the file is not UTF-8 text"))]
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        return [], [RowError(1, _("missing columns: %(columns)s") % {"columns": ",".join(missing)})]
    reader.fieldnames = header
    rows: list[tuple[int, dict[str, str]]] = []
    for row in reader:
        if len(rows) == MAX_ROWS:
            return rows, [
                RowError(reader.line_num, _("only the first %(num)d rows are read") % ROW_LIMIT)
            ]
        if any((v or "").strip() for v in row.values() if isinstance(v, str)):
            rows.append(
                (
                    reader.line_num,
                    {k: _unquoted(v) for k, v in row.items() if isinstance(v, str)},
                )
            )
    return rows, []


def row_reason(exc: DomainError) -> str:
    """Why a row was refused, in the seller's language: each column at fault with its problem
    (``stock``: a whole number), else the error's own sentence."""
    own = problem_text(exc)
    if not exc.errors or own != problem_text({"code": ProblemCode.INVALID_INPUT}):
        return own
    return "; ".join(
        _("column %(column)s: %(problem)s") % {"column": e.field, "problem": field_text(e)}
        for e in exc.errors
    )


def translations_in(row: dict[str, str]) -> tuple[texts.ProductTextIn, ...]:
    """``title_he``/``description_he``-style columns -> translations (blank ones left out)."""
    return tuple(
        texts.ProductTextIn(lang, row.get(f"title_{lang}", ""), row.get(f"description_{lang}", ""))
        for lang in CONTENT_LANGUAGES
        if row.get(f"title_{lang}") or row.get(f"description_{lang}")
    )


def _whole(value: str, name: str) -> int:
    # int() also reads other scripts' digits ("٣" is 3); a CSV column takes ASCII digits only.
    if not is_ascii_digits(value) or len(value) > _MAX_DIGITS:
        raise InvalidInput(
            f"{name} must be a whole number, not {value!r}",
            errors=[FieldError(name, "not a whole number", "not_a_number")],
        )
    return int(value)


_MAX_DIGITS = 12  # far above every column's limit, which the domain checks with a clear message


def apply_row(
    uow: UnitOfWork,
    principal: Principal,
    shop: dict[str, Any],
    row: dict[str, str],
    result: ImportResult,
    *,
    services: tuple[str, ...] = DEFAULT_SERVICES,
    free_shipping: bool = False,
) -> None:
    """Create the product if its GTIN is new, then create or update this shop's offer."""
    known = row.get("product_id", "")
    gtin = normalize_gtin(row.get("gtin", "")) if row.get("gtin") or not known else ""
    price = Money.from_major(row.get("price", ""), shop["currency"]).amount_minor
    stock = _whole(row.get("stock", ""), "stock")
    status = _status(row.get("status", ""))
    services = _services(row.get("shipping_services", ""), services)
    free_shipping = _flag(row.get("free_shipping", ""), free_shipping)
    product_id = _product_for(uow, principal, row, gtin, known, result)
    existing = catalog_reads.own_offer(uow, shop["id"], product_id)
    if existing is None:
        catalog.create_offer(
            uow,
            principal,
            catalog.NewOffer(
                product_id=product_id,
                price_minor=price,
                stock=stock,
                shipping_services=services,
                free_shipping=free_shipping,
            ),
        )
        if status is OfferStatus.PAUSED:
            created = catalog_reads.own_offer(uow, shop["id"], product_id) or {}
            catalog.update_offer(
                uow, principal, created["id"], catalog.OfferChange(version=1, status=status)
            )
        result.offers_created += 1
    else:
        catalog.update_offer(
            uow,
            principal,
            existing["id"],
            catalog.OfferChange(
                version=existing["version"],
                price_minor=price,
                stock=stock,
                status=status,
            ),
        )
        result.offers_updated += 1


def _product_for(
    uow: UnitOfWork,
    principal: Principal,
    row: dict[str, str],
    gtin: str,
    known: str,
    result: ImportResult,
) -> str:
    """The row's product: by GTIN, else by id (a product without a GTIN, as the export writes
    it), else a new one made from the row's columns."""
    product_id = catalog_reads.product_id_for_gtin(uow, gtin) if gtin else None
    if product_id is None and known:
        product_id = catalog.get_product(uow, known)["id"]
    if product_id is not None:
        return product_id
    product_id = catalog.create_product(
        uow,
        principal,
        catalog.NewProduct(
            title=row.get("title", ""),
            brand=row.get("brand", ""),
            weight_g=_whole(row.get("weight_g", ""), "weight_g"),
            origin_country=row.get("origin_country", "").upper(),
            gtin=gtin,
            description=row.get("description", ""),
            category=row.get("category") or None,
            hs_code=row.get("hs_code") or None,
            language=row.get("language") or "en",
            translations=translations_in(row),
        ),
    )["id"]
    search.index_products(uow, [product_id])  # findable in the same commit
    result.products_created += 1
    return str(product_id)


def _status(raw: str) -> OfferStatus:
    value = raw.strip().lower() or OfferStatus.ACTIVE.value
    if value not in {s.value for s in OfferStatus}:
        raise InvalidInput(N_("status must be active or paused"))
    return OfferStatus(value)


def _services(raw: str, default: tuple[str, ...]) -> tuple[str, ...]:
    codes = tuple(dict.fromkeys(raw.replace(",", " ").replace(";", " ").split()))
    return codes or default  # create_offer refuses unknown codes and too many


def _flag(raw: str, default: bool) -> bool:
    value = raw.strip().lower()
    if not raw.strip():
        return default
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise InvalidInput(N_("free_shipping must be yes or no"))


def translations_of(uow: UnitOfWork, product_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Every translation of these products, read in chunks (an export may hold thousands)."""
    found: dict[str, dict[str, Any]] = {}
    unique = sorted(set(product_ids))
    for start in range(0, len(unique), 500):
        found.update(texts.texts_of(uow, unique[start : start + 500]))
    return found


def export_line(row: dict[str, Any], shop: dict[str, Any], translated: dict[str, Any]) -> list[str]:
    """One offer as a CSV row in ``COLUMNS + OPTIONAL_COLUMNS`` order, read back by ``parse``."""
    values = {
        "gtin": row["gtin"] or "",
        "product_id": row["product_id"],
        "title": row["title"],
        "brand": row["brand"],
        "price": str(Money(row["price_minor"], shop["currency"]).to_decimal()),
        "stock": str(row["stock"]),
        "weight_g": str(row["weight_g"]),
        "origin_country": row["origin_country"],
        "language": row["language"],
        "description": row["description"],
        "category": row["category"],
        "hs_code": row["hs_code"],
        "status": row["status"],
        "shipping_services": " ".join(row["shipping_services"]),
        "free_shipping": "yes" if row["free_shipping"] else "no",
    }
    for lang, (title, description) in translated.items():
        values[f"title_{lang}"], values[f"description_{lang}"] = title, description
    return [_safe_cell(values.get(c, "")) for c in (*COLUMNS, *OPTIONAL_COLUMNS)]


def example_line(shop: dict[str, Any]) -> list[str]:
    """The template's example row: a real, valid GTIN and the shop's own country."""
    values = {
        "gtin": "4006381333931",
        "title": "USB-C charging cable, 1 m",
        "brand": "Example",
        "price": str(Money(1250, shop["currency"]).to_decimal()),
        "stock": "10",
        "weight_g": "60",
        "origin_country": shop["country"],
        "language": "en",
        "hs_code": "854442",
        "status": "active",
        "shipping_services": " ".join(DEFAULT_SERVICES),
        "free_shipping": "no",
    }
    return [values.get(c, "") for c in (*COLUMNS, *OPTIONAL_COLUMNS)]


def _unquoted(raw: str | None) -> str:
    value = (raw or "").strip()
    return value[1:] if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@") else value


def _safe_cell(value: str) -> str:
    """Spreadsheets run a cell that starts with = + - @ as a formula: quote it (OWASP CSV
    injection); ``parse`` strips the quote mark back off."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def apply_rows(
    uow: UnitOfWork,
    principal: Principal,
    shop: dict[str, Any],
    rows: list[tuple[int, dict[str, str]]],
    **options: Any,
) -> ImportResult:
    result = ImportResult()
    for line, row in rows:
        partial = ImportResult()
        try:
            with uow.conn.begin_nested():
                apply_row(uow, principal, shop, row, partial, **options)
        except DomainError as exc:
            result.errors.append(RowError(line, row_reason(exc)))
            continue
        result.products_created += partial.products_created
        result.offers_created += partial.offers_created
        result.offers_updated += partial.offers_updated
    return result
