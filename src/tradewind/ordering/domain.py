"""Pure ordering rules: the order state machine, cart limits, and splitting a cart by seller.

Order states (brief section 2)::

    AWAITING_PAYMENT -pay-> AWAITING_SHIPMENT -ship-> AWAITING_RECEIPT -confirm-> COMPLETED
      | payment_timeout,      | miss_ship_by,            | open_dispute              | finalize
      | buyer_cancel          | accept_cancellation      v                           v
      v                       v                        IN_DISPUTE -resolve_release-> COMPLETED
    CANCELLED               CANCELLED_REFUNDED           | resolve_refund          FINALIZED
                                                         v
                                                       REFUNDED
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from tradewind.kernel.errors import FieldError, IllegalTransition, InvalidInput, LimitExceeded
from tradewind.kernel.problems import ProblemCode

MAX_CART_LINES = 50
MAX_LINE_QUANTITY = 99
MAX_SELLERS_PER_CHECKOUT = 20


class OrderStatus(StrEnum):
    AWAITING_PAYMENT = "AWAITING_PAYMENT"
    AWAITING_SHIPMENT = "AWAITING_SHIPMENT"
    AWAITING_RECEIPT = "AWAITING_RECEIPT"
    IN_DISPUTE = "IN_DISPUTE"
    COMPLETED = "COMPLETED"
    FINALIZED = "FINALIZED"
    CANCELLED = "CANCELLED"
    CANCELLED_REFUNDED = "CANCELLED_REFUNDED"
    REFUNDED = "REFUNDED"


class OrderEvent(StrEnum):
    PAY = "pay"
    PAYMENT_TIMEOUT = "payment_timeout"
    BUYER_CANCEL = "buyer_cancel"
    SHIP = "ship"
    MISS_SHIP_BY = "miss_ship_by"
    ACCEPT_CANCELLATION = "accept_cancellation"
    CONFIRM_RECEIPT = "confirm_receipt"
    AUTO_CONFIRM = "auto_confirm"
    OPEN_DISPUTE = "open_dispute"
    RESOLVE_REFUND = "resolve_refund"
    RESOLVE_RELEASE = "resolve_release"
    FINALIZE = "finalize"


S = OrderStatus
E = OrderEvent
TRANSITIONS: dict[tuple[OrderStatus, OrderEvent], OrderStatus] = {
    (S.AWAITING_PAYMENT, E.PAY): S.AWAITING_SHIPMENT,
    (S.AWAITING_PAYMENT, E.PAYMENT_TIMEOUT): S.CANCELLED,
    (S.AWAITING_PAYMENT, E.BUYER_CANCEL): S.CANCELLED,
    (S.AWAITING_SHIPMENT, E.SHIP): S.AWAITING_RECEIPT,
    (S.AWAITING_SHIPMENT, E.MISS_SHIP_BY): S.CANCELLED_REFUNDED,
    (S.AWAITING_SHIPMENT, E.ACCEPT_CANCELLATION): S.CANCELLED_REFUNDED,
    (S.AWAITING_RECEIPT, E.CONFIRM_RECEIPT): S.COMPLETED,
    (S.AWAITING_RECEIPT, E.AUTO_CONFIRM): S.COMPLETED,
    (S.AWAITING_RECEIPT, E.OPEN_DISPUTE): S.IN_DISPUTE,
    (S.IN_DISPUTE, E.RESOLVE_REFUND): S.REFUNDED,
    (S.IN_DISPUTE, E.RESOLVE_RELEASE): S.COMPLETED,
    (S.COMPLETED, E.FINALIZE): S.FINALIZED,
}
del S, E

# States in which the order's units are still held back from the offer's stock.
STOCK_HELD = frozenset({OrderStatus.AWAITING_PAYMENT})
# States in which the units went back to stock (exactly once, by the transition into them).
STOCK_RETURNING = frozenset({OrderStatus.CANCELLED, OrderStatus.CANCELLED_REFUNDED})


def next_status(current: OrderStatus, event: OrderEvent) -> OrderStatus:
    """The state after ``event``, or IllegalTransition (answered 409) when it does not apply."""
    target = TRANSITIONS.get((current, event))
    if target is None:
        raise IllegalTransition(
            f"cannot {event.value.replace('_', ' ')} an order that is {current.value}"
        )
    return target


def sources_of(event: OrderEvent) -> frozenset[OrderStatus]:
    """Every state from which ``event`` is legal (used for conditional UPDATE ... WHERE)."""
    return frozenset(src for (src, ev) in TRANSITIONS if ev is event)


@dataclass(frozen=True, slots=True)
class LineRequest:
    offer_id: str
    quantity: int


def validate_lines(lines: Iterable[LineRequest]) -> list[LineRequest]:
    """Merge duplicate offers, enforce quantity and line limits; order is preserved."""
    merged: dict[str, int] = {}
    for line in lines:
        if line.quantity < 1:
            raise InvalidInput(
                "quantity must be at least 1",
                errors=[FieldError("quantity", "must be at least 1", "invalid_quantity")],
            )
        merged[line.offer_id] = merged.get(line.offer_id, 0) + line.quantity
    if not merged:
        raise InvalidInput("the cart is empty", code=ProblemCode.EMPTY_CART)
    if len(merged) > MAX_CART_LINES:
        raise LimitExceeded(
            f"at most {MAX_CART_LINES} lines per cart", code=ProblemCode.TOO_MANY_LINES
        )
    for offer_id, quantity in merged.items():
        if quantity > MAX_LINE_QUANTITY:
            raise LimitExceeded(
                f"at most {MAX_LINE_QUANTITY} units per line (offer {offer_id})",
                code=ProblemCode.QUANTITY_LIMIT,
            )
    return [LineRequest(o, q) for o, q in merged.items()]
