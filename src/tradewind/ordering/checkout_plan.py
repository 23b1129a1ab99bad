"""Pricing a checkout before it is written: every read, every figure, every row to insert.

Why a plan: a checkout's reads and arithmetic (offers, FX quotes, postage, duty and VAT) are
most of its work, and none of it needs the write lock. Planned outside the write transaction,
checkouts are then written many to a transaction (:mod:`tradewind.ordering.checkout_write`),
where the stock reservation re-checks every price the plan used, so a price that changed in
between is refused instead of sold.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tradewind.catalog.service import offers_for_sale
from tradewind.customs.landed_cost import CustomsLine
from tradewind.db.uow import UnitOfWork
from tradewind.identity.addresses import check_address
from tradewind.identity.domain import Principal, Role, require_role
from tradewind.inventory.domain import PricedUnits
from tradewind.kernel.errors import FieldError, InvalidInput, LimitExceeded, NotFound
from tradewind.kernel.ids import new_id
from tradewind.kernel.problems import ProblemCode
from tradewind.money.fx import FxQuote
from tradewind.money.service import quotes_for
from tradewind.ordering import cart
from tradewind.ordering.domain import (
    MAX_SELLERS_PER_CHECKOUT,
    LineRequest,
    OrderStatus,
    validate_lines,
)
from tradewind.ordering.import_taxes import due_on_delivery_minor, order_import_taxes
from tradewind.ordering.parcels import price_parcel
from tradewind.ordering.pricing import fx_snapshot, unit_price_for_buyer
from tradewind.timers.service import TimerSpec

PAYMENT_TIMEOUT_KIND = "checkout.payment_timeout"

SUMMARY_KEYS = (
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


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    ship_to: dict[str, str]
    lines: list[LineRequest] | None = None  # None: buy what is in the cart
    shipping: dict[str, str] = field(default_factory=dict)  # seller id -> service code


@dataclass(frozen=True, slots=True)
class CheckoutPlan:
    """Everything a checkout writes, priced; ``result`` is what the buyer is answered."""

    buyer_id: str
    checkout: dict[str, Any]
    orders: list[dict[str, Any]]
    lines: list[dict[str, Any]]
    events: list[dict[str, Any]]
    payment_timeout: TimerSpec
    reservations: list[PricedUnits]
    cart_offer_ids: list[str]  # empty unless the checkout buys the cart
    result: dict[str, Any]


def payment_timeout_key(checkout_id: str) -> str:
    return f"{PAYMENT_TIMEOUT_KIND}:{checkout_id}"


def order_summary(order: dict[str, Any]) -> dict[str, Any]:
    """The order as a checkout shows it, with when its import taxes are paid."""
    return {k: order[k] for k in SUMMARY_KEYS} | {
        "import_taxes": order_import_taxes(order).as_dict()
    }


def plan_checkout(
    uow: UnitOfWork, principal: Principal, request: CheckoutRequest, *, payment_timeout_s: int
) -> CheckoutPlan:
    """Price ``request`` for ``principal``; reads only. Refusals that need no stock (unknown
    offers, limits, shipping choices) are raised here, before anything is written.

    The steps, in the order they read: the lines wanted (from the request or the cart), the
    offers on sale, the FX quotes into the buyer's currency, then one priced order per seller
    (postage, duty and VAT per parcel); what is left is arithmetic and assembly.
    """
    require_role(principal, Role.BUYER)
    request = dataclasses.replace(request, ship_to=check_address(request.ship_to, prefix="ship_to"))
    lines = validate_lines(_requested_lines(uow, principal, request))
    offer_rows = _load_offers(uow, [line.offer_id for line in lines])
    by_seller = _group_by_seller(lines, offer_rows, request.shipping)

    now = uow.clock.now()
    currency = principal.currency
    quotes = quotes_for(uow, {(r.currency, currency) for r in offer_rows.values()}, now)
    checkout_id = new_id("chk")
    order_values: list[dict[str, Any]] = []
    line_values: list[dict[str, Any]] = []
    for seller_id, items in by_seller.items():
        order, order_lines = _plan_order(
            uow,
            principal,
            request,
            checkout_id=checkout_id,
            seller_id=seller_id,
            items=items,
            quote=quotes[(items[0][0].currency, currency)],
            now=now,
        )
        order_values.append(order)
        line_values.extend(order_lines)

    total_minor = sum(o["total_minor"] for o in order_values)
    due = now + timedelta(seconds=payment_timeout_s)
    checkout = _checkout_row(checkout_id, principal, request, total_minor, due, now)
    return CheckoutPlan(
        buyer_id=principal.account_id,
        checkout=checkout,
        orders=order_values,
        lines=line_values,
        events=_placed_events(order_values, principal.account_id, now),
        payment_timeout=TimerSpec(
            PAYMENT_TIMEOUT_KIND,
            payment_timeout_key(checkout_id),
            due,
            {"checkout_id": checkout_id},
        ),
        reservations=_reservations(lines, offer_rows),
        # Only a checkout of the cart empties it; buying named lines leaves the cart alone.
        cart_offer_ids=[line.offer_id for line in lines] if request.lines is None else [],
        result={
            "id": checkout_id,
            "status": "awaiting_payment",
            "currency": currency,
            "total_minor": total_minor,
            "due_on_delivery_minor": due_on_delivery_minor(order_values),
            "payment_due_at": due,
            "created_at": now,
            "orders": [order_summary(o) for o in order_values],
        },
    )


def _requested_lines(
    uow: UnitOfWork, principal: Principal, request: CheckoutRequest
) -> list[LineRequest]:
    """The lines the request names or, when it names none, what is in the buyer's cart."""
    if request.lines is None:
        return [LineRequest(o, q) for o, q in cart.cart_requests(uow, principal)]
    return request.lines


def _group_by_seller(
    lines: list[LineRequest], offer_rows: dict[str, Any], shipping: dict[str, str]
) -> dict[str, list[tuple[Any, int]]]:
    """Seller id -> (offer row, quantity) per line, in line order: one order per seller.

    Checked here because both refusals need only the offers: the seller limit bounds the
    parcels priced below, and a shipping choice for a seller with no order would be ignored
    silently.
    """
    by_seller: dict[str, list[tuple[Any, int]]] = defaultdict(list)
    for line in lines:
        row = offer_rows[line.offer_id]
        by_seller[row.seller_id].append((row, line.quantity))
    if len(by_seller) > MAX_SELLERS_PER_CHECKOUT:
        raise LimitExceeded(f"at most {MAX_SELLERS_PER_CHECKOUT} sellers per checkout")
    unknown = set(shipping) - set(by_seller)
    if unknown:
        raise InvalidInput(
            "shipping choices name sellers that are not in this checkout",
            errors=[FieldError(f"shipping.{s}", "not in checkout") for s in unknown],
        )
    return by_seller


def _plan_order(
    uow: UnitOfWork,
    principal: Principal,
    request: CheckoutRequest,
    *,
    checkout_id: str,
    seller_id: str,
    items: list[tuple[Any, int]],
    quote: FxQuote,
    now: datetime,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One seller's order and its lines, priced in the buyer's currency.

    Items are converted line by line (each unit price rounded once, then multiplied) so that
    the order's items total is exactly the sum of the lines the buyer sees. The seller's
    shop supplies the parcel's origin and currency: one seller ships one parcel.
    """
    first = items[0][0]
    order_id = new_id("ord")
    lines = [
        _order_line(
            order_id, row, quantity, unit_price_for_buyer(row.price_minor, row.currency, quote)
        )
        for row, quantity in items
    ]
    items_minor = sum(line["line_total_minor"] for line in lines)
    service = _shipping_service(request.shipping.get(seller_id), first.shipping_services)
    parcel = price_parcel(
        uow,
        service_code=service,
        free_shipping=all(r.free_shipping for r, _ in items),
        weight_g=sum(r.weight_g * q for r, q in items),
        origin=first.seller_country,
        destination=request.ship_to["country"],
        buyer_currency=principal.currency,
        seller_currency=first.currency,
        at=now,
        customs_lines=[
            CustomsLine(line["hs_code"], line["origin_country"], line["line_total_minor"])
            for line in lines
        ],
    )
    order = {
        "id": order_id,
        "checkout_id": checkout_id,
        "buyer_id": principal.account_id,
        "seller_id": seller_id,
        "seller_account_id": first.seller_account_id,
        "status": OrderStatus.AWAITING_PAYMENT.value,
        "version": 1,
        "currency": principal.currency,
        "items_minor": items_minor,
        "shipping_minor": parcel.shipping_minor,
        "duty_minor": parcel.duty_minor,
        "vat_minor": parcel.vat_minor,
        "total_minor": items_minor + parcel.shipping_minor + parcel.duty_minor + parcel.vat_minor,
        "seller_currency": first.currency,
        "seller_items_minor": sum(r.price_minor * q for r, q in items),
        "seller_shipping_minor": parcel.seller_shipping_minor,
        "landed_cost": parcel.landed_cost,
        "fx": fx_snapshot(quote),
        "shipping_service": service,
        "ship_by_at": None,
        "created_at": now,
        "updated_at": now,
    }
    return order, lines


def _order_line(order_id: str, row: Any, quantity: int, unit_minor: int) -> dict[str, Any]:
    """An order line: the buyer's converted price, with the seller's own (in the seller's
    currency) kept beside it, and what customs needs to know of the goods."""
    return {
        "order_id": order_id,
        "offer_id": row.id,
        "product_id": row.product_id,
        "title": row.title,
        "quantity": quantity,
        "unit_price_minor": unit_minor,
        "line_total_minor": unit_minor * quantity,
        "seller_unit_price_minor": row.price_minor,
        "hs_code": row.hs_code,
        "origin_country": row.origin_country,
    }


def _checkout_row(
    checkout_id: str,
    principal: Principal,
    request: CheckoutRequest,
    total_minor: int,
    due: datetime,
    now: datetime,
) -> dict[str, Any]:
    return {
        "id": checkout_id,
        "buyer_id": principal.account_id,
        "status": "awaiting_payment",
        "currency": principal.currency,
        "total_minor": total_minor,
        "ship_to": request.ship_to,
        "payment_due_at": due,
        "payment_ref": None,
        "created_at": now,
        "paid_at": None,
    }


def _placed_events(
    orders: list[dict[str, Any]], actor_id: str, now: datetime
) -> list[dict[str, Any]]:
    """Each order's first history event: placed, awaiting payment."""
    return [
        {
            "order_id": o["id"],
            "event": "placed",
            "from_status": None,
            "to_status": OrderStatus.AWAITING_PAYMENT.value,
            "actor_id": actor_id,
            "note": "",
            "at": now,
        }
        for o in orders
    ]


def _reservations(lines: list[LineRequest], offer_rows: dict[str, Any]) -> list[PricedUnits]:
    """The units to reserve at the prices this plan used (the seller's price and currency): the
    reservation refuses the checkout if an offer's price changed between this plan and the
    write, rather than selling at a price the buyer was not shown."""
    return [
        PricedUnits(
            line.offer_id,
            line.quantity,
            offer_rows[line.offer_id].price_minor,
            offer_rows[line.offer_id].currency,
        )
        for line in lines
    ]


def _shipping_service(chosen: str | None, offered: list[str]) -> str:
    if chosen is None:
        return offered[0]
    if chosen not in offered:
        raise InvalidInput(
            f"this seller does not ship with {chosen!r}; choose one of {offered}",
            code=ProblemCode.SHIPPING_SERVICE_UNAVAILABLE,
        )
    return chosen


def _load_offers(uow: UnitOfWork, offer_ids: list[str]) -> dict[str, Any]:
    rows = offers_for_sale(uow, offer_ids)
    for offer_id in offer_ids:
        row = rows.get(offer_id)
        if row is None or row.status != "active" or row.seller_status != "active":
            raise NotFound(
                f"offer {offer_id} not found or not on sale", code=ProblemCode.OFFER_UNAVAILABLE
            )
    return rows
