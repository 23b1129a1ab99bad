"""What the web edge knows that risk wants: the client address, the device cookie, a stable
key for a shipping address, and the risk events of a checkout's orders (issue 18)."""

from __future__ import annotations

import hashlib
import string
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fastapi import Request

from tradewind.bootstrap import Container
from tradewind.ordering.checkout_plan import CheckoutPlan
from tradewind.risk.domain import MAX_KEY_LEN, EventKind, RiskEvent
from tradewind.web.deps import client_address

DEVICE_COOKIE = "tw_device"
DEVICE_HEADER = "x-device-id"
_ALLOWED = frozenset(string.ascii_letters + string.digits + "-_.:")


def device_of(request: Request) -> str | None:
    """The device cookie (or header), when it is a short token; anything else is ignored."""
    raw = request.cookies.get(DEVICE_COOKIE) or request.headers.get(DEVICE_HEADER) or ""
    if not 8 <= len(raw) <= MAX_KEY_LEN or not set(raw) <= _ALLOWED:
        return None
    return raw


def address_key(address: Mapping[str, Any]) -> str:
    """One key per place, whatever the spelling of case and spaces."""
    parts = [str(address.get(k) or "") for k in ("line1", "postal_code", "city", "country")]
    text = "|".join(" ".join(p.lower().split()) for p in parts)
    return "addr:" + hashlib.sha256(text.encode()).hexdigest()[:32]


def account_event(
    kind: EventKind, request: Request, container: Container, account_id: str, now: datetime
) -> RiskEvent:
    return RiskEvent(
        kind,
        now,
        account_id,
        device=device_of(request),
        ip=client_address(request, container)[:MAX_KEY_LEN],
    )


def checkout_events(
    plan: CheckoutPlan, request: Request, container: Container
) -> tuple[RiskEvent, ...]:
    ship_to = plan.checkout["ship_to"]
    device = device_of(request)
    ip = client_address(request, container)[:MAX_KEY_LEN]
    address = address_key(ship_to)
    return tuple(
        RiskEvent(
            EventKind.CHECKOUT,
            plan.checkout["created_at"],
            plan.buyer_id,
            order_id=order["id"],
            checkout_id=plan.checkout["id"],
            seller_id=order["seller_account_id"],
            amount_minor=order["total_minor"],
            currency=order["currency"],
            device=device,
            ip=ip,
            address=address,
            shipping_country=ship_to["country"],
        )
        for order in plan.orders
    )
