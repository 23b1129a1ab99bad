"""Checkout: one payment for a cart that splits into one order per seller.

In one transaction: load the offers, price every line in the buyer's currency, reserve stock
(conditional decrements in offer-id order), write the checkout, its orders and lines, and
schedule the payment timeout. Any failure rolls all of it back.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select

from tradewind.customs.landed_cost import CustomsLine
from tradewind.db.tables.catalog import offers, products, sellers
from tradewind.db.tables.ordering import checkouts, order_events, order_lines, orders
from tradewind.db.uow import UnitOfWork
from tradewind.identity.domain import Principal, Role, ensure_visible, require_role
from tradewind.inventory.service import reserve
from tradewind.kernel.errors import Conflict, FieldError, InvalidInput, LimitExceeded, NotFound
from tradewind.kernel.ids import new_id
from tradewind.money.service import quotes_for
from tradewind.ordering import cart
from tradewind.ordering.domain import (
    MAX_SELLERS_PER_CHECKOUT,
    LineRequest,
    OrderEvent,
    OrderStatus,
    validate_lines,
)
from tradewind.ordering.orders import apply_event
from tradewind.ordering.parcels import price_parcel
from tradewind.ordering.pricing import fx_snapshot, unit_price_for_buyer
from tradewind.timers.service import cancel as cancel_timer
from tradewind.timers.service import schedule

PAYMENT_TIMEOUT_KIND = "checkout.payment_timeout"
SHIP_BY_KIND = "order.ship_by"
SHIP_BY_GRACE_DAYS = 3  # beyond the shop's stated handling time

OFFER_FOR_CHECKOUT = (
    offers.c.id,
    offers.c.seller_id,
    offers.c.product_id,
    offers.c.price_minor,
    offers.c.currency,
    offers.c.status,
    offers.c.shipping_services,
    sellers.c.account_id.label("seller_account_id"),
    sellers.c.status.label("seller_status"),
    sellers.c.handling_days,
    offers.c.free_shipping,
    sellers.c.country.label("seller_country"),
    products.c.title,
    products.c.hs_code,
    products.c.origin_country,
    products.c.weight_g,
)


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    ship_to: dict[str, str]
    lines: list[LineRequest] | None = None  # None: buy what is in the cart
    shipping: dict[str, str] = field(default_factory=dict)  # seller id -> service code


def _timer_key(checkout_id: str) -> str:
    return f"{PAYMENT_TIMEOUT_KIND}:{checkout_id}"


def place_checkout(
    uow: UnitOfWork, principal: Principal, request: CheckoutRequest, *, payment_timeout_s: int
) -> dict[str, Any]:
    require_role(principal, Role.BUYER)
    from_cart = request.lines is None
    raw = (
        [LineRequest(o, q) for o, q in cart.cart_requests(uow, principal)]
        if request.lines is None
        else request.lines
    )
    lines = validate_lines(raw)
    offer_rows = _load_offers(uow, [line.offer_id for line in lines])
    by_seller: dict[str, list[tuple[Any, int]]] = defaultdict(list)
    for line in lines:
        by_seller[offer_rows[line.offer_id].seller_id].append(
            (offer_rows[line.offer_id], line.quantity)
        )
    if len(by_seller) > MAX_SELLERS_PER_CHECKOUT:
        raise LimitExceeded(f"at most {MAX_SELLERS_PER_CHECKOUT} sellers per checkout")
    unknown = set(request.shipping) - set(by_seller)
    if unknown:
        raise InvalidInput(
            "shipping choices name sellers that are not in this checkout",
            errors=[FieldError(f"shipping.{s}", "not in checkout") for s in unknown],
        )

    reserve(uow, {line.offer_id: line.quantity for line in lines})

    now = uow.clock.now()
    currency = principal.currency
    quotes = quotes_for(uow, {(r.currency, currency) for r in offer_rows.values()}, now)
    checkout_id = new_id("chk")
    order_values, line_values = [], []
    for seller_id, items in by_seller.items():
        first = items[0][0]
        quote = quotes[(first.currency, currency)]
        order_id = new_id("ord")
        items_minor = 0
        seller_items_minor = 0
        for row, quantity in items:
            unit = unit_price_for_buyer(row.price_minor, row.currency, quote)
            items_minor += unit * quantity
            seller_items_minor += row.price_minor * quantity
            line_values.append(
                {
                    "order_id": order_id,
                    "offer_id": row.id,
                    "product_id": row.product_id,
                    "title": row.title,
                    "quantity": quantity,
                    "unit_price_minor": unit,
                    "line_total_minor": unit * quantity,
                    "seller_unit_price_minor": row.price_minor,
                    "hs_code": row.hs_code,
                    "origin_country": row.origin_country,
                }
            )
        service = _shipping_service(request.shipping.get(seller_id), first.shipping_services)
        parcel = price_parcel(
            uow,
            service_code=service,
            free_shipping=all(r.free_shipping for r, _ in items),
            weight_g=sum(r.weight_g * q for r, q in items),
            origin=first.seller_country,
            destination=request.ship_to["country"],
            buyer_currency=currency,
            seller_currency=first.currency,
            at=now,
            customs_lines=[
                CustomsLine(
                    r.hs_code,
                    r.origin_country,
                    unit_price_for_buyer(r.price_minor, r.currency, quote) * q,
                )
                for r, q in items
            ],
        )
        order_values.append(
            {
                "id": order_id,
                "checkout_id": checkout_id,
                "buyer_id": principal.account_id,
                "seller_id": seller_id,
                "seller_account_id": first.seller_account_id,
                "status": OrderStatus.AWAITING_PAYMENT.value,
                "version": 1,
                "currency": currency,
                "items_minor": items_minor,
                "shipping_minor": parcel.shipping_minor,
                "duty_minor": parcel.duty_minor,
                "vat_minor": parcel.vat_minor,
                "total_minor": items_minor
                + parcel.shipping_minor
                + parcel.duty_minor
                + parcel.vat_minor,
                "seller_currency": first.currency,
                "seller_items_minor": seller_items_minor,
                "seller_shipping_minor": parcel.seller_shipping_minor,
                "landed_cost": parcel.landed_cost,
                "fx": fx_snapshot(quote),
                "shipping_service": service,
                "ship_by_at": None,
                "created_at": now,
                "updated_at": now,
            }
        )
    total_minor = sum(o["total_minor"] for o in order_values)
    due = now + timedelta(seconds=payment_timeout_s)
    uow.conn.execute(
        insert(checkouts).values(
            id=checkout_id,
            buyer_id=principal.account_id,
            status="awaiting_payment",
            currency=currency,
            total_minor=total_minor,
            ship_to=request.ship_to,
            payment_due_at=due,
            payment_ref=None,
            created_at=now,
            paid_at=None,
        )
    )
    uow.conn.execute(insert(orders), order_values)
    uow.conn.execute(insert(order_lines), line_values)
    uow.conn.execute(
        insert(order_events),
        [
            {
                "order_id": o["id"],
                "event": "placed",
                "from_status": None,
                "to_status": OrderStatus.AWAITING_PAYMENT.value,
                "actor_id": principal.account_id,
                "note": "",
                "at": now,
            }
            for o in order_values
        ],
    )
    schedule(
        uow,
        kind=PAYMENT_TIMEOUT_KIND,
        dedupe_key=_timer_key(checkout_id),
        due_at=due,
        payload={"checkout_id": checkout_id},
    )
    if from_cart:
        cart.remove_lines(uow, principal, [line.offer_id for line in lines])
    return {
        "id": checkout_id,
        "status": "awaiting_payment",
        "currency": currency,
        "total_minor": total_minor,
        "payment_due_at": due,
        "created_at": now,
        "orders": [_order_summary(o) for o in order_values],
    }


def _shipping_service(chosen: str | None, offered: list[str]) -> str:
    if chosen is None:
        return offered[0]
    if chosen not in offered:
        raise InvalidInput(
            f"this seller does not ship with {chosen!r}; choose one of {offered}",
            code="shipping_service_unavailable",
        )
    return chosen


def _load_offers(uow: UnitOfWork, offer_ids: list[str]) -> dict[str, Any]:
    rows = {
        r.id: r
        for r in uow.conn.execute(
            select(*OFFER_FOR_CHECKOUT)
            .join(sellers, sellers.c.id == offers.c.seller_id)
            .join(products, products.c.id == offers.c.product_id)
            .where(offers.c.id.in_(offer_ids))
        )
    }
    for offer_id in offer_ids:
        row = rows.get(offer_id)
        if row is None or row.status != "active" or row.seller_status != "active":
            raise NotFound(f"offer {offer_id} not found or not on sale", code="offer_unavailable")
    return rows


def _order_summary(order: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "id",
        "seller_id",
        "status",
        "currency",
        "items_minor",
        "shipping_minor",
        "duty_minor",
        "vat_minor",
        "total_minor",
        "seller_currency",
        "seller_items_minor",
        "seller_shipping_minor",
        "landed_cost",
        "shipping_service",
    )
    return {k: order[k] for k in keys}


def get_checkout(uow: UnitOfWork, principal: Principal, checkout_id: str) -> dict[str, Any]:
    row = uow.conn.execute(select(checkouts).where(checkouts.c.id == checkout_id)).first()
    ensure_visible(principal, [row.buyer_id] if row else [], "checkout")
    assert row is not None
    result = dict(row._mapping)
    result["orders"] = [
        _order_summary(dict(o._mapping))
        for o in uow.conn.execute(
            select(orders).where(orders.c.checkout_id == checkout_id).order_by(orders.c.id)
        )
    ]
    return result


def expire_unpaid(uow: UnitOfWork, checkout_id: str) -> int:
    """Timer handler body: cancel the checkout's unpaid orders; their stock returns once."""
    cancelled = 0
    for order_id in (
        uow.conn.execute(
            select(orders.c.id).where(
                orders.c.checkout_id == checkout_id,
                orders.c.status == OrderStatus.AWAITING_PAYMENT.value,
            )
        )
        .scalars()
        .all()
    ):
        apply_event(
            uow,
            order_id,
            OrderEvent.PAYMENT_TIMEOUT,
            actor_id=None,
            note="payment did not arrive in time",
            expected=OrderStatus.AWAITING_PAYMENT,
        )
        cancelled += 1
    uow.conn.execute(
        checkouts.update()
        .where(checkouts.c.id == checkout_id, checkouts.c.status == "awaiting_payment")
        .values(status="expired")
    )
    return cancelled


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
            f"checkout is {status}; the payment must be refunded", code="checkout_not_payable"
        )
    for order_id, handling_days in uow.conn.execute(
        select(orders.c.id, sellers.c.handling_days)
        .join(sellers, sellers.c.id == orders.c.seller_id)
        .where(
            orders.c.checkout_id == checkout_id,
            orders.c.status == OrderStatus.AWAITING_PAYMENT.value,  # cancelled ones stay so
        )
    ):
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
    cancel_timer(uow, _timer_key(checkout_id))
    return True
