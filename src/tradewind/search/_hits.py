"""What a result shows: the product, its live offers' summary, the lowest price in the buyer's
currency; and the FX quotes that pricing uses, looked up once per search.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from tradewind.db.tables.catalog import offers, product_texts, products, sellers
from tradewind.db.uow import UnitOfWork
from tradewind.kernel.languages import choose_text, fallback_chain
from tradewind.money.fx import FxQuote
from tradewind.money.service import quotes_into
from tradewind.search._filters import Conditions, SearchFilters, live_offer, offer_conditions
from tradewind.search._pricing import PriceBounds, in_buyer_currency, seller_bounds
from tradewind.search._sorting import LiveOffer
from tradewind.search.analysis.ranking import Score


@dataclass(frozen=True, slots=True)
class SearchHit:
    product_id: str
    title: str  # in the buyer's language when the product has it (see kernel.languages)
    title_language: str
    original_title: str  # as the seller wrote it, in the product's own language
    original_language: str
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
    # Item plus cheapest postage to the buyer's country, lowest over the offers passing the
    # filters; None when no destination was given or nothing can be priced.
    delivered_price_minor: int | None = None


class Quotes:
    """FX quotes from seller currencies into the buyer's: every seller currency's in one
    statement, on first use, and once per search."""

    def __init__(self, uow: UnitOfWork, currency: str) -> None:
        self._uow = uow
        self.currency = currency
        self._at = uow.clock.now()
        self._cache: dict[str, FxQuote | None] | None = None

    def _loaded(self) -> dict[str, FxQuote | None]:
        if self._cache is None:
            bases = set(self._uow.conn.scalars(select(sellers.c.currency).distinct()))
            self._cache = quotes_into(self._uow, bases | {self.currency}, self.currency, self._at)
        return self._cache

    def get(self, base: str) -> FxQuote | None:
        """The quote in force, or None when no rate is set (such offers cannot be priced)."""
        cache = self._loaded()
        if base not in cache:
            cache.update(quotes_into(self._uow, [base], self.currency, self._at))
        return cache[base]

    def every_seller_currency(self) -> dict[str, FxQuote]:
        return {base: q for base, q in sorted(self._loaded().items()) if q is not None}


def seller_bounds_for(quotes: Mapping[str, FxQuote], filters: SearchFilters) -> list[PriceBounds]:
    bounds = (
        seller_bounds(quote, filters.min_price_minor, filters.max_price_minor)
        for _, quote in sorted(quotes.items())
    )
    return [b for b in bounds if b is not None]


def _translations(
    conn: Connection, ids: list[str], languages: set[str]
) -> dict[str, dict[str, tuple[str, str]]]:
    found: dict[str, dict[str, tuple[str, str]]] = {}
    for pid, language, title, description in conn.execute(
        select(
            product_texts.c.product_id,
            product_texts.c.language,
            product_texts.c.title,
            product_texts.c.description,
        ).where(product_texts.c.product_id.in_(ids), product_texts.c.language.in_(languages))
    ):
        found.setdefault(pid, {})[language] = (title, description)
    return found


def _product_rows(conn: Connection, ids: list[str]) -> dict[str, Any]:
    return {
        r.id: r
        for r in conn.execute(
            select(
                products.c.id,
                products.c.title,
                products.c.language,
                products.c.brand,
                products.c.model,
                products.c.category,
                products.c.image_url,
            ).where(products.c.id.in_(ids))
        )
    }


def hits_for(
    conn: Connection,
    page: Sequence[tuple[str, Score]],
    quotes: Quotes,
    language: str = "en",
    delivered: Mapping[str, int | None] | None = None,
) -> list[SearchHit]:
    ids = [pid for pid, _ in page]
    if not ids:
        return []
    rows = _product_rows(conn, ids)
    wanted = {lang for r in rows.values() for lang in fallback_chain(language, r.language)}
    texts = _translations(conn, ids, wanted)
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
        shown = choose_text(language, row.language, (row.title, ""), texts.get(pid, {}))
        hits.append(
            SearchHit(
                product_id=pid,
                title=shown.title,
                title_language=shown.title_language,
                original_title=shown.original_title,
                original_language=shown.original_language,
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
                delivered_price_minor=(delivered or {}).get(pid),
            )
        )
    return hits


def live_offers(
    conn: Connection, ids: Sequence[str], conditions: Conditions
) -> dict[str, list[LiveOffer]]:
    found: dict[str, list[LiveOffer]] = {pid: [] for pid in ids}
    if not ids:
        return found
    rows = conn.execute(
        select(
            offers.c.product_id,
            offers.c.price_minor,
            offers.c.currency,
            offers.c.free_shipping,
            offers.c.shipping_services,
            sellers.c.country,
            products.c.weight_g,
            sellers.c.rating_sum,
            sellers.c.rating_count,
        )
        .join(sellers, sellers.c.id == offers.c.seller_id)
        .join(products, products.c.id == offers.c.product_id)
        .where(offers.c.product_id.in_(list(ids)), *offer_conditions(conditions))
    )
    for pid, price, cur, free, services, country, weight, rsum, rcount in rows:
        found[pid].append(
            LiveOffer(
                pid,
                int(price),
                cur,
                bool(free),
                tuple(services or ()),
                country,
                int(weight),
                int(rsum),
                int(rcount),
            )
        )
    return found
