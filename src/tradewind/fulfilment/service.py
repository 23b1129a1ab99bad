"""Shipping an order: an S10 number (entered and validated, or issued by the simulated post),
the customs declaration copied from the order, and the start of buyer protection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert, select

from tradewind.catalog.service import seller_terms
from tradewind.db.tables.logistics import shipments
from tradewind.db.uow import UnitOfWork
from tradewind.escrow.domain import EscrowPolicy
from tradewind.escrow.service import start_protection
from tradewind.fulfilment import numbers
from tradewind.fulfilment.tracking import start_tracking
from tradewind.identity.domain import Principal, Role, ensure_visible, require_role
from tradewind.kernel.errors import NotFound
from tradewind.kernel.ids import new_id
from tradewind.kernel.problems import ProblemCode
from tradewind.logistics.s10 import S10Number, parse_s10
from tradewind.logistics.shipping import SERVICES, ServiceKind, estimate_delivery_window
from tradewind.ordering import to_ship
from tradewind.ordering.domain import OrderEvent
from tradewind.ordering.orders import apply_event
from tradewind.ordering.to_ship import OrderToShip
from tradewind.risk.domain import EventKind, RiskEvent

SIMULATED_CARRIER = "postal-sim"


@dataclass(frozen=True, slots=True)
class CarrierSetup:
    """Where the carrier sends tracking webhooks, and how often we poll it as a backstop."""

    webhook_url: str
    poll_every_h: int


def shipping_kind(service_code: str) -> str:
    service = SERVICES.get(service_code)
    return "express" if service is not None and service.kind is ServiceKind.EXPRESS else "surface"


def _number_and_ship(
    uow: UnitOfWork,
    principal: Principal,
    order: OrderToShip,
    origin: str,
    tracking_number: str | None,
    shipment_id: str,
) -> S10Number:
    """Claim the seller's number (or have the post issue one) and move the order to shipped."""
    now = uow.clock.now()
    if tracking_number:
        # The order moves first (a conditional update: shipping an order twice is a 409
        # illegal_transition), then the number is claimed; a refusal rolls both back.
        number = parse_s10(tracking_number)
        _ship_event(uow, principal, order.id, number)
        numbers.claim_typed(uow, number, shipment_id, now)
        return number
    service = SERVICES.get(order.shipping_service)
    indicator = service.s10_service if service is not None else "RR"
    number = numbers.issue(uow, indicator, origin, shipment_id, now)
    _ship_event(uow, principal, order.id, number)
    return number


def _ship_event(uow: UnitOfWork, principal: Principal, order_id: str, number: S10Number) -> None:
    apply_event(
        uow, order_id, OrderEvent.SHIP, actor_id=principal.account_id, note=f"shipped {number}"
    )


def ship_order(
    uow: UnitOfWork,
    policy: EscrowPolicy,
    principal: Principal,
    order_id: str,
    tracking_number: str | None,
    *,
    carrier: CarrierSetup,
) -> dict[str, Any]:
    require_role(principal, Role.SELLER)
    # The order row first, then the post's counter, then the claim: one lock order for typed
    # and issued numbers, so two ships of one order cannot deadlock.
    order = to_ship.lock_order_to_ship(uow, order_id)
    ensure_visible(principal, [order.seller_account_id] if order else [], "order")
    if order is None:
        raise NotFound("order not found")
    origin = seller_terms(uow, [order.seller_id])[order.seller_id].country
    now = uow.clock.now()
    shipment_id = new_id("shp")
    number = _number_and_ship(uow, principal, order, origin, tracking_number, shipment_id)
    ship_to = to_ship.ship_to(uow, order)
    lines = to_ship.declared_lines(uow, order_id)
    declaration = {  # CN22/CN23 data
        "category": "sale_of_goods",
        "currency": order.currency,
        "items": [
            {
                "description": line.title[:100],
                "quantity": line.quantity,
                "value_minor": line.line_total_minor,
                "hs_code": line.hs_code,
                "origin_country": line.origin_country,
            }
            for line in lines
        ],
        "total_value_minor": order.items_minor,
    }
    kind = shipping_kind(order.shipping_service)
    values = {
        "id": shipment_id,
        "order_id": order_id,
        "carrier": SIMULATED_CARRIER,
        "tracking_number": str(number),
        "service_code": order.shipping_service,
        "shipping_kind": kind,
        "origin_country": origin,
        "destination_country": ship_to["country"],
        "status": "InfoReceived",
        "declaration": declaration,
        "shipped_at": now,
        "last_event_at": None,
        "delivered_at": None,
    }
    uow.conn.execute(insert(shipments).values(**values))
    window_closes = delivery_window_closes(order, origin, ship_to["country"], now)
    values["auto_confirm_at"] = start_protection(
        uow, policy, order_id, kind=kind, shipped_at=now, not_before=window_closes
    )
    start_tracking(uow, values, carrier.webhook_url, carrier.poll_every_h)
    uow.publish(_shipped_signal(order, values, now))
    return values


def delivery_window_closes(
    order: OrderToShip, origin: str, destination: str, now: datetime
) -> datetime | None:
    """When the delivery window the buyer was shown has ended everywhere: the latest day of
    the service's window from the ship-by date (or today, if later), over even at UTC-12.
    Protection never runs out before it: a parcel still within its window is not late."""
    service = SERVICES.get(order.shipping_service)
    if service is None:
        return None
    handed_over = max(order.ship_by_at or now, now).date()
    _, latest = estimate_delivery_window(handed_over, service, origin, destination)
    return datetime.combine(latest + timedelta(days=1), time(12), tzinfo=UTC)


def _shipped_signal(order: OrderToShip, shipment: dict[str, Any], now: datetime) -> RiskEvent:
    """The shipment as a risk event: whose, which number, from where to where (issue 18)."""
    return RiskEvent(
        EventKind.SHIPMENT,
        now,
        order.seller_account_id,
        order_id=order.id,
        buyer_id=order.buyer_id,
        seller_id=order.seller_account_id,
        tracking_number=shipment["tracking_number"],
        seller_country=shipment["origin_country"],
        shipping_country=shipment["destination_country"],
    )


def shipment_for_order(uow: UnitOfWork, principal: Principal, order_id: str) -> dict[str, Any]:
    order = to_ship.order_parties(uow, order_id)
    ensure_visible(principal, [order.buyer_id, order.seller_account_id] if order else [], "order")
    row = uow.conn.execute(select(shipments).where(shipments.c.order_id == order_id)).first()
    if row is None:
        raise NotFound("this order has not shipped", code=ProblemCode.NOT_SHIPPED)
    return dict(row._mapping)
