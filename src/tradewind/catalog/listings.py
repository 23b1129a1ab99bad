"""A seller's own listings at scale: search, filters, keyset pages and bulk edits.

Every read and write is scoped to the signed-in seller's shop (``seller_of``): an offer id of
another shop is reported as not found and nothing is changed. Pages are keyset pages over
``(seller_id, id)`` (index ``ix_offers_seller_id_id``): newest listing first, and a page deep in
a 5,000-offer shop costs what the first one does. A bulk edit names the offers (at most
``MAX_BULK_OFFERS``) and absolute new values, or a percentage for the price; it runs once per
idempotency key, so a resubmitted form changes nothing twice (decision 42).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, bindparam, case, func, select, update

from tradewind.catalog.domain import (
    MAX_PRICE_MINOR,
    OfferStatus,
    validate_price,
    validate_stock,
)
from tradewind.catalog.service import seller_of
from tradewind.db.tables.catalog import offers, products
from tradewind.db.uow import UnitOfWork, use_case
from tradewind.idempotency import service as idem
from tradewind.identity.domain import Principal, Role, require_role
from tradewind.kernel.errors import FieldError, InvalidInput, NotFound
from tradewind.kernel.i18n import N_
from tradewind.kernel.problems import ProblemCode

MAX_PAGE_SIZE = 200
MAX_QUERY_LEN = 100
MAX_BULK_OFFERS = 10_000
MAX_EXPORT_OFFERS = 50_000
MIN_PERCENT, MAX_PERCENT = -90, 500
_CHUNK = 500  # ids per IN (...): far under SQLite's and PostgreSQL's parameter limits


class ListingFilter(StrEnum):
    ALL = "all"
    IN_STOCK = "in_stock"
    OUT_OF_STOCK = "out_of_stock"
    FLASH = "flash"
    INACTIVE = "inactive"


@dataclass(frozen=True, slots=True)
class ListingQuery:
    text: str = ""
    filter: ListingFilter = ListingFilter.ALL
    after: str | None = None  # the last offer id of the previous page
    limit: int = 50


@dataclass(frozen=True, slots=True)
class ListingPage:
    rows: list[dict[str, Any]]
    next_after: str | None
    counts: dict[str, int]  # per filter, over the whole shop (not the text search)


def _filter_clause(
    chosen: ListingFilter, flash_offer_ids: Collection[str]
) -> ColumnElement[bool] | None:
    if chosen is ListingFilter.IN_STOCK:
        return offers.c.stock > 0
    if chosen is ListingFilter.OUT_OF_STOCK:
        return offers.c.stock == 0
    if chosen is ListingFilter.INACTIVE:
        return offers.c.status == OfferStatus.PAUSED.value
    if chosen is ListingFilter.FLASH:
        return offers.c.id.in_(list(flash_offer_ids))
    return None


def _text_clause(text: str) -> ColumnElement[bool] | None:
    words = text.strip()[:MAX_QUERY_LEN].lower()
    if not words:
        return None
    digits = words.replace(" ", "")
    clause = func.lower(products.c.title).contains(words, autoescape=True)
    if digits.isascii() and digits.isdigit():
        clause = clause | (products.c.gtin == digits.zfill(14))
    return clause | (offers.c.id == words) | (products.c.id == words)


def listing_rows(
    uow: UnitOfWork, seller_id: str, query: ListingQuery, flash_offer_ids: Collection[str]
) -> tuple[list[dict[str, Any]], str | None]:
    """One keyset page of the shop's offers (newest first) with the product fields shown."""
    limit = max(1, min(query.limit, MAX_PAGE_SIZE))
    stmt = (
        select(
            offers,
            products.c.title,
            products.c.gtin,
            products.c.brand,
            products.c.image_url,
            products.c.category,
            products.c.hs_code,
        )
        .join(products, products.c.id == offers.c.product_id)
        .where(offers.c.seller_id == seller_id)
        .order_by(offers.c.id.desc())
        .limit(limit + 1)
    )
    for clause in (_filter_clause(query.filter, flash_offer_ids), _text_clause(query.text)):
        if clause is not None:
            stmt = stmt.where(clause)
    if query.after:
        stmt = stmt.where(offers.c.id < query.after)
    rows = [dict(r._mapping) for r in uow.conn.execute(stmt)]
    if len(rows) > limit:
        return rows[:limit], rows[limit - 1]["id"]
    return rows, None


def listing_counts(
    uow: UnitOfWork, seller_id: str, flash_offer_ids: Collection[str]
) -> dict[str, int]:
    """How many of the shop's offers each filter holds, in one aggregate read."""
    row = uow.conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((offers.c.stock > 0, 1), else_=0)), 0),
            func.coalesce(func.sum(case((offers.c.stock == 0, 1), else_=0)), 0),
            func.coalesce(
                func.sum(case((offers.c.status == OfferStatus.PAUSED.value, 1), else_=0)), 0
            ),
        ).where(offers.c.seller_id == seller_id)
    ).one()
    return {
        ListingFilter.ALL.value: int(row[0]),
        ListingFilter.IN_STOCK.value: int(row[1]),
        ListingFilter.OUT_OF_STOCK.value: int(row[2]),
        ListingFilter.FLASH.value: len(flash_offer_ids),
        ListingFilter.INACTIVE.value: int(row[3]),
    }


def seller_listings(
    uow: UnitOfWork, principal: Principal, query: ListingQuery, flash_offer_ids: Collection[str]
) -> ListingPage:
    """The signed-in seller's listing page: rows, the next page's cursor, counts per filter."""
    require_role(principal, Role.SELLER)
    shop = seller_of(uow, principal)
    rows, next_after = listing_rows(uow, shop["id"], query, flash_offer_ids)
    return ListingPage(rows, next_after, listing_counts(uow, shop["id"], flash_offer_ids))


def matching_ids(
    uow: UnitOfWork, principal: Principal, query: ListingQuery, flash_offer_ids: Collection[str]
) -> tuple[str, ...]:
    """Ids of every shop offer the search and filter match (for a bulk change), at most
    ``MAX_BULK_OFFERS + 1`` so that too many is refused rather than cut silently."""
    require_role(principal, Role.SELLER)
    shop = seller_of(uow, principal)
    stmt = (
        select(offers.c.id)
        .join(products, products.c.id == offers.c.product_id)
        .where(offers.c.seller_id == shop["id"])
        .order_by(offers.c.id)
        .limit(MAX_BULK_OFFERS + 1)
    )
    for clause in (_filter_clause(query.filter, flash_offer_ids), _text_clause(query.text)):
        if clause is not None:
            stmt = stmt.where(clause)
    return tuple(uow.conn.scalars(stmt))


def export_rows(uow: UnitOfWork, principal: Principal) -> list[dict[str, Any]]:
    """Every offer of the seller's shop with all its product's listing fields, oldest first."""
    require_role(principal, Role.SELLER)
    shop = seller_of(uow, principal)
    stmt = (
        select(
            offers,
            products.c.gtin,
            products.c.title,
            products.c.brand,
            products.c.description,
            products.c.category,
            products.c.hs_code,
            products.c.origin_country,
            products.c.weight_g,
            products.c.language,
            products.c.image_url,
        )
        .join(products, products.c.id == offers.c.product_id)
        .where(offers.c.seller_id == shop["id"])
        .order_by(offers.c.id)
        .limit(MAX_EXPORT_OFFERS)
    )
    return [dict(r._mapping) for r in uow.conn.execute(stmt)]


# --- bulk edit -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BulkChange:
    """New values for many offers at once: absolute price or a percentage, stock, status."""

    offer_ids: tuple[str, ...]
    price_minor: int | None = None
    price_percent: int | None = None
    stock: int | None = None
    status: OfferStatus | None = None

    def fingerprint(self) -> str:
        body = {
            "ids": sorted(set(self.offer_ids)),
            "price_minor": self.price_minor,
            "price_percent": self.price_percent,
            "stock": self.stock,
            "status": self.status.value if self.status else None,
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class BulkResult:
    changed: int
    replayed: bool = False


def validate_bulk(change: BulkChange) -> None:
    """Refuse a change that names nothing to do, too many offers, or values out of bounds."""
    errors: list[FieldError] = []
    if not change.offer_ids:
        errors.append(FieldError("offer_ids", N_("choose at least one listing"), "required"))
    if len(set(change.offer_ids)) > MAX_BULK_OFFERS:
        errors.append(FieldError("offer_ids", N_("at most 10,000 listings at once"), "too_many"))
    if change.price_minor is not None and change.price_percent is not None:
        errors.append(
            FieldError("price_percent", N_("give a new price or a percentage, not both"), "both")
        )
    if change.price_percent is not None and not MIN_PERCENT <= change.price_percent <= MAX_PERCENT:
        errors.append(
            FieldError(
                "price_percent", N_("the percentage must be between -90 and 500"), "out_of_range"
            )
        )
    nothing = (change.price_minor, change.price_percent, change.stock, change.status)
    if all(v is None for v in nothing):
        errors.append(FieldError("action", N_("choose what to change"), "required"))
    if errors:
        raise InvalidInput(
            "the bulk change is not valid", errors=errors, code=ProblemCode.VALIDATION_FAILED
        )
    if change.price_minor is not None:
        validate_price(change.price_minor)
    if change.stock is not None:
        validate_stock(change.stock)


def scaled_price(price_minor: int, percent: int) -> int:
    """``price * (100 + percent) / 100`` in minor units, rounded half up, at least 1 minor unit.

    Integer arithmetic only (no float, no Decimal needed): the one rounding of a bulk change.
    """
    numerator = price_minor * (100 + percent)
    return max(1, min(MAX_PRICE_MINOR, (numerator + 50) // 100))


def _own_prices(uow: UnitOfWork, seller_id: str, ids: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        rows = uow.conn.execute(
            select(offers.c.id, offers.c.price_minor).where(
                offers.c.seller_id == seller_id, offers.c.id.in_(chunk)
            )
        )
        found.update({r.id: int(r.price_minor) for r in rows})
    return found


def _apply(uow: UnitOfWork, seller_id: str, change: BulkChange, prices: dict[str, int]) -> int:
    values: dict[str, Any] = {"version": offers.c.version + 1, "updated_at": uow.clock.now()}
    if change.stock is not None:
        values["stock"] = change.stock
    if change.status is not None:
        values["status"] = change.status.value
    if change.price_minor is not None:
        values["price_minor"] = change.price_minor
    if change.price_percent is not None:
        values["price_minor"] = bindparam("new_price")
    stmt = (
        update(offers)
        .where(offers.c.id == bindparam("offer_id"), offers.c.seller_id == seller_id)
        .values(**values)
    )
    percent = change.price_percent
    params = [
        {
            "offer_id": oid,
            **({"new_price": scaled_price(p, percent)} if percent is not None else {}),
        }
        for oid, p in sorted(prices.items())
    ]
    return int(uow.conn.execute(stmt, params).rowcount or 0) if params else 0


@use_case
def bulk_update_offers(
    uow: UnitOfWork, principal: Principal, change: BulkChange, idempotency_key: str
) -> BulkResult:
    """Apply ``change`` to the named offers of the seller's own shop, once per key.

    All or nothing: an id that is not this shop's (or does not exist) refuses the whole change
    with 404, so a tampered form moves nothing. A replayed key returns the first result and
    writes nothing, so a double-submitted form never sets stock twice.
    """
    require_role(principal, Role.SELLER)
    shop = seller_of(uow, principal)
    validate_bulk(change)
    key = idem.validate_key(idempotency_key)
    stored = idem.claim(uow, principal.account_id, key, change.fingerprint())
    if stored is not None:
        return BulkResult(int(json.loads(stored.body)["changed"]), replayed=True)
    ids = sorted(set(change.offer_ids))
    prices = _own_prices(uow, shop["id"], ids)
    if len(prices) != len(ids):
        raise NotFound("offer not found")  # the claim rolls back with the transaction
    changed = _apply(uow, shop["id"], change, prices)
    body = json.dumps({"changed": changed}).encode()
    idem.complete(uow, principal.account_id, key, idem.StoredResult(200, body))
    return BulkResult(changed)
