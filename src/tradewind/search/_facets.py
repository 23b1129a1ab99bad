"""Facet counts over the filtered match set (up to FACET_CAP products), not just the page shown.

One query returns a row per (matching product, live offer), products without a live offer
once with empty offer columns; counting happens here. That is one scan of the match set
instead of one per facet, which on SQLite is most of a search's cost for broad queries.

Counts are of distinct products. Brand and category come from the product; ship-from
country, in-stock and seller-rating counts from live offers (any one offer qualifies); the
price range is the cheapest and dearest live offer, in the buyer's currency.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, Subquery, and_, select

from tradewind.db.tables.catalog import offers, products, sellers
from tradewind.money.fx import FxQuote
from tradewind.search._filters import Conditions, where
from tradewind.search._pricing import in_buyer_currency

MAX_FACET_VALUES = 20
# Facets count at most this many matching products (the engine's first, in index order):
# exact whenever the match set is this small or smaller, which is most queries; beyond it
# ``approximate`` is set and the counts are those of the first FACET_CAP products. The total
# is always counted exactly, by the engine alone.
FACET_CAP = 1000
RATING_BUCKETS = (4, 3, 2)


@dataclass(frozen=True, slots=True)
class FacetValue:
    value: str
    count: int


@dataclass(frozen=True, slots=True)
class Facets:
    total: int
    brand: list[FacetValue]
    category: list[FacetValue]
    ship_from: list[FacetValue]
    seller_rating: list[FacetValue]  # "4": products with an offer from a seller rated 4 or more
    in_stock: int
    min_price_minor: int | None
    max_price_minor: int | None
    approximate: bool = False  # the match set passed FACET_CAP: counts are of a part of it


def _top(counter: Mapping[str, int]) -> list[FacetValue]:
    ordered = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_FACET_VALUES]
    return [FacetValue(value, count) for value, count in ordered]


@dataclass
class _Tally:
    brand: dict[str, str]
    category: dict[str, str]
    countries: defaultdict[str, set[str]]
    rated: defaultdict[int, set[str]]
    stocked: set[str]
    prices: defaultdict[str, list[int]]


def _scan(conn: Connection, m: Subquery, conditions: Conditions) -> _Tally:
    # Two left joins, not a left join of (offers JOIN sellers): SQLite would materialize that
    # inner join over every offer. A seller that fails its filters leaves a NULL country.
    offer_join = and_(
        offers.c.product_id == products.c.id, offers.c.status == "active", *conditions.offer
    )
    seller_join = and_(
        sellers.c.id == offers.c.seller_id, sellers.c.status == "active", *conditions.seller
    )
    capped = (
        select(m.c.product_id)
        .select_from(m)
        .join(products, products.c.id == m.c.product_id)
        .where(*where(conditions))
        .limit(FACET_CAP + 1)
        .subquery("capped")
    )
    rows = conn.execute(
        select(
            products.c.id,
            products.c.brand,
            products.c.category,
            sellers.c.country,
            sellers.c.rating_sum,
            sellers.c.rating_count,
            offers.c.stock,
            offers.c.currency,
            offers.c.price_minor,
        )
        .select_from(capped)
        .join(products, products.c.id == capped.c.product_id)
        .outerjoin(offers, offer_join)
        .outerjoin(sellers, seller_join)
    )
    tally = _Tally({}, {}, defaultdict(set), defaultdict(set), set(), defaultdict(list))
    for pid, brand, category, country, rating_sum, rating_count, stock, cur, price in rows:
        tally.brand[pid] = brand
        tally.category[pid] = category
        if country is None:
            continue
        tally.countries[country].add(pid)
        if stock > 0:
            tally.stocked.add(pid)
        for bucket in RATING_BUCKETS:
            if rating_count and rating_sum >= bucket * rating_count:
                tally.rated[bucket].add(pid)
        tally.prices[cur].append(int(price))
    return tally


def facets(
    conn: Connection, m: Subquery, conditions: Conditions, quotes: Mapping[str, FxQuote]
) -> Facets:
    tally = _scan(conn, m, conditions)
    converted = [
        in_buyer_currency(price, quotes[cur])
        for cur, prices in tally.prices.items()
        if cur in quotes
        for price in (min(prices), max(prices))
    ]
    return Facets(
        total=len(tally.brand),
        brand=_top(Counter(tally.brand.values())),
        category=_top(Counter(tally.category.values())),
        ship_from=_top({c: len(ids) for c, ids in tally.countries.items()}),
        seller_rating=[FacetValue(str(b), len(tally.rated[b])) for b in RATING_BUCKETS],
        in_stock=len(tally.stocked),
        min_price_minor=min(converted, default=None),
        max_price_minor=max(converted, default=None),
        approximate=len(tally.brand) > FACET_CAP,
    )
