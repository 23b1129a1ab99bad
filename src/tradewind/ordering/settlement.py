"""What escrow reads of an order it holds money for: who the parties are, the order's state, and
the figures its release and refunds divide, in the buyer's currency and the seller's. Typed
values, so escrow never reads ordering's tables (and never does arithmetic on a row dict).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from tradewind.db.tables.ordering import order_lines, orders
from tradewind.db.uow import UnitOfWork
from tradewind.kernel.errors import NotFound
from tradewind.ordering.domain import OrderStatus

_UNPAID = (OrderStatus.AWAITING_PAYMENT.value, OrderStatus.CANCELLED.value)


@dataclass(frozen=True, slots=True)
class SettledOrder:
    id: str
    checkout_id: str
    buyer_id: str
    seller_id: str
    seller_account_id: str
    status: str
    currency: str  # the buyer's: what was paid into escrow
    total_minor: int  # goods, postage, duty and VAT, less discounts
    duty_minor: int
    vat_minor: int
    seller_currency: str
    seller_items_minor: int  # the seller's own prices, in its currency
    seller_shipping_minor: int

    @property
    def goods_minor(self) -> int:
        """What the buyer paid for goods and postage: the total without duty and VAT."""
        return self.total_minor - self.duty_minor - self.vat_minor

    @property
    def seller_total_minor(self) -> int:
        return self.seller_items_minor + self.seller_shipping_minor

    @property
    def same_currency(self) -> bool:
        return self.currency == self.seller_currency


_COLUMNS = (
    orders.c.id,
    orders.c.checkout_id,
    orders.c.buyer_id,
    orders.c.seller_id,
    orders.c.seller_account_id,
    orders.c.status,
    orders.c.currency,
    orders.c.total_minor,
    orders.c.duty_minor,
    orders.c.vat_minor,
    orders.c.seller_currency,
    orders.c.seller_items_minor,
    orders.c.seller_shipping_minor,
)


def _settled(row: Any) -> SettledOrder:
    return SettledOrder(**row._mapping)


def settled_order(uow: UnitOfWork, order_id: str) -> SettledOrder:
    """The order (NotFound if there is none)."""
    row = uow.conn.execute(select(*_COLUMNS).where(orders.c.id == order_id)).first()
    if row is None:
        raise NotFound("order not found")
    return _settled(row)


def paid_orders_of_checkout(uow: UnitOfWork, checkout_id: str) -> list[SettledOrder]:
    """Every order of a checkout that still stands after payment (neither awaiting payment nor
    cancelled), oldest id first."""
    rows = uow.conn.execute(
        select(*_COLUMNS)
        .where(orders.c.checkout_id == checkout_id, orders.c.status.not_in(_UNPAID))
        .order_by(orders.c.id)
    )
    return [_settled(row) for row in rows]


def first_product_id(uow: UnitOfWork, order_id: str) -> str | None:
    """The product of the order's first line: its category sets the commission."""
    found: str | None = uow.conn.scalar(
        select(order_lines.c.product_id)
        .where(order_lines.c.order_id == order_id)
        .order_by(order_lines.c.id)
        .limit(1)
    )
    return found
