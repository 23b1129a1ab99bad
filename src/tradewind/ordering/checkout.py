"""Checkouts: one payment for a cart that splits into one order per seller.

A checkout is planned (priced, reads only: :mod:`tradewind.ordering.checkout_plan`) and then
written (:mod:`tradewind.ordering.checkout_write`): stock reserved by conditional decrements in
offer-id order at the quoted prices, the checkout, its orders, lines and payment timeout
inserted. The API writes checkouts many to a transaction through the per-process writer
(:mod:`tradewind.ordering.checkout_writer`); :func:`place_checkout` does both steps in the
caller's transaction. Any refusal changes nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from tradewind.catalog.service import seller_terms
from tradewind.db.tables.ordering import checkouts, order_lines, orders
from tradewind.db.uow import UnitOfWork, use_case
from tradewind.identity.domain import Principal, Role, ensure_visible, require_role
from tradewind.kernel.errors import Conflict, DomainError
from tradewind.kernel.problems import ProblemCode
from tradewind.ordering import cart
from tradewind.ordering.checkout_plan import (
    PAYMENT_TIMEOUT_KIND,
    CheckoutRequest,
    order_summary,
    payment_timeout_key,
    plan_checkout,
)
from tradewind.ordering.checkout_write import CheckoutJob, Replayed, apply_checkouts
from tradewind.ordering.domain import MAX_LINE_QUANTITY, OrderEvent, OrderStatus
from tradewind.ordering.import_taxes import due_on_delivery_minor
from tradewind.ordering.orders import apply_event, transition
from tradewind.promotions import service as promotions
from tradewind.timers.service import cancel as cancel_timer
from tradewind.timers.service import schedule

__all__ = [
    "PAYMENT_TIMEOUT_KIND",
    "SHIP_BY_KIND",
    "CheckoutRequest",
    "cancel_checkout",
    "expire_unpaid",
    "get_checkout",
    "mark_paid",
    "place_checkout",
]

SHIP_BY_KIND = "order.ship_by"
SHIP_BY_GRACE_DAYS = 3  # beyond the shop's stated handling time


def place_checkout(
    uow: UnitOfWork, principal: Principal, request: CheckoutRequest, *, payment_timeout_s: int
) -> dict[str, Any]:
    """Plan and write one checkout in the caller's transaction; raises what refuses it."""
    plan = plan_checkout(uow, principal, request, payment_timeout_s=payment_timeout_s)
    (settled,) = apply_checkouts(uow, [CheckoutJob(plan)])
    if isinstance(settled, DomainError):
        raise settled
    assert not isinstance(settled, Replayed)  # no key, nothing to replay
    return settled.plan.result


def get_checkout(uow: UnitOfWork, principal: Principal, checkout_id: str) -> dict[str, Any]:
    row = uow.conn.execute(select(checkouts).where(checkouts.c.id == checkout_id)).first()
    ensure_visible(principal, [row.buyer_id] if row else [], "checkout")
    assert row is not None
    result = dict(row._mapping)
    rows = [
        dict(o._mapping)
        for o in uow.conn.execute(
            select(orders).where(orders.c.checkout_id == checkout_id).order_by(orders.c.id)
        )
    ]
    shown = promotions.discount_lines(uow, [o["id"] for o in rows])
    result["orders"] = [order_summary(o, shown[o["id"]]) for o in rows]
    result["due_on_delivery_minor"] = due_on_delivery_minor(rows)
    return result


def expire_unpaid(uow: UnitOfWork, checkout_id: str) -> int:
    """Timer handler body: cancel the checkout's unpaid orders; their stock returns once.

    The checkout row is claimed first, as paying and cancelling claim it, so the three take
    their locks in one order (checkout, then its orders) and exactly one of them wins."""
    if not _claim_unpaid(uow, checkout_id, "expired"):
        return 0  # paid or cancelled meanwhile
    cancelled = _cancel_unpaid_orders(
        uow, checkout_id, OrderEvent.PAYMENT_TIMEOUT, None, "payment did not arrive in time"
    )
    return_coupons(uow, checkout_id)
    return len(cancelled)


@use_case
def cancel_checkout(uow: UnitOfWork, principal: Principal, checkout_id: str) -> dict[str, Any]:
    """The buyer gives up a checkout awaiting payment: its orders are cancelled, their stock
    goes back at once, and their lines go back into the cart (flash-sale claims go back to
    their sale instead, and a line whose offer left the market is dropped).

    Idempotent: cancelling a cancelled checkout answers it again and changes nothing. One
    conditional UPDATE of the checkout decides between this, the payment and the timeout;
    a payment captured after it is refunded by the payments context, as a late one is."""
    require_role(principal, Role.BUYER)
    status = uow.conn.scalar(
        select(checkouts.c.status).where(
            checkouts.c.id == checkout_id, checkouts.c.buyer_id == principal.account_id
        )
    )
    ensure_visible(principal, [principal.account_id] if status else [], "checkout")
    if not _claim_unpaid(uow, checkout_id, "cancelled"):
        status = uow.conn.scalar(select(checkouts.c.status).where(checkouts.c.id == checkout_id))
        if status != "cancelled":
            raise Conflict(
                f"this checkout is {status} and can no longer be cancelled",
                code=ProblemCode.CHECKOUT_NOT_CANCELLABLE,
            )
        return get_checkout(uow, principal, checkout_id)
    back = _cancel_unpaid_orders(
        uow, checkout_id, OrderEvent.BUYER_CANCEL, principal.account_id, "cancelled by the buyer"
    )
    return_coupons(uow, checkout_id)
    _back_to_cart(uow, principal, back)
    return get_checkout(uow, principal, checkout_id)


VOID_STATUSES = (OrderStatus.CANCELLED.value, OrderStatus.CANCELLED_REFUNDED.value)


def return_coupons(
    uow: UnitOfWork, checkout_id: str, *, refunded_in_full: Collection[str] = ()
) -> list[str]:
    """Give the buyer back the coupons (and limited discounts) this checkout used on orders
    that are all void now: cancelled, or ``refunded_in_full``; only while they are still live
    (:func:`tradewind.promotions.service.give_back_void`)."""
    rows = uow.conn.execute(
        select(orders.c.id, orders.c.status).where(orders.c.checkout_id == checkout_id)
    ).all()
    void = {r.id for r in rows if r.status in VOID_STATUSES} | set(refunded_in_full)
    return promotions.give_back_void(uow, checkout_id, [r.id for r in rows], void, uow.clock.now())


def _claim_unpaid(uow: UnitOfWork, checkout_id: str, status: str) -> bool:
    """Move a checkout awaiting payment to ``status``; False if it was no longer awaiting."""
    claimed = uow.conn.execute(
        checkouts.update()
        .where(checkouts.c.id == checkout_id, checkouts.c.status == "awaiting_payment")
        .values(status=status)
    ).rowcount
    return bool(claimed == 1)


def _cancel_unpaid_orders(
    uow: UnitOfWork, checkout_id: str, event: OrderEvent, actor_id: str | None, note: str
) -> list[str]:
    """Cancel the checkout's orders still awaiting payment (timer cancelled too); returns the
    ids of those whose units went back to their offers."""
    to_offers = []
    for order_id in (
        uow.conn.execute(
            select(orders.c.id)
            .where(
                orders.c.checkout_id == checkout_id,
                orders.c.status == OrderStatus.AWAITING_PAYMENT.value,
            )
            .order_by(orders.c.id)
        )
        .scalars()
        .all()
    ):
        moved = transition(
            uow,
            order_id,
            event,
            actor_id=actor_id,
            note=note,
            expected=OrderStatus.AWAITING_PAYMENT,
        )
        if moved.units_to_offers:
            to_offers.append(order_id)
    cancel_timer(uow, payment_timeout_key(checkout_id))
    return to_offers


def _back_to_cart(uow: UnitOfWork, principal: Principal, order_ids: list[str]) -> None:
    """Add the orders' lines to the buyer's cart (on top of what is there, within limits)."""
    if not order_ids:
        return
    wanted: dict[str, int] = {}
    for offer_id, quantity in uow.conn.execute(
        select(order_lines.c.offer_id, order_lines.c.quantity)
        .where(order_lines.c.order_id.in_(order_ids))
        .order_by(order_lines.c.id)
    ):
        wanted[offer_id] = wanted.get(offer_id, 0) + quantity
    have = dict(cart.cart_requests(uow, principal))
    for offer_id, quantity in wanted.items():
        try:
            cart.set_line.within(
                uow, principal, offer_id, min(MAX_LINE_QUANTITY, have.get(offer_id, 0) + quantity)
            )
        except DomainError:  # refused before writing: off sale, or the cart is full
            continue


def mark_paid(uow: UnitOfWork, checkout_id: str, payment_ref: str) -> bool:
    """Payment confirmed (by the payment provider's webhook): every order moves to shipment.

    Idempotent: a second confirmation for the same checkout changes nothing and returns False.
    A payment that arrives after the timeout cancelled the checkout is a conflict the payments
    context must refund.
    """
    now = uow.clock.now()
    claimed = uow.conn.execute(
        checkouts.update()
        .where(checkouts.c.id == checkout_id, checkouts.c.status == "awaiting_payment")
        .values(status="paid", payment_ref=payment_ref, paid_at=now)
    ).rowcount
    if claimed != 1:
        status = uow.conn.scalar(select(checkouts.c.status).where(checkouts.c.id == checkout_id))
        if status == "paid":
            return False
        raise Conflict(
            f"checkout is {status}; the payment must be refunded",
            code=ProblemCode.CHECKOUT_NOT_PAYABLE,
        )
    unpaid = uow.conn.execute(
        select(orders.c.id, orders.c.seller_id).where(
            orders.c.checkout_id == checkout_id,
            orders.c.status == OrderStatus.AWAITING_PAYMENT.value,  # cancelled ones stay so
        )
    ).all()
    terms = seller_terms(uow, {o.seller_id for o in unpaid})  # one read for every shop
    for order_id, seller_id in unpaid:
        handling_days = terms[seller_id].handling_days
        apply_event(uow, order_id, OrderEvent.PAY, actor_id=None, note=f"payment {payment_ref}")
        ship_by = now + timedelta(days=handling_days + SHIP_BY_GRACE_DAYS)
        uow.conn.execute(orders.update().where(orders.c.id == order_id).values(ship_by_at=ship_by))
        schedule(
            uow,
            kind=SHIP_BY_KIND,
            dedupe_key=f"{SHIP_BY_KIND}:{order_id}",
            due_at=ship_by,
            payload={"order_id": order_id},
        )
    cancel_timer(uow, payment_timeout_key(checkout_id))
    return True
