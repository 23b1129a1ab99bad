"""``tradewind ledger check``: the ledger's invariants against the figures of its neighbours.

The ledger sits below ordering and payments and cannot read them; escrow, above both, knows what
each order's escrow account must hold. This gathers those figures from their owners' service
functions (one batch read each) and hands them to ``tradewind.ledger.checks.check_books``.
"""

from __future__ import annotations

from tradewind.db.uow import UnitOfWork
from tradewind.ledger.checks import Expected, OrderEscrow, check_books
from tradewind.ordering.orders import order_totals
from tradewind.payments.mismatches import held_captures_minor
from tradewind.payments.service import refunded_before_release_minor

HOLDING = ("AWAITING_SHIPMENT", "AWAITING_RECEIPT", "IN_DISPUTE")
EMPTY = (
    "COMPLETED",
    "FINALIZED",
    "REFUNDED",
    "CANCELLED_REFUNDED",
    "CANCELLED",
    "AWAITING_PAYMENT",
)


def check_ledger(uow: UnitOfWork) -> list[str]:
    """Every breach found, as one line each; empty when the books are sound."""
    expected = Expected(
        order_escrow=order_escrow(uow), held_captures_minor=held_captures_minor(uow)
    )
    return check_books(uow, expected)


def order_escrow(uow: UnitOfWork) -> list[OrderEscrow]:
    """Escrow per order: its total less refunds while the order is in escrow (paid, shipped or
    disputed); zero before payment and once released, refunded or cancelled."""
    refunded = refunded_before_release_minor(uow)
    expected = []
    for order in order_totals(uow):
        if order.status in HOLDING:
            amount = order.total_minor - refunded.get(order.order_id, 0)
        elif order.status in EMPTY:
            amount = 0
        else:
            continue
        expected.append(OrderEscrow(order.order_id, order.status, amount))
    return expected
