"""The cart's promotions, priced the same way for the cart page and for the checkout.

Both call :func:`price_lines` with the lines at the seller's price and each seller's FX quote;
the promotions apply, in their one order, on the prices the buyer pays
(:mod:`tradewind.promotions.domain`), a seller's amounts converted with the order's own quote.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tradewind.db.uow import UnitOfWork
from tradewind.identity.domain import Principal
from tradewind.money.fx import FxQuote
from tradewind.ordering.pricing import unit_price_for_buyer
from tradewind.promotions import domain as promos
from tradewind.promotions import service as promotions


@dataclass(frozen=True, slots=True)
class SellerLine:
    offer_id: str
    seller_id: str
    price_minor: int  # the seller's price, in its currency
    currency: str
    quantity: int


def price_lines(
    uow: UnitOfWork,
    principal: Principal,
    lines: Sequence[SellerLine],
    quotes: Mapping[str, FxQuote],  # seller id -> quote into the buyer's currency
    codes: Collection[str],
    now: datetime,
) -> promos.Priced:
    entered = frozenset(promos.normalise_code(c) for c in codes if c.strip())
    found = promotions.for_cart(uow, {x.seller_id for x in lines}, entered, now)
    currency_of = {x.seller_id: x.currency for x in lines}

    def to_buyer(seller_id: str, amount_minor: int) -> int:
        return unit_price_for_buyer(amount_minor, currency_of[seller_id], quotes[seller_id])

    ctx = promos.Context(
        buyer_currency=principal.currency,
        now=now,
        promotions=found,
        codes=entered,
        used_by_buyer=promotions.used_by_buyer(uow, principal.account_id, (p.id for p in found)),
        to_buyer=to_buyer,
    )
    return promos.price(
        [
            promos.Line(x.offer_id, x.seller_id, to_buyer(x.seller_id, x.price_minor), x.quantity)
            for x in lines
        ],
        ctx,
    )


@dataclass(frozen=True, slots=True)
class ShownUnit:
    """One offer as a page lists it: the unit price in the buyer's currency (``unit_minor``,
    from :func:`~tradewind.ordering.pricing.unit_price_for_buyer`) and its seller's quote."""

    offer_id: str
    seller_id: str
    currency: str  # the seller's
    unit_minor: int
    quote: FxQuote


@dataclass(frozen=True, slots=True)
class UnitDiscount:
    off_minor: int  # off one unit, in the buyer's currency
    name: str


def unit_discounts(
    uow: UnitOfWork,
    principal: Principal | None,
    currency: str,
    units: Sequence[ShownUnit],
    now: datetime,
) -> dict[str, UnitDiscount]:
    """Offer id -> what the live item discount takes off one unit for this viewer (a buyer's
    own limit counted), as checkout will: the same promotions, the same rule
    (:func:`~tradewind.promotions.domain.best_item_discount`)."""
    if not units:
        return {}
    found = [
        p
        for p in promotions.for_cart(uow, {u.seller_id for u in units}, (), now)
        if p.kind is promos.Kind.ITEM_DISCOUNT
    ]
    if not found:
        return {}
    of = {u.seller_id: u for u in units}

    def to_buyer(seller_id: str, amount_minor: int) -> int:
        seller = of[seller_id]
        return unit_price_for_buyer(amount_minor, seller.currency, seller.quote)

    used = (
        promotions.used_by_buyer(uow, principal.account_id, (p.id for p in found))
        if principal is not None
        else {}
    )
    ctx = promos.Context(currency, now, found, used_by_buyer=used, to_buyer=to_buyer)
    shown: dict[str, UnitDiscount] = {}
    for u in units:
        best = promos.best_item_discount(promos.Line(u.offer_id, u.seller_id, u.unit_minor, 1), ctx)
        if best is not None:
            shown[u.offer_id] = UnitDiscount(best[0], best[2].name)
    return shown


def shown(rows: Sequence[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """``order_discounts``-shaped rows as the API shows them, per order (or seller) id."""
    by_key: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_key[r["order_id"]].append(
            {
                "promotion_id": r["promotion_id"],
                "kind": r["kind"],
                "name": r["name"],
                "amount_minor": r["amount_minor"],
                "funder": "platform" if r["platform_minor"] == r["amount_minor"] else "seller",
                "platform_minor": r["platform_minor"],
                "seller_minor": r["amount_minor"] - r["platform_minor"],
            }
        )
    return by_key
