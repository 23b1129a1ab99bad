"""A flash sale bought from its product page: claim, the hold, pay; or the waitlist.

The product page shows each sale running on the product's offers at the buyer's price, with the
per-buyer limit, the units left and, for a buyer, what they hold. A claim goes through the same
gate and claim writer as the API (``container.flash``), so the page can neither oversell nor
skip the per-buyer check; its form carries an idempotency key made when the page was drawn, so
a double click gets the same claim back. A claim is a checkout awaiting payment whose payment
deadline is the hold: the buyer is sent to that checkout to pay, with the countdown by the
server's clock.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Annotated, Any

import anyio.from_thread
from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response

from tradewind.bootstrap import Container
from tradewind.db.uow import UnitOfWork
from tradewind.flash import service as flash
from tradewind.flash import waitlist
from tradewind.flash.claims import ClaimInput
from tradewind.flash.domain import MAX_UNITS_PER_CLAIM, Buyer
from tradewind.idempotency.service import validate_key
from tradewind.identity import service as identity
from tradewind.identity.addresses import ADDRESS_FIELDS
from tradewind.identity.domain import Principal, Role
from tradewind.ordering.domain import OrderStatus
from tradewind.ordering.pricing import unit_price_for_buyer
from tradewind.web.deps import ContainerDep, OptionalPrincipalDep
from tradewind.web.pages.common import need, page, see_other
from tradewind.web.pages.offers_view import quotes_into

router = APIRouter(include_in_schema=False)
SaleId = Annotated[str, Path(max_length=64)]
ACTIVE_ORDER = OrderStatus.AWAITING_PAYMENT.value


def product_sales(
    uow: UnitOfWork,
    principal: Principal | None,
    offer_ids: list[str],
    viewer: tuple[str, str],
) -> list[dict[str, Any]]:
    """The sales running on these offers, priced for the viewer (``(currency, country)``),
    with a unit's import taxes to the viewer's country as its claim will store them, what a
    buyer holds in it (claims awaiting payment, waitlist place) and a fresh key for the
    claim form."""
    currency, country = viewer
    now = uow.clock.now()
    sales = flash.live_sales_for_offers(uow, offer_ids)
    if not sales:
        return []
    quotes = quotes_into(uow, {s["currency"] for s in sales}, currency, now)
    buyer = principal if principal is not None and principal.role is Role.BUYER else None
    shown = []
    for sale in sales:
        quote = quotes[sale["currency"]]
        price = (
            None
            if quote is None
            else unit_price_for_buyer(sale["price_minor"], sale["currency"], quote)
        )
        mine = None if buyer is None else _mine(uow, buyer, sale["id"], now)
        taxes = (
            None
            if price is None
            else flash.claim_import_taxes(
                uow, sale, unit_minor=price, destination=country, currency=currency
            )
        )
        shown.append(
            {
                **sale,
                "buyer_price_minor": price,
                "taxes": taxes,
                "buyer_currency": currency,
                "mine": mine,
                "claim_key": secrets.token_urlsafe(18),
            }
        )
    return shown


def _mine(uow: UnitOfWork, buyer: Principal, sale_id: str, now: Any) -> dict[str, Any]:
    view = flash.my_sale(uow, buyer, sale_id)
    held = [
        {**c, "hold_left_s": max(0, int((c["hold_until"] - now).total_seconds()))}
        for c in view["claims"]
        if c["status"] == "active" and c["order_status"] == ACTIVE_ORDER
    ]
    can_claim = min(
        view["units_left_to_claim"], view["sale"]["remaining_units"], MAX_UNITS_PER_CLAIM
    )
    return {
        "units_held": view["units_held"],
        "units_left_to_claim": view["units_left_to_claim"],
        "can_claim": max(0, can_claim),
        "awaiting_payment": held,
        "waitlist": view["waitlist"],
    }


def _ship_to(uow: UnitOfWork, buyer: Principal, address_id: str) -> dict[str, str]:
    address = identity.get_address(uow, buyer, address_id)
    return {k: address[k] for k in ADDRESS_FIELDS}


def _destination(container: Container, buyer: Principal, address_id: str) -> dict[str, str]:
    with container.uow(read_only=True) as uow:
        return _ship_to(uow, buyer, address_id)


@router.post("/flash/{sale_id}/claim")
@page
def claim(
    sale_id: SaleId,
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    key: Annotated[str, Form(max_length=255)],
    address_id: Annotated[str, Form(max_length=64)],
    quantity: Annotated[int, Form(ge=1, le=MAX_UNITS_PER_CLAIM)] = 1,
) -> Response:
    """Claim from the page, through the API's gate and writer; then pay the claim's checkout."""
    buyer = need(principal, Role.BUYER)
    validate_key(key)
    refused = anyio.from_thread.run(container.flash.refusal, sale_id, key, container.clock.now())
    if refused is not None:
        raise refused
    destination = _destination(container, buyer, address_id)
    fingerprint = hashlib.sha256(f"{sale_id}\npage\n{quantity}\n{address_id}".encode()).hexdigest()
    result = anyio.from_thread.run(
        container.flash.claim,
        ClaimInput(
            sale_id,
            quantity,
            destination,
            key,
            fingerprint,
            Buyer(buyer.account_id, buyer.currency),
            None,
        ),
    )
    return see_other(f"/checkouts/{result.claim['checkout_id']}", "claimed")


@router.post("/flash/{sale_id}/waitlist")
@page
def join_waitlist(
    sale_id: SaleId,
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    address_id: Annotated[str, Form(max_length=64)],
) -> Response:
    """Queue for units that come back from unpaid claims; joining twice keeps the place."""
    buyer = need(principal, Role.BUYER)
    with container.uow() as uow:
        waitlist.join_waitlist(uow, buyer, sale_id, _ship_to(uow, buyer, address_id))
        product_id = flash.get_sale(uow, sale_id)["product_id"]
        uow.commit()
    return see_other(f"/products/{product_id}", "waitlist")
