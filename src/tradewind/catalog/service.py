"""Catalog use cases: seller onboarding, master products, offers."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from tradewind.audit import service as audit
from tradewind.catalog import texts
from tradewind.catalog.domain import (
    CATEGORY_RULES,
    MAX_HANDLING_DAYS,
    MAX_TITLE_LEN,
    Condition,
    OfferStatus,
    SellerStatus,
    categorize,
    normalize_gtin,
    seller_transition,
    validate_hs_code,
    validate_price,
    validate_stock,
    validate_version,
    validate_weight_and_size,
)
from tradewind.db.tables.catalog import offers, products, sellers
from tradewind.db.uow import UnitOfWork
from tradewind.identity.domain import Principal, Role, require_role
from tradewind.kernel.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from tradewind.kernel.i18n import N_
from tradewind.kernel.ids import new_id
from tradewind.kernel.problems import ProblemCode
from tradewind.kernel.text import clean_text
from tradewind.logistics.shipping import SERVICES
from tradewind.money.currency import currency_for_country, validate_country, validate_currency

MAX_SHIPPING_SERVICES = 5
# A product (not a parcel: the services cap those at 30 kg) up to a tonne, as the API allows;
# it keeps page and CSV input inside the 32-bit weight_g column.


def _row(result: Any) -> dict[str, Any]:
    return dict(result._mapping)


# --- sellers ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SellerApplication:
    name: str
    ship_from: dict[str, str]
    handling_days: int = 2
    country: str | None = None
    currency: str | None = None
    sells: str | None = None  # what the shop means to sell, in the seller's words
    contact: str | None = None  # how the operators reach the shop (the account's email if none)


MAX_SELLS_LEN = 500
MAX_CONTACT_LEN = 200


def apply_as_seller(
    uow: UnitOfWork, principal: Principal, app: SellerApplication
) -> dict[str, Any]:
    """A seller account opens its shop; it stays pending until an operator approves it."""
    require_role(principal, Role.SELLER)
    country = validate_country(app.country or principal.country)
    currency = validate_currency(app.currency or currency_for_country(country))
    if not 0 <= app.handling_days <= MAX_HANDLING_DAYS:
        raise InvalidInput(
            f"handling time must be 0 to {MAX_HANDLING_DAYS} days",
            errors=[FieldError("handling_days", "out of range")],
        )
    values = {
        "id": new_id("slr"),
        "account_id": principal.account_id,
        "name": app.name.strip(),
        "country": country,
        "currency": currency,
        "status": SellerStatus.PENDING.value,
        "ship_from": {**app.ship_from, "country": country},
        "handling_days": app.handling_days,
        "commission_bps": None,
        "rating_sum": 0,
        "rating_count": 0,
        "created_at": uow.clock.now(),
        "approved_at": None,
        "sells": _application_text(app.sells, "sells", MAX_SELLS_LEN),
        "contact": _application_text(app.contact, "contact", MAX_CONTACT_LEN),
        "decision_reason": None,
    }
    try:
        with uow.conn.begin_nested():
            uow.conn.execute(insert(sellers).values(**values))
    except IntegrityError as exc:
        raise Conflict("this account already has a shop", code=ProblemCode.SELLER_EXISTS) from exc
    return values


def _application_text(value: str | None, field: str, max_len: int) -> str | None:
    if value is None or not value.strip():
        return None
    text = clean_text(value.strip(), field)
    if len(text) > max_len:
        raise InvalidInput(
            f"{field} must be at most {max_len} characters",
            errors=[FieldError(field, f"must be at most {max_len} characters")],
        )
    return text


def seller_of(uow: UnitOfWork, principal: Principal) -> dict[str, Any]:
    """The shop of a seller principal (404 when it has not applied yet)."""
    row = uow.conn.execute(
        select(sellers).where(sellers.c.account_id == principal.account_id)
    ).first()
    if row is None:
        raise NotFound("you have no shop yet; apply first", code=ProblemCode.NO_SHOP)
    return _row(row)


def get_seller(uow: UnitOfWork, seller_id: str) -> dict[str, Any]:
    row = uow.conn.execute(select(sellers).where(sellers.c.id == seller_id)).first()
    if row is None:
        raise NotFound("seller not found")
    return _row(row)


@dataclass(frozen=True, slots=True)
class SellerTerms:
    """What other contexts need to know of a shop: where it ships from, how it is paid."""

    seller_id: str
    country: str
    currency: str
    handling_days: int
    commission_bps: int | None  # None: the category's (or the default) rate applies
    account_id: str = ""  # the shop owner's account (risk judges sellers by account)
    quality_level: str = "good"  # "paused": payouts held until an operator reinstates


def seller_terms(uow: UnitOfWork, seller_ids: Collection[str]) -> dict[str, SellerTerms]:
    """The terms of each shop in ``seller_ids``, in one read (unknown ids are absent)."""
    if not seller_ids:
        return {}
    rows = uow.conn.execute(
        select(
            sellers.c.id,
            sellers.c.country,
            sellers.c.currency,
            sellers.c.handling_days,
            sellers.c.commission_bps,
            sellers.c.account_id,
            sellers.c.quality_level,
        ).where(sellers.c.id.in_(set(seller_ids)))
    )
    return {
        r.id: SellerTerms(
            r.id,
            r.country,
            r.currency,
            r.handling_days,
            r.commission_bps,
            r.account_id,
            r.quality_level,
        )
        for r in rows
    }


def seller_currencies(uow: UnitOfWork) -> dict[str, str]:
    """Every shop's payout currency, by seller id (the payout batch walks them all)."""
    return {r.id: r.currency for r in uow.conn.execute(select(sellers.c.id, sellers.c.currency))}


def add_seller_rating(uow: UnitOfWork, seller_id: str, stars: int) -> None:
    """Roll one buyer rating up into the shop's totals (the caller recorded the rating)."""
    uow.conn.execute(
        update(sellers)
        .where(sellers.c.id == seller_id)
        .values(rating_sum=sellers.c.rating_sum + stars, rating_count=sellers.c.rating_count + 1)
    )


def change_seller_status(
    uow: UnitOfWork, principal: Principal, seller_id: str, action: str, reason: str | None = None
) -> dict[str, Any]:
    """Approve, reject, suspend or reinstate a shop, written to the audit log with why; the
    reason is also kept on the shop (its seller center shows it)."""
    require_role(principal, Role.OPERATOR)
    current = get_seller(uow, seller_id)
    target = seller_transition(SellerStatus(current["status"]), action)
    now = uow.clock.now()
    values: dict[str, Any] = {"status": target.value, "decision_reason": reason}
    if target is SellerStatus.ACTIVE and current["approved_at"] is None:
        values["approved_at"] = now
    # Conditional on the status we read: a concurrent operator action makes this a 409.
    changed = uow.conn.execute(
        update(sellers)
        .where(sellers.c.id == seller_id, sellers.c.status == current["status"])
        .values(**values)
    ).rowcount
    if changed != 1:
        raise Conflict(
            "the seller changed meanwhile; reload and retry", code=ProblemCode.STALE_STATE
        )
    audit.record(
        uow,
        actor_id=principal.account_id,
        action=f"seller.{action}",
        subject_kind="seller",
        subject_id=seller_id,
        reason=reason or audit.NO_REASON,
        detail={"from": current["status"], "to": target.value},
    )
    return {**current, **values}


def list_sellers(
    uow: UnitOfWork, principal: Principal, *, status: str | None, limit: int, after: str | None
) -> list[dict[str, Any]]:
    require_role(principal, Role.OPERATOR)
    query = select(sellers).order_by(sellers.c.id).limit(limit)
    if status:
        query = query.where(sellers.c.status == status)
    if after:
        query = query.where(sellers.c.id > after)
    return [_row(r) for r in uow.conn.execute(query)]


def _active_seller(uow: UnitOfWork, principal: Principal) -> dict[str, Any]:
    require_role(principal, Role.SELLER)
    seller = seller_of(uow, principal)
    if seller["status"] != SellerStatus.ACTIVE.value:
        raise Conflict(
            f"your shop is {seller['status']}; an operator must approve it first",
            code=ProblemCode.SELLER_NOT_ACTIVE,
        )
    return seller


# --- products --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewProduct:
    title: str
    brand: str
    weight_g: int
    origin_country: str
    gtin: str | None = None
    model: str = ""
    description: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    category: str | None = None
    hs_code: str | None = None
    length_mm: int = 0
    width_mm: int = 0
    height_mm: int = 0
    image_url: str | None = None
    language: str = "en"  # the language title and description are written in
    translations: tuple[texts.ProductTextIn, ...] = ()


def product_values(
    data: NewProduct, *, created_by: str | None, now: Any, source_ref: str | None = None
) -> dict[str, Any]:
    """Validated column values for a product (shared by the API, the CSV and the importer)."""
    for name in ("title", "brand", "model", "description", "category", "image_url"):
        clean_text(getattr(data, name) or "", name)
    for key, value in data.attributes.items():
        clean_text(key + value, "attributes")
    title = data.title.strip()
    if not 1 <= len(title) <= MAX_TITLE_LEN:
        raise InvalidInput(
            "title must be 1 to 500 characters", errors=[FieldError("title", "length out of range")]
        )
    validate_weight_and_size(
        data.weight_g,
        {"length_mm": data.length_mm, "width_mm": data.width_mm, "height_mm": data.height_mm},
    )
    # A category the seller chose brings its usual HS code; else both are guessed from the title.
    named = next((r for r in CATEGORY_RULES if r.category == data.category), None)
    guess = named or categorize(title, data.attributes.get("product_type"))
    return {
        "id": new_id("prd"),
        "source_ref": source_ref,
        "gtin": normalize_gtin(data.gtin) if data.gtin else None,
        "brand": data.brand.strip()[:100],
        "title": title,
        "model": data.model.strip()[:200],
        "description": data.description,
        "attributes": dict(data.attributes),
        "category": (data.category or guess.category)[:100],
        "hs_code": validate_hs_code(data.hs_code or guess.hs_code),
        "origin_country": validate_country(data.origin_country),
        "weight_g": data.weight_g,
        "length_mm": data.length_mm,
        "width_mm": data.width_mm,
        "height_mm": data.height_mm,
        "image_url": data.image_url,
        "language": texts.validate_language(data.language),
        "created_by": created_by,
        "created_at": now,
    }


def create_product(uow: UnitOfWork, principal: Principal, data: NewProduct) -> dict[str, Any]:
    if principal.role is Role.SELLER:
        _active_seller(uow, principal)
    else:
        require_role(principal, Role.OPERATOR)
    values = product_values(data, created_by=principal.account_id, now=uow.clock.now())
    translations = texts.validate_texts(values["language"], data.translations)
    if values["gtin"] is not None:
        existing = uow.conn.scalar(select(products.c.id).where(products.c.gtin == values["gtin"]))
        if existing is not None:
            raise Conflict(
                f"a product with this GTIN exists ({existing}); add an offer to it",
                code=ProblemCode.PRODUCT_EXISTS,
            )
    uow.conn.execute(insert(products).values(**values))
    texts.write_texts(uow.conn, values["id"], translations)
    return {**values, "translations": translations}


def check_may_picture(uow: UnitOfWork, principal: Principal, product_id: str) -> None:
    """A seller may picture a product its active shop created or offers (any offer state)."""
    seller = _active_seller(uow, principal)
    product = uow.conn.execute(
        select(products.c.id, products.c.created_by).where(products.c.id == product_id)
    ).first()
    if product is None:
        raise NotFound("product not found")
    offered = uow.conn.scalar(
        select(offers.c.id)
        .where(offers.c.product_id == product_id, offers.c.seller_id == seller["id"])
        .limit(1)
    )
    if product.created_by != principal.account_id and offered is None:
        raise Forbidden(
            "you can add pictures only to products your shop sells",
            code=ProblemCode.NOT_YOUR_PRODUCT,
        )


def set_product_image(
    uow: UnitOfWork, principal: Principal, product_id: str, image_url: str
) -> None:
    check_may_picture(uow, principal, product_id)
    uow.conn.execute(
        update(products).where(products.c.id == product_id).values(image_url=image_url)
    )


def product_category(uow: UnitOfWork, product_id: str) -> str | None:
    found: str | None = uow.conn.scalar(
        select(products.c.category).where(products.c.id == product_id)
    )
    return found


def get_product(uow: UnitOfWork, product_id: str) -> dict[str, Any]:
    row = uow.conn.execute(select(products).where(products.c.id == product_id)).first()
    if row is None:
        raise NotFound("product not found")
    return _row(row)


def list_products(
    uow: UnitOfWork, *, brand: str | None, category: str | None, limit: int, after: str | None
) -> list[dict[str, Any]]:
    query = select(products).order_by(products.c.id).limit(limit)
    if brand:
        query = query.where(func.lower(products.c.brand) == brand.lower())
    if category:
        query = query.where(products.c.category == category)
    if after:
        query = query.where(products.c.id > after)
    return [_row(r) for r in uow.conn.execute(query)]


# --- offers ----------------------------------------------------------------------------------

OFFER_COLUMNS = (
    offers,
    sellers.c.name.label("seller_name"),
    sellers.c.country.label("ship_from_country"),
    sellers.c.rating_sum,
    sellers.c.rating_count,
    sellers.c.handling_days,
)


# An offer with what selling it needs from its shop and product. Checkouts read it on their
# hottest path, so the statement is built once: SQLAlchemy then skips rebuilding it and
# computing its cache key on every call.
_OFFERS_FOR_SALE = (
    select(
        offers.c.id,
        offers.c.seller_id,
        offers.c.product_id,
        offers.c.price_minor,
        offers.c.currency,
        offers.c.status,
        offers.c.shipping_services,
        offers.c.free_shipping,
        sellers.c.account_id.label("seller_account_id"),
        sellers.c.status.label("seller_status"),
        sellers.c.handling_days,
        sellers.c.country.label("seller_country"),
        products.c.title,
        products.c.hs_code,
        products.c.origin_country,
        products.c.weight_g,
    )
    .join(sellers, sellers.c.id == offers.c.seller_id)
    .join(products, products.c.id == offers.c.product_id)
    .where(offers.c.id.in_(bindparam("offer_ids", expanding=True)))
)


def offers_for_sale(uow: UnitOfWork, offer_ids: list[str]) -> dict[str, Any]:
    """Offer id -> the offer joined with its shop and product (any status; callers judge)."""
    return {r.id: r for r in uow.conn.execute(_OFFERS_FOR_SALE, {"offer_ids": offer_ids})}


@dataclass(frozen=True, slots=True)
class NewOffer:
    product_id: str
    price_minor: int
    stock: int
    condition: Condition = Condition.NEW
    shipping_services: tuple[str, ...] = ("registered_small_packet",)
    free_shipping: bool = False


def active_sellers(
    uow: UnitOfWork, *, after: str | None, limit: int, levels: Collection[str] = ()
) -> list[dict[str, Any]]:
    """Open shops by id after ``after`` (the quality review walks them in pages), only those at
    one of ``levels`` of the quality rules when given."""
    query = (
        select(sellers.c.id, sellers.c.account_id, sellers.c.name, sellers.c.quality_level)
        .where(sellers.c.status == SellerStatus.ACTIVE.value)
        .order_by(sellers.c.id)
        .limit(limit)
    )
    if levels:
        query = query.where(sellers.c.quality_level.in_(list(levels)))
    if after:
        query = query.where(sellers.c.id > after)
    return [dict(r._mapping) for r in uow.conn.execute(query)]


def set_quality_level(uow: UnitOfWork, seller_id: str, level: str) -> None:
    """The quality rules' (or an operator's) decision on a shop: ``good``, ``warned`` or
    ``paused`` (no new listings, no payouts)."""
    uow.conn.execute(update(sellers).where(sellers.c.id == seller_id).values(quality_level=level))


def create_offer(uow: UnitOfWork, principal: Principal, data: NewOffer) -> dict[str, Any]:
    seller = _active_seller(uow, principal)
    if seller["quality_level"] == "paused":
        raise Conflict(
            N_(
                "new listings are paused: your shop is past a quality threshold until an "
                "operator reviews it"
            ),
            code=ProblemCode.LISTINGS_PAUSED,
        )
    get_product(uow, data.product_id)
    if not 1 <= len(data.shipping_services) <= MAX_SHIPPING_SERVICES:
        raise InvalidInput(
            f"list 1 to {MAX_SHIPPING_SERVICES} shipping services",
            errors=[FieldError("shipping_services", "count out of range")],
        )
    unknown = [code for code in data.shipping_services if code not in SERVICES]
    if unknown:
        raise InvalidInput(
            f"unknown shipping services {unknown}; choose from {sorted(SERVICES)}",
            errors=[FieldError("shipping_services", "unknown service", "unknown_service")],
        )
    now = uow.clock.now()
    values = {
        "id": new_id("ofr"),
        "product_id": data.product_id,
        "seller_id": seller["id"],
        "price_minor": validate_price(data.price_minor),
        "currency": seller["currency"],
        "stock": validate_stock(data.stock),
        "condition": data.condition.value,
        "status": OfferStatus.ACTIVE.value,
        "shipping_services": list(data.shipping_services),
        "free_shipping": data.free_shipping,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    try:
        with uow.conn.begin_nested():
            uow.conn.execute(insert(offers).values(**values))
    except IntegrityError as exc:
        raise Conflict(
            "you already offer this product in this condition; update that offer",
            code=ProblemCode.OFFER_EXISTS,
        ) from exc
    return values


@dataclass(frozen=True, slots=True)
class OfferChange:
    version: int
    price_minor: int | None = None
    stock: int | None = None
    status: OfferStatus | None = None


def update_offer(
    uow: UnitOfWork, principal: Principal, offer_id: str, change: OfferChange
) -> dict[str, Any]:
    """Change price, stock or status under optimistic concurrency (the caller's ``version``).

    Stock set here is what is still available to sell; units already reserved by checkouts
    are not in it, which is why a stale version must be refused rather than overwritten.
    """
    seller = seller_of(uow, principal)
    version = validate_version(change.version)
    values: dict[str, Any] = {"version": version + 1, "updated_at": uow.clock.now()}
    if change.price_minor is not None:
        values["price_minor"] = validate_price(change.price_minor)
    if change.stock is not None:
        values["stock"] = validate_stock(change.stock)
    if change.status is not None:
        values["status"] = change.status.value
    changed = uow.conn.execute(
        update(offers)
        .where(
            offers.c.id == offer_id,
            offers.c.seller_id == seller["id"],
            offers.c.version == version,
        )
        .values(**values)
    ).rowcount
    if changed != 1:
        owner = uow.conn.scalar(select(offers.c.seller_id).where(offers.c.id == offer_id))
        if owner != seller["id"]:
            raise NotFound("offer not found")
        raise Conflict(
            "the offer changed since you read it (stock moves with every sale); "
            "reload it and retry with the new version",
            code=ProblemCode.VERSION_MISMATCH,
        )
    return get_offer(uow, offer_id)


def get_offer(uow: UnitOfWork, offer_id: str) -> dict[str, Any]:
    row = uow.conn.execute(
        select(*OFFER_COLUMNS)
        .join(sellers, sellers.c.id == offers.c.seller_id)
        .where(offers.c.id == offer_id)
    ).first()
    if row is None:
        raise NotFound("offer not found")
    return _row(row)


def shop_offers(
    uow: UnitOfWork, seller_id: str, *, limit: int, after: str | None = None
) -> list[dict[str, Any]]:
    """An active shop's active offers in offer-id order (a cursor page), with what each sells:
    the shop's public page."""
    query = (
        select(
            *OFFER_COLUMNS,
            products.c.title,
            products.c.language,
            products.c.brand,
            products.c.category,
            products.c.image_url,
        )
        .join(sellers, sellers.c.id == offers.c.seller_id)
        .join(products, products.c.id == offers.c.product_id)
        .where(
            offers.c.seller_id == seller_id,
            offers.c.status == OfferStatus.ACTIVE.value,
            sellers.c.status == SellerStatus.ACTIVE.value,
        )
        .order_by(offers.c.id)
        .limit(limit)
    )
    if after:
        query = query.where(offers.c.id > after)
    return [_row(r) for r in uow.conn.execute(query)]


def list_offers(
    uow: UnitOfWork,
    *,
    product_id: str | None = None,
    seller_id: str | None = None,
    active_only: bool = True,
    limit: int = 100,
    after: str | None = None,
) -> list[dict[str, Any]]:
    query = (
        select(*OFFER_COLUMNS)
        .join(sellers, sellers.c.id == offers.c.seller_id)
        .order_by(offers.c.id)
        .limit(limit)
    )
    if product_id:
        query = query.where(offers.c.product_id == product_id)
    if seller_id:
        query = query.where(offers.c.seller_id == seller_id)
    if active_only:
        query = query.where(
            offers.c.status == OfferStatus.ACTIVE.value,
            sellers.c.status == SellerStatus.ACTIVE.value,
        )
    if after:
        query = query.where(offers.c.id > after)
    return [_row(r) for r in uow.conn.execute(query)]
