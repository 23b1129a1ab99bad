"""The buyer's cart: lines from many sellers, shown in the buyer's currency."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from tradewind.catalog.domain import OfferStatus, SellerStatus
from tradewind.db.tables.catalog import offers, products, sellers
from tradewind.db.tables.ordering import cart_lines
from tradewind.db.uow import UnitOfWork
from tradewind.identity.domain import Principal, Role, require_role
from tradewind.kernel.errors import LimitExceeded, NotFound, OutOfStock
from tradewind.kernel.problems import ProblemCode
from tradewind.money.fx import FxQuote
from tradewind.money.service import quotes_for
from tradewind.ordering.discounts import SellerLine, price_lines, shown
from tradewind.ordering.domain import MAX_CART_LINES, MAX_LINE_QUANTITY
from tradewind.ordering.pricing import unit_price_for_buyer
from tradewind.promotions.service import discount_rows

CART_COLUMNS = (
    cart_lines.c.offer_id,
    cart_lines.c.quantity,
    offers.c.price_minor,
    offers.c.currency,
    offers.c.stock,
    offers.c.status.label("offer_status"),
    offers.c.product_id,
    products.c.title,
    products.c.image_url,
    sellers.c.id.label("seller_id"),
    sellers.c.name.label("seller_name"),
    sellers.c.country.label("ship_from_country"),
    sellers.c.status.label("seller_status"),
)


def view_cart(
    uow: UnitOfWork, principal: Principal, coupon_codes: Sequence[str] = ()
) -> dict[str, Any]:
    """The cart in the buyer's currency with its promotions (and the entered coupons) applied
    as checkout will apply them; a code that applies to nothing raises as checkout does."""
    require_role(principal, Role.BUYER)
    rows = uow.conn.execute(
        select(*CART_COLUMNS)
        .join(offers, offers.c.id == cart_lines.c.offer_id)
        .join(products, products.c.id == offers.c.product_id)
        .join(sellers, sellers.c.id == offers.c.seller_id)
        .where(cart_lines.c.buyer_id == principal.account_id)
        .order_by(cart_lines.c.added_at, cart_lines.c.offer_id)
    ).all()
    now = uow.clock.now()
    quotes = quotes_for(uow, {(r.currency, principal.currency) for r in rows}, now)
    lines = []
    for r in rows:
        unit = unit_price_for_buyer(
            r.price_minor, r.currency, quotes[(r.currency, principal.currency)]
        )
        purchasable = (
            r.offer_status == OfferStatus.ACTIVE.value
            and r.seller_status == SellerStatus.ACTIVE.value
        )
        lines.append(
            {
                "offer_id": r.offer_id,
                "product_id": r.product_id,
                "title": r.title,
                "image_url": r.image_url,
                "seller_id": r.seller_id,
                "seller_name": r.seller_name,
                "ship_from_country": r.ship_from_country,
                "quantity": r.quantity,
                "seller_unit_price_minor": r.price_minor,
                "seller_currency": r.currency,
                "unit_price_minor": unit,
                "line_total_minor": unit * r.quantity,
                "available": purchasable and r.stock >= r.quantity,
            }
        )
    total = sum(line["line_total_minor"] for line in lines)
    discounts = _discounts(uow, principal, rows, quotes, coupon_codes, now)
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
    rows: Sequence[Any],
    quotes: Mapping[tuple[str, str], FxQuote],
    codes: Sequence[str],
    now: datetime,
) -> list[dict[str, Any]]:
    """The discount lines checkout would give this cart (postage and taxes come at checkout)."""
    if not rows:
        return []
    priced = price_lines(
        uow,
        principal,
        [SellerLine(r.offer_id, r.seller_id, r.price_minor, r.currency, r.quantity) for r in rows],
        {r.seller_id: quotes[(r.currency, principal.currency)] for r in rows},
        codes,
        now,
    )
    rows_out = [
        {**row, "order_id": seller_id}
        for seller_id, order in priced.orders.items()
        for row in discount_rows(seller_id, principal.currency, order, now)
    ]
    return [
        {**line, "seller_id": seller_id}
        for seller_id, lines in shown(rows_out).items()
        for line in lines
    ]


def cart_sellers(uow: UnitOfWork, principal: Principal) -> list[str]:
    """The shops of the buyer's cart lines."""
    require_role(principal, Role.BUYER)
    return sorted(
        set(
            uow.conn.scalars(
                select(offers.c.seller_id)
                .join(cart_lines, cart_lines.c.offer_id == offers.c.id)
                .where(cart_lines.c.buyer_id == principal.account_id)
            )
        )
    )


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
    offer = uow.conn.execute(
        select(offers.c.stock, offers.c.status, sellers.c.status.label("seller_status"))
        .join(sellers, sellers.c.id == offers.c.seller_id)
        .where(offers.c.id == offer_id)
    ).first()
    if offer is None or offer.status != "active" or offer.seller_status != "active":
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


def cart_requests(uow: UnitOfWork, principal: Principal) -> list[tuple[str, int]]:
    return [
        (r.offer_id, r.quantity)
        for r in uow.conn.execute(
            select(cart_lines.c.offer_id, cart_lines.c.quantity)
            .where(cart_lines.c.buyer_id == principal.account_id)
            .order_by(cart_lines.c.added_at, cart_lines.c.offer_id)
        )
    ]


def remove_lines(uow: UnitOfWork, buyer_id: str, offer_ids: list[str]) -> None:
    uow.conn.execute(
        delete(cart_lines).where(
            cart_lines.c.buyer_id == buyer_id, cart_lines.c.offer_id.in_(offer_ids)
        )
    )
