"""What payments reads of a checkout and its orders: the checkout's state (locked when a payment
starts, so two tabs cannot both open one), the orders still awaiting payment and what they sum
to, and which checkout an order was paid by. Typed values, so payments never reads ordering's
tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from tradewind.db.tables.ordering import checkouts, orders
from tradewind.db.uow import UnitOfWork
from tradewind.money.amount import Money
from tradewind.ordering.domain import OrderStatus


@dataclass(frozen=True, slots=True)
class CheckoutState:
    checkout_id: str
    buyer_id: str
    status: str
    currency: str
    total_minor: int
    payment_due_at: datetime
    paid_at: datetime | None

    @property
    def awaiting_payment(self) -> bool:
        return self.status == "awaiting_payment"


@dataclass(frozen=True, slots=True)
class UnpaidOrder:
    order_id: str
    total: Money


@dataclass(frozen=True, slots=True)
class OrderPayment:
    """The checkout that paid (or will pay) an order, and the currency the buyer paid in."""

    checkout_id: str
    currency: str


_STATE = select(
    checkouts.c.id,
    checkouts.c.buyer_id,
    checkouts.c.status,
    checkouts.c.currency,
    checkouts.c.total_minor,
    checkouts.c.payment_due_at,
    checkouts.c.paid_at,
)


def checkout_state(
    uow: UnitOfWork, checkout_id: str, *, lock: bool = False
) -> CheckoutState | None:
    """The checkout, or None. ``lock`` takes its row lock (``FOR UPDATE`` on PostgreSQL; SQLite
    serializes writers anyway) until the caller's transaction ends."""
    query = _STATE.where(checkouts.c.id == checkout_id)
    row = uow.conn.execute(query.with_for_update() if lock else query).first()
    return None if row is None else CheckoutState(*row)


def unpaid_orders(uow: UnitOfWork, checkout_id: str) -> list[UnpaidOrder]:
    """The checkout's orders still awaiting payment (a buyer may cancel some before paying)."""
    rows = uow.conn.execute(
        select(orders.c.id, orders.c.total_minor, orders.c.currency).where(
            orders.c.checkout_id == checkout_id,
            orders.c.status == OrderStatus.AWAITING_PAYMENT.value,
        )
    )
    return [UnpaidOrder(r.id, Money(r.total_minor, r.currency)) for r in rows]


def payable_minor(uow: UnitOfWork, checkout_id: str) -> int:
    """What the buyer still owes: the sum of the orders awaiting payment."""
    owed = uow.conn.scalar(
        select(func.coalesce(func.sum(orders.c.total_minor), 0)).where(
            orders.c.checkout_id == checkout_id,
            orders.c.status == OrderStatus.AWAITING_PAYMENT.value,
        )
    )
    return int(owed or 0)


def order_payment(uow: UnitOfWork, order_id: str) -> OrderPayment | None:
    row = uow.conn.execute(
        select(orders.c.checkout_id, orders.c.currency).where(orders.c.id == order_id)
    ).first()
    return None if row is None else OrderPayment(row.checkout_id, row.currency)
