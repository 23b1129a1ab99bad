"""What a result shows: the product, its live offers' summary, the lowest price in the buyer's
currency; and the FX quotes that pricing uses, looked up once per search.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, select

from tradewind.db.tables.catalog import offers, products, sellers
from tradewind.db.uow import UnitOfWork
from tradewind.kernel.errors import Conflict
from tradewind.money.fx import FxQuote
from tradewind.money.service import quotes_for
from tradewind.search._filters import SearchFilters, live_offer
from tradewind.search._pricing import PriceBounds, in_buyer_currency, seller_bounds
from tradewind.search.analysis.ranking import Score


@dataclass(frozen=True, slots=True)
class SearchHit:
    product_id: str
    title: str
    brand: str
    model: str
    category: str
    image_url: str | None
    score: float
    matched_clauses: int
    offer_count: int
    in_stock: bool
    lowest_price_minor: int | None  # in the buyer's currency; None when no offer can be priced
    currency: str


class Quotes:
    """FX quotes from seller currencies into the buyer's, looked up once each and only if used."""

    def __init__(self, uow: UnitOfWork, currency: str) -> None:
        self._uow = uow
        self.currency = currency
        self._at = uow.clock.now()
        self._cache: dict[str, FxQuote | None] = {}

    def get(self, base: str) -> FxQuote | None:
        """The quote in force, or None when no rate is set (such offers cannot be priced)."""
        if base not in self._cache:
            try:
                pair = (base, self.currency)
                self._cache[base] = quotes_for(self._uow, [pair], self._at)[pair]
            except Conflict:
                self._cache[base] = None
        return self._cache[base]

    def every_seller_currency(self) -> dict[str, FxQuote]:
        bases = set(self._uow.conn.scalars(select(sellers.c.currency).distinct()))
        found = {base: self.get(base) for base in sorted(bases | {self.currency})}
        return {base: quote for base, quote in found.items() if quote is not None}


def seller_bounds_for(quotes: Mapping[str, FxQuote], filters: SearchFilters) -> list[PriceBounds]:
    bounds = (
        seller_bounds(quote, filters.min_price_minor, filters.max_price_minor)
        for _, quote in sorted(quotes.items())
    )
    return [b for b in bounds if b is not None]


def hits_for(
    conn: Connection, page: Sequence[tuple[str, Score]], quotes: Quotes
) -> list[SearchHit]:
    ids = [pid for pid, _ in page]
    if not ids:
        return []
    rows = {
        r.id: r
        for r in conn.execute(
            select(
                products.c.id,
                products.c.title,
                products.c.brand,
                products.c.model,
                products.c.category,
                products.c.image_url,
            ).where(products.c.id.in_(ids))
        )
    }
    live: dict[str, list[tuple[int, str, int]]] = {pid: [] for pid in ids}
    for pid, price, cur, stock in conn.execute(
        select(offers.c.product_id, offers.c.price_minor, offers.c.currency, offers.c.stock)
        .join(sellers, sellers.c.id == offers.c.seller_id)
        .where(offers.c.product_id.in_(ids), *live_offer())
    ):
        live[pid].append((int(price), str(cur), int(stock)))
    hits = []
    for pid, score in page:
        row = rows[pid]
        priced = [(p, quotes.get(c)) for p, c, _ in live[pid]]
        prices = [in_buyer_currency(p, q) for p, q in priced if q is not None]
        hits.append(
            SearchHit(
                product_id=pid,
                title=row.title,
                brand=row.brand,
                model=row.model,
                category=row.category,
                image_url=row.image_url,
                score=round(score.value, 4),
                matched_clauses=score.coverage,
                offer_count=len(live[pid]),
                in_stock=any(stock > 0 for _, _, stock in live[pid]),
                lowest_price_minor=min(prices, default=None),
                currency=quotes.currency,
            )
        )
    return hits
