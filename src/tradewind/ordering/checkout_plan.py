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
from tradewind.catalog.stock.domain import PricedUnits
from tradewind.customs.landed_cost import CustomsLine
from tradewind.db.uow import UnitOfWork
from tradewind.identity.addresses import check_address
from tradewind.identity.domain import Principal, Role, require_role
from tradewind.kernel.errors import FieldError, InvalidInput, LimitExceeded, NotFound
from tradewind.kernel.ids import new_id
from tradewind.kernel.problems import ProblemCode
from tradewind.money.allocation import allocate
from tradewind.money.fx import FxQuote
from tradewind.money.service import quotes_for
from tradewind.ordering import cart
from tradewind.ordering.discounts import SellerLine, price_lines
from tradewind.ordering.discounts import shown as discounts_shown
from tradewind.ordering.domain import (
    MAX_SELLERS_PER_CHECKOUT,
    LineRequest,
    OrderStatus,
    validate_lines,
)
from tradewind.ordering.import_taxes import due_on_delivery_minor, order_import_taxes
from tradewind.ordering.parcels import ParcelPrice, price_parcel
from tradewind.ordering.pricing import fx_snapshot, unit_price_for_buyer
from tradewind.promotions import domain as promos
from tradewind.promotions import service as promotions
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
    "discount_minor",
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
    coupon_codes: tuple[str, ...] = ()  # store and platform coupon codes the buyer entered


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
    discounts: list[dict[str, Any]] = field(default_factory=list)  # order_discounts rows
    promotion_uses: tuple[promos.Use, ...] = ()  # taken atomically when the checkout is written


def payment_timeout_key(checkout_id: str) -> str:
    return f"{PAYMENT_TIMEOUT_KIND}:{checkout_id}"


def order_summary(
    order: dict[str, Any], discounts: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The order as a checkout shows it, with its discount lines (in the order they applied)
    and when its import taxes are paid."""
    return {k: order[k] for k in SUMMARY_KEYS} | {
        "import_taxes": order_import_taxes(order).as_dict(),
        "discounts": discounts or [],
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
    seller_quotes = {s: quotes[(v[0][0].currency, currency)] for s, v in by_seller.items()}
    priced = _price_promotions(uow, principal, request, by_seller, seller_quotes, now)
    checkout_id = new_id("chk")
    order_values: list[dict[str, Any]] = []
    line_values: list[dict[str, Any]] = []
    discount_rows: list[dict[str, Any]] = []
    for seller_id, items in by_seller.items():
        order, order_lines = _plan_order(
            uow,
            principal,
            request,
            _OrderInput(checkout_id, seller_id, items, seller_quotes[seller_id], now),
            priced.orders[seller_id],
        )
        order_values.append(order)
        line_values.extend(order_lines)
        discount_rows += promotions.discount_rows(
            order["id"], currency, priced.orders[seller_id], now
        )
    shown = discounts_shown(discount_rows)

    total_minor = sum(o["total_minor"] for o in order_values)
    due = now + timedelta(seconds=payment_timeout_s)
    return CheckoutPlan(
        buyer_id=principal.account_id,
        checkout=_checkout_row(checkout_id, principal, request, total_minor, due, now),
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
            "orders": [order_summary(o, shown.get(o["id"])) for o in order_values],
        },
        discounts=discount_rows,
        promotion_uses=priced.uses,
    )


def _price_promotions(
    uow: UnitOfWork,
    principal: Principal,
    request: CheckoutRequest,
    by_seller: dict[str, list[tuple[Any, int]]],
    quotes: dict[str, FxQuote],
    now: datetime,
) -> promos.Priced:
    lines = [
        SellerLine(row.id, seller_id, row.price_minor, row.currency, q)
        for seller_id, items in by_seller.items()
        for row, q in items
    ]
    return price_lines(uow, principal, lines, quotes, request.coupon_codes, now)


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


@dataclass(frozen=True, slots=True)
class _OrderInput:
    checkout_id: str
    seller_id: str
    items: list[tuple[Any, int]]
    quote: FxQuote
    now: datetime


def _plan_order(
    uow: UnitOfWork,
    principal: Principal,
    request: CheckoutRequest,
    given: _OrderInput,
    discounts: promos.OrderDiscounts,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One seller's order and its lines, priced in the buyer's currency.

    Items are converted line by line (each unit price rounded once, then multiplied) so that
    the order's items total is exactly the sum of the lines the buyer sees. The seller's
    shop supplies the parcel's origin and currency: one seller ships one parcel. Customs
    value is the transaction value: each line after its share of the discounts.
    """
    items = given.items
    first = items[0][0]
    order_id = new_id("ord")
    lines = [
        _order_line(
            order_id,
            row,
            quantity,
            unit_price_for_buyer(row.price_minor, row.currency, given.quote),
        )
        for row, quantity in items
    ]
    service = _shipping_service(request.shipping.get(given.seller_id), first.shipping_services)
    parcel = price_parcel(
        uow,
        service_code=service,
        free_shipping=discounts.free_shipping or all(r.free_shipping for r, _ in items),
        weight_g=sum(r.weight_g * q for r, q in items),
        origin=first.seller_country,
        destination=request.ship_to["country"],
        buyer_currency=principal.currency,
        seller_currency=first.currency,
        at=given.now,
        customs_lines=[
            CustomsLine(
                line["hs_code"],
                line["origin_country"],
                line["line_total_minor"] - discounts.line_discounts.get(line["offer_id"], 0),
            )
            for line in lines
        ],
    )
    return _order_row(order_id, principal, given, lines, parcel, discounts, service), lines


def _order_row(
    order_id: str,
    principal: Principal,
    given: _OrderInput,
    lines: list[dict[str, Any]],
    parcel: ParcelPrice,
    discounts: promos.OrderDiscounts,
    service: str,
) -> dict[str, Any]:
    first = given.items[0][0]
    items_minor = sum(line["line_total_minor"] for line in lines)
    discount_minor = discounts.discount_minor
    return {
        "id": order_id,
        "checkout_id": given.checkout_id,
        "buyer_id": principal.account_id,
        "seller_id": given.seller_id,
        "seller_account_id": first.seller_account_id,
        "status": OrderStatus.AWAITING_PAYMENT.value,
        "version": 1,
        "currency": principal.currency,
        "items_minor": items_minor,
        "shipping_minor": parcel.shipping_minor,
        "duty_minor": parcel.duty_minor,
        "vat_minor": parcel.vat_minor,
        "discount_minor": discount_minor,
        "total_minor": items_minor
        - discount_minor
        + parcel.shipping_minor
        + parcel.duty_minor
        + parcel.vat_minor,
        "seller_currency": first.currency,
        "seller_items_minor": _seller_items_minor(given.items, items_minor, discounts),
        "seller_shipping_minor": parcel.seller_shipping_minor,
        "landed_cost": parcel.landed_cost,
        "fx": fx_snapshot(given.quote),
        "shipping_service": service,
        "ship_by_at": None,
        "created_at": given.now,
        "updated_at": given.now,
    }


def _seller_items_minor(
    items: list[tuple[Any, int]], items_minor: int, discounts: promos.OrderDiscounts
) -> int:
    """What the goods earn the seller in its currency: its prices less the discounts it funds,
    converted back in proportion through the order's own figures (largest remainder, so no
    second rounding); the platform-funded part is paid to the seller, so it stays in."""
    own = int(sum(r.price_minor * q for r, q in items))
    funded = discounts.seller_funded_minor
    if funded == 0:
        return own
    return own - allocate(own, [funded, items_minor - funded])[0]


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
