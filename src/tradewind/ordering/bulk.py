"""Placing many one-line orders at once, each in a checkout of its own awaiting payment: what a
flash sale's claim batch writes for its buyers (:mod:`tradewind.flash._orders`).

Each checkout's payment timeout is scheduled under the timer key ``checkout.mark_paid``
cancels, so paying, expiring and cancelling these orders is ordinary checkout code. Rows are
written with one executemany per table: a batch of 200 orders costs five statements, not 1,000.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert

from tradewind.db.tables.ordering import checkouts, order_events, order_lines, orders
from tradewind.db.uow import UnitOfWork
from tradewind.ordering.checkout import PAYMENT_TIMEOUT_KIND
from tradewind.ordering.domain import OrderStatus
from tradewind.timers.service import TimerSpec, schedule_many


@dataclass(frozen=True, slots=True)
class OneLineOrder:
    """One checkout holding one order of one line, postage included in the price."""

    checkout_id: str
    order_id: str
    buyer_id: str
    ship_to: Mapping[str, Any]
    currency: str  # the buyer's
    unit_minor: int  # in the buyer's currency
    quantity: int
    duty_minor: int
    vat_minor: int
    landed_cost: Mapping[str, Any] | None  # None: a domestic parcel, no border
    fx: Mapping[str, Any]  # the snapshot the buyer's prices were converted at
    seller_id: str
    seller_account_id: str
    seller_currency: str
    seller_unit_minor: int
    offer_id: str
    product_id: str
    title: str
    hs_code: str
    origin_country: str
    shipping_service: str
    payment_due_at: datetime
    note: str  # the placed event's, e.g. "flash-sale claim"

    @property
    def items_minor(self) -> int:
        return self.unit_minor * self.quantity

    @property
    def total_minor(self) -> int:
        return self.items_minor + self.duty_minor + self.vat_minor


def place_one_line_orders(uow: UnitOfWork, placed: Sequence[OneLineOrder], now: datetime) -> None:
    """Write each order with its checkout, line, placed event and payment timeout."""
    if not placed:
        return
    conn = uow.conn
    # Foreign keys are checked per statement: parents first.
    conn.execute(insert(checkouts), [_checkout(p, now) for p in placed])
    conn.execute(insert(orders), [_order(p, now) for p in placed])
    conn.execute(insert(order_lines), [_line(p) for p in placed])
    conn.execute(insert(order_events), [_placed(p, now) for p in placed])
    schedule_many(uow, [_payment_timeout(p) for p in placed])


def _checkout(p: OneLineOrder, now: datetime) -> dict[str, Any]:
    return {
        "id": p.checkout_id,
        "buyer_id": p.buyer_id,
        "status": "awaiting_payment",
        "currency": p.currency,
        "total_minor": p.total_minor,
        "ship_to": dict(p.ship_to),
        "payment_due_at": p.payment_due_at,
        "payment_ref": None,
        "created_at": now,
        "paid_at": None,
    }


def _order(p: OneLineOrder, now: datetime) -> dict[str, Any]:
    return {
        "id": p.order_id,
        "checkout_id": p.checkout_id,
        "buyer_id": p.buyer_id,
        "seller_id": p.seller_id,
        "seller_account_id": p.seller_account_id,
        "status": OrderStatus.AWAITING_PAYMENT.value,
        "version": 1,
        "currency": p.currency,
        "items_minor": p.items_minor,
        "shipping_minor": 0,
        "duty_minor": p.duty_minor,
        "vat_minor": p.vat_minor,
        "total_minor": p.total_minor,
        "landed_cost": None if p.landed_cost is None else dict(p.landed_cost),
        "seller_currency": p.seller_currency,
        "seller_items_minor": p.seller_unit_minor * p.quantity,
        "seller_shipping_minor": 0,
        "fx": dict(p.fx),
        "shipping_service": p.shipping_service,
        "ship_by_at": None,
        "created_at": now,
        "updated_at": now,
    }


def _line(p: OneLineOrder) -> dict[str, Any]:
    return {
        "order_id": p.order_id,
        "offer_id": p.offer_id,
        "product_id": p.product_id,
        "title": p.title,
        "quantity": p.quantity,
        "unit_price_minor": p.unit_minor,
        "line_total_minor": p.items_minor,
        "seller_unit_price_minor": p.seller_unit_minor,
        "hs_code": p.hs_code,
        "origin_country": p.origin_country,
    }


def _placed(p: OneLineOrder, now: datetime) -> dict[str, Any]:
    return {
        "order_id": p.order_id,
        "event": "placed",
        "from_status": None,
        "to_status": OrderStatus.AWAITING_PAYMENT.value,
        "actor_id": p.buyer_id,
        "note": p.note,
        "at": now,
    }


def _payment_timeout(p: OneLineOrder) -> TimerSpec:
    # The timer checkout writes for its payment timeout; the key is the one mark_paid cancels.
    return TimerSpec(
        kind=PAYMENT_TIMEOUT_KIND,
        dedupe_key=f"{PAYMENT_TIMEOUT_KIND}:{p.checkout_id}",
        due_at=p.payment_due_at,
        payload={"checkout_id": p.checkout_id},
    )
