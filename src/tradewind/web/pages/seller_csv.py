"""Listings in bulk: a CSV with one row per offer, applied row by row.

Columns: ``gtin,title,brand,price,stock,weight_g,origin_country``, and optionally ``language``
(the language title is written in, ``en`` when absent) and per other language ``title_he``,
``description_he``, ``title_zh``... A new GTIN creates the product (title, brand, weight, origin
and the translations are used then); a known GTIN gets this shop's offer
added or updated (price in major units of the shop's currency, stock in units). Each row runs in
its own savepoint, so a bad row is reported with its line number and reason and the good rows
still apply.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from tradewind.catalog import service as catalog
from tradewind.catalog import texts
from tradewind.catalog.domain import OfferStatus, normalize_gtin
from tradewind.db.uow import UnitOfWork
from tradewind.identity.domain import Principal
from tradewind.kernel.errors import DomainError, InvalidInput
from tradewind.kernel.i18n import _
from tradewind.kernel.languages import CONTENT_LANGUAGES
from tradewind.kernel.text import is_ascii_digits
from tradewind.money.amount import Money
from tradewind.search import service as search
from tradewind.web.pages import queries
from tradewind.web.pages.common import problem_text

COLUMNS = ("gtin", "title", "brand", "price", "stock", "weight_g", "origin_country")
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
                    {k: (v or "").strip() for k, v in row.items() if isinstance(v, str)},
                )
            )
    return rows, []


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
        raise InvalidInput(f"{name} must be a whole number, not {value!r}")
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
    gtin = normalize_gtin(row.get("gtin", ""))
    price = Money.from_major(row.get("price", ""), shop["currency"]).amount_minor
    stock = _whole(row.get("stock", ""), "stock")
    product_id = queries.product_id_for_gtin(uow, gtin)
    if product_id is None:
        product_id = catalog.create_product(
            uow,
            principal,
            catalog.NewProduct(
                title=row.get("title", ""),
                brand=row.get("brand", ""),
                weight_g=_whole(row.get("weight_g", ""), "weight_g"),
                origin_country=row.get("origin_country", "").upper(),
                gtin=gtin,
                language=row.get("language") or "en",
                translations=translations_in(row),
            ),
        )["id"]
        search.index_products(uow, [product_id])  # findable in the same commit
        result.products_created += 1
    existing = queries.own_offer(uow, shop["id"], product_id)
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
                status=OfferStatus.ACTIVE,
            ),
        )
        result.offers_updated += 1


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
            result.errors.append(RowError(line, problem_text(exc)))
            continue
        result.products_created += partial.products_created
        result.offers_created += partial.offers_created
        result.offers_updated += partial.offers_updated
    return result
