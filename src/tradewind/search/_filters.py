"""Search filters as SQL conditions, the same on both databases.

Product filters (brand, category) apply to ``products``. Offer filters (ship-from country,
seller rating, in stock, free shipping, price) must all hold for *one* active offer of an active
seller, so they go into a single ``EXISTS``: "ships from DE and costs under 50" means one offer
doing both, not one offer from DE and another cheap one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select

from tradewind.db.tables.catalog import offers, products, sellers
from tradewind.search._pricing import PriceBounds

MAX_FILTER_VALUES = 20
RATING_SCALE = 10  # ratings compare in tenths, in integers


@dataclass(frozen=True, slots=True)
class SearchFilters:
    brands: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    ship_from: tuple[str, ...] = ()
    min_price_minor: int | None = None
    max_price_minor: int | None = None
    min_rating: float | None = None
    in_stock: bool = False
    free_shipping: bool = False  # an offer whose seller pays the postage

    @property
    def has_price(self) -> bool:
        return self.min_price_minor is not None or self.max_price_minor is not None

    @property
    def has_offer_filters(self) -> bool:
        return bool(
            self.ship_from
            or self.has_price
            or self.min_rating is not None
            or self.in_stock
            or self.free_shipping
        )


@dataclass(frozen=True, slots=True)
class Conditions:
    """Compiled filters on products, on offers, and on the offers' sellers."""

    product: list[ColumnElement[bool]] = field(default_factory=list)
    offer: list[ColumnElement[bool]] = field(default_factory=list)
    seller: list[ColumnElement[bool]] = field(default_factory=list)


def live_offer() -> list[ColumnElement[bool]]:
    return [offers.c.status == "active", sellers.c.status == "active"]


def offer_conditions(conditions: Conditions) -> list[ColumnElement[bool]]:
    """A live offer of a live seller passing every offer and seller filter."""
    return [*live_offer(), *conditions.offer, *conditions.seller]


def _price_condition(bounds: Sequence[PriceBounds]) -> ColumnElement[bool]:
    options = []
    for b in bounds:
        parts = [offers.c.currency == b.currency]
        if b.low_minor is not None:
            parts.append(offers.c.price_minor >= b.low_minor)
        if b.high_minor is not None:
            parts.append(offers.c.price_minor <= b.high_minor)
        options.append(and_(*parts))
    return or_(*options) if options else false()


def compile_filters(filters: SearchFilters, bounds: Sequence[PriceBounds]) -> Conditions:
    conditions = Conditions()
    if filters.brands:
        conditions.product.append(
            func.lower(products.c.brand).in_([b.lower() for b in filters.brands])
        )
    if filters.categories:
        conditions.product.append(products.c.category.in_(list(filters.categories)))
    if filters.ship_from:
        conditions.seller.append(sellers.c.country.in_([c.upper() for c in filters.ship_from]))
    if filters.in_stock:
        conditions.offer.append(offers.c.stock > 0)
    if filters.free_shipping:
        conditions.offer.append(offers.c.free_shipping.is_(True))
    if filters.min_rating is not None:
        tenths = round(filters.min_rating * RATING_SCALE)
        conditions.seller.append(
            and_(
                sellers.c.rating_count > 0,
                sellers.c.rating_sum * RATING_SCALE >= tenths * sellers.c.rating_count,
            )
        )
    if filters.has_price:
        conditions.offer.append(_price_condition(bounds))
    return conditions


def where(conditions: Conditions) -> list[ColumnElement[bool]]:
    """Everything a matching product must satisfy (offer filters as one EXISTS)."""
    clauses = list(conditions.product)
    if conditions.offer or conditions.seller:
        clauses.append(
            exists(
                select(offers.c.id)
                .join(sellers, sellers.c.id == offers.c.seller_id)
                .where(offers.c.product_id == products.c.id, *offer_conditions(conditions))
            )
        )
    return clauses
