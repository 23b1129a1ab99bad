"""The buyer's cart: lines from many sellers, shown in the buyer's currency."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from tradewind.catalog.reads import CartOffer, cart_offers
from tradewind.db.tables.ordering import cart_lines
from tradewind.db.uow import UnitOfWork, use_case
from tradewind.identity.domain import Principal, Role, require_role
from tradewind.kernel.errors import LimitExceeded, NotFound, OutOfStock
from tradewind.kernel.problems import ProblemCode
from tradewind.money.fx import FxQuote
from tradewind.money.service import quotes_for
from tradewind.ordering.discounts import SellerLine, price_lines, shown
from tradewind.ordering.domain import MAX_CART_LINES, MAX_LINE_QUANTITY
from tradewind.ordering.pricing import unit_price_for_buyer
from tradewind.promotions.service import discount_rows


@dataclass(frozen=True, slots=True)
class _CartRow:
    """One cart line with its offer's view (what the page and the discounts read)."""

    quantity: int
    offer: CartOffer


def _cart_rows(uow: UnitOfWork, buyer_id: str) -> list[_CartRow]:
    """The buyer's lines, oldest first, each with its offer (a line whose offer is gone is not
    shown)."""
    requests = _requests(uow, buyer_id)
    found = cart_offers(uow, {offer_id for offer_id, _ in requests})
    return [_CartRow(qty, found[oid]) for oid, qty in requests if oid in found]


def view_cart(
    uow: UnitOfWork, principal: Principal, coupon_codes: Sequence[str] = ()
) -> dict[str, Any]:
    """The cart in the buyer's currency with its promotions (and the entered coupons) applied
    as checkout will apply them; a code that applies to nothing raises as checkout does."""
    require_role(principal, Role.BUYER)
    rows = _cart_rows(uow, principal.account_id)
    now = uow.clock.now()
    quotes = quotes_for(uow, {(r.offer.currency, principal.currency) for r in rows}, now)
    lines: list[dict[str, Any]] = []
    for r in rows:
        o = r.offer
        unit = unit_price_for_buyer(
            o.price_minor, o.currency, quotes[(o.currency, principal.currency)]
        )
        lines.append(
            {
                "offer_id": o.offer_id,
                "product_id": o.product_id,
                "title": o.title,
                "image_url": o.image_url,
                "seller_id": o.seller_id,
                "seller_name": o.seller_name,
                "ship_from_country": o.ship_from_country,
                "quantity": r.quantity,
                "seller_unit_price_minor": o.price_minor,
                "seller_currency": o.currency,
                "unit_price_minor": unit,
                "line_total_minor": unit * r.quantity,
                "available": o.on_sale and o.stock >= r.quantity,
            }
        )
    total = sum(line["line_total_minor"] for line in lines)
    discounts, item_off = _discounts(uow, principal, rows, quotes, coupon_codes, now)
    for line in lines:
        line["item_discount_minor"] = item_off.get(line["offer_id"], 0)
    off = sum(d["amount_minor"] for d in discounts)
    return {
        "currency": principal.currency,
        "lines": lines,
        "total_minor": total,
        "discounts": discounts,
        "discount_minor": off,
        "to_pay_minor": total - off,
        "sellers": len({line["seller_id"] for line in lines}),
    }


def _discounts(
    uow: UnitOfWork,
    principal: Principal,
    rows: Sequence[_CartRow],
    quotes: Mapping[tuple[str, str], FxQuote],
    codes: Sequence[str],
    now: datetime,
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The discount lines checkout would give this cart (postage and taxes come at checkout),
    and what item discounts take off each line (offer id -> minor units)."""
    if not rows:
        return [], {}
    priced = price_lines(
        uow,
        principal,
        [
            SellerLine(o.offer_id, o.seller_id, o.price_minor, o.currency, r.quantity)
            for r in rows
            for o in (r.offer,)
        ],
        {r.offer.seller_id: quotes[(r.offer.currency, principal.currency)] for r in rows},
        codes,
        now,
    )
    rows_out = [
        {**row, "order_id": seller_id}
        for seller_id, order in priced.orders.items()
        for row in discount_rows(seller_id, principal.currency, order, now)
    ]
    item_off = {
        d.offer_id: d.amount_minor
        for order in priced.orders.values()
        for d in order.lines
        if d.offer_id is not None
    }
    listed = [
        {**line, "seller_id": seller_id}
        for seller_id, lines in shown(rows_out).items()
        for line in lines
    ]
    return listed, item_off


def cart_sellers(uow: UnitOfWork, principal: Principal) -> list[str]:
    """The shops of the buyer's cart lines."""
    require_role(principal, Role.BUYER)
    return sorted({r.offer.seller_id for r in _cart_rows(uow, principal.account_id)})


@use_case
def set_line(uow: UnitOfWork, principal: Principal, offer_id: str, quantity: int) -> None:
    """Put ``quantity`` units of an offer in the cart (0 removes the line)."""
    require_role(principal, Role.BUYER)
    if quantity == 0:
        uow.conn.execute(
            delete(cart_lines).where(
                cart_lines.c.buyer_id == principal.account_id, cart_lines.c.offer_id == offer_id
            )
        )
        return
    if not 1 <= quantity <= MAX_LINE_QUANTITY:
        raise LimitExceeded(
            f"quantity must be 0 to {MAX_LINE_QUANTITY}", code=ProblemCode.QUANTITY_LIMIT
        )
    offer = cart_offers(uow, [offer_id]).get(offer_id)
    if offer is None or not offer.on_sale:
        raise NotFound("offer not found or not on sale")
    if offer.stock < quantity:
        raise OutOfStock(f"only {offer.stock} units available", code=ProblemCode.INSUFFICIENT_STOCK)
    changed = uow.conn.execute(
        update(cart_lines)
        .where(cart_lines.c.buyer_id == principal.account_id, cart_lines.c.offer_id == offer_id)
        .values(quantity=quantity)
    ).rowcount
    if changed:
        return
    count = (
        uow.conn.scalar(
            select(func.count())
            .select_from(cart_lines)
            .where(cart_lines.c.buyer_id == principal.account_id)
        )
        or 0
    )
    if count >= MAX_CART_LINES:
        raise LimitExceeded(
            f"at most {MAX_CART_LINES} lines per cart", code=ProblemCode.TOO_MANY_LINES
        )
    try:
        with uow.conn.begin_nested():
            uow.conn.execute(
                insert(cart_lines).values(
                    buyer_id=principal.account_id,
                    offer_id=offer_id,
                    quantity=quantity,
                    added_at=uow.clock.now(),
                )
            )
    except IntegrityError:  # a concurrent request added the line first: set its quantity
        uow.conn.execute(
            update(cart_lines)
            .where(cart_lines.c.buyer_id == principal.account_id, cart_lines.c.offer_id == offer_id)
            .values(quantity=quantity)
        )


@use_case
def add_units(uow: UnitOfWork, principal: Principal, offer_id: str, quantity: int) -> None:
    """Put ``quantity`` more units of an offer in the cart, on top of what its line holds
    (capped at a line's maximum): the product page's "Add to cart"."""
    have = dict(cart_requests(uow, principal)).get(offer_id, 0)
    set_line.within(uow, principal, offer_id, min(MAX_LINE_QUANTITY, have + quantity))


def cart_requests(uow: UnitOfWork, principal: Principal) -> list[tuple[str, int]]:
    return _requests(uow, principal.account_id)


def _requests(uow: UnitOfWork, buyer_id: str) -> list[tuple[str, int]]:
    """(offer id, quantity) of the buyer's lines, oldest first."""
    return [
        (r.offer_id, r.quantity)
        for r in uow.conn.execute(
            select(cart_lines.c.offer_id, cart_lines.c.quantity)
            .where(cart_lines.c.buyer_id == buyer_id)
            .order_by(cart_lines.c.added_at, cart_lines.c.offer_id)
        )
    ]


def remove_lines(uow: UnitOfWork, buyer_id: str, offer_ids: list[str]) -> None:
    uow.conn.execute(
        delete(cart_lines).where(
            cart_lines.c.buyer_id == buyer_id, cart_lines.c.offer_id.in_(offer_ids)
        )
    )
