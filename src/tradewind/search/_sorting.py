"""Orders other than relevance: price delivered to the buyer, and seller rating.

Both are computed over the ranked candidates (at most ``MAX_CANDIDATES``) from their live
offers that pass the offer filters, and sort stably, so products that tie (or cannot be priced
or rated, which go last) keep their relevance order.

*Price delivered* is an offer's price in the buyer's currency plus its cheapest postage to the
buyer's country (none when the seller ships free), with the checkout's own conversion; the
lowest over the product's offers. Duty and VAT are left out of the order: they depend on the
whole parcel and its thresholds, and the product page and checkout show them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from tradewind.kernel.errors import DomainError
from tradewind.logistics.shipping import DEMO_RATE_CARDS, SERVICES, quote_parcel
from tradewind.money.fx import FxQuote
from tradewind.search._pricing import in_buyer_currency
from tradewind.search.analysis.ranking import Score


class Sort(StrEnum):
    RELEVANCE = "relevance"
    PRICE = "price"  # lowest price delivered first
    RATING = "rating"  # best-rated seller first


@dataclass(frozen=True, slots=True)
class LiveOffer:
    product_id: str
    price_minor: int
    currency: str
    free_shipping: bool
    services: tuple[str, ...]
    ship_from: str
    weight_g: int
    rating_sum: int
    rating_count: int


def _postage(offer: LiveOffer, destination: str, quotes: Mapping[str, FxQuote]) -> int | None:
    if offer.free_shipping:
        return 0
    prices = []
    for code in offer.services:
        service, card = SERVICES.get(code), DEMO_RATE_CARDS.get(code)
        if service is None or card is None or card.currency not in quotes:
            continue
        try:
            postage = quote_parcel(service, card, offer.weight_g, offer.ship_from, destination)
        except DomainError:
            continue
        prices.append(in_buyer_currency(postage, quotes[card.currency]))
    return min(prices, default=None)


def delivered_price(
    offer_list: Sequence[LiveOffer], destination: str | None, quotes: Mapping[str, FxQuote]
) -> int | None:
    """The lowest item price plus cheapest postage in the buyer's currency (None: unpriced)."""
    totals = []
    for offer in offer_list:
        quote = quotes.get(offer.currency)
        if quote is None:
            continue
        postage = 0 if destination is None else _postage(offer, destination, quotes)
        if postage is not None:
            totals.append(in_buyer_currency(offer.price_minor, quote) + postage)
    return min(totals, default=None)


def best_rating_tenths(offer_list: Sequence[LiveOffer]) -> int | None:
    rated = [o.rating_sum * 10 // o.rating_count for o in offer_list if o.rating_count]
    return max(rated, default=None)


def sort_ranked(
    ranked: list[tuple[str, Score]],
    sort: Sort,
    by_product: Mapping[str, Sequence[LiveOffer]],
    destination: str | None,
    quotes: Mapping[str, FxQuote],
) -> list[tuple[str, Score]]:
    if sort is Sort.RELEVANCE:
        return ranked
    if sort is Sort.PRICE:
        prices = {
            pid: delivered_price(by_product.get(pid, ()), destination, quotes) for pid, _ in ranked
        }
        return sorted(ranked, key=lambda item: (prices[item[0]] is None, prices[item[0]] or 0))
    ratings = {pid: best_rating_tenths(by_product.get(pid, ())) for pid, _ in ranked}
    return sorted(ranked, key=lambda item: (ratings[item[0]] is None, -(ratings[item[0]] or 0)))
