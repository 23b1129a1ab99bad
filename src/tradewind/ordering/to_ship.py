"""What fulfilment reads of an order to ship it: the order under its row lock (the first lock a
shipment takes, so two ships of one order cannot deadlock), where it goes, and its lines for the
CN22/CN23 declaration. Typed values, so fulfilment never reads ordering's tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from tradewind.db.tables.ordering import checkouts, order_lines, orders
from tradewind.db.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class DeclaredLine:
    """One line as the customs declaration states it (value in the buyer's currency)."""

    title: str
    quantity: int
    line_total_minor: int
    hs_code: str
    origin_country: str


@dataclass(frozen=True, slots=True)
class OrderToShip:
    id: str
    checkout_id: str
    buyer_id: str
    seller_id: str
    seller_account_id: str
    status: str
    currency: str
    items_minor: int
    shipping_service: str
    ship_by_at: datetime | None


@dataclass(frozen=True, slots=True)
class OrderParties:
    buyer_id: str
    seller_account_id: str


def lock_order_to_ship(uow: UnitOfWork, order_id: str) -> OrderToShip | None:
    """The order, its row locked until the caller's transaction ends (None if there is none)."""
    row = uow.conn.execute(
        select(
            orders.c.id,
            orders.c.checkout_id,
            orders.c.buyer_id,
            orders.c.seller_id,
            orders.c.seller_account_id,
            orders.c.status,
            orders.c.currency,
            orders.c.items_minor,
            orders.c.shipping_service,
            orders.c.ship_by_at,
        )
        .where(orders.c.id == order_id)
        .with_for_update()
    ).first()
    if row is None:
        return None
    return OrderToShip(
        id=row.id,
        checkout_id=row.checkout_id,
        buyer_id=row.buyer_id,
        seller_id=row.seller_id,
        seller_account_id=row.seller_account_id,
        status=row.status,
        currency=row.currency,
        items_minor=row.items_minor,
        shipping_service=row.shipping_service,
        ship_by_at=row.ship_by_at,
    )


def ship_to(uow: UnitOfWork, order: OrderToShip) -> Mapping[str, str]:
    """The address the buyer gave at checkout."""
    found: Mapping[str, str] = uow.conn.execute(
        select(checkouts.c.ship_to).where(checkouts.c.id == order.checkout_id)
    ).scalar_one()
    return found


def declared_lines(uow: UnitOfWork, order_id: str) -> list[DeclaredLine]:
    """The order's lines in the order they were placed."""
    rows = uow.conn.execute(
        select(
            order_lines.c.title,
            order_lines.c.quantity,
            order_lines.c.line_total_minor,
            order_lines.c.hs_code,
            order_lines.c.origin_country,
        )
        .where(order_lines.c.order_id == order_id)
        .order_by(order_lines.c.id)
    )
    return [DeclaredLine(*r) for r in rows]


def order_parties(uow: UnitOfWork, order_id: str) -> OrderParties | None:
    row = uow.conn.execute(
        select(orders.c.buyer_id, orders.c.seller_account_id).where(orders.c.id == order_id)
    ).first()
    return None if row is None else OrderParties(*row)
