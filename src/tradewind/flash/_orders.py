"""Writing claims with their checkout, order, line, history and hold timer, in bulk.

A claim is paid like any checkout (``POST /api/v1/checkouts/{id}/payment``): each one gets a
checkout awaiting payment whose payment timeout *is* the hold, placed in bulk by ordering
(:func:`tradewind.ordering.bulk.place_one_line_orders`). So paying, expiring and cancelling need
no flash-specific code in ordering beyond the hook that sends released units back to the sale.
A batch of 200 claims costs six statements (one executemany per table), not 1,400.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert

from tradewind.catalog.service import offers_for_sale
from tradewind.customs.landed_cost import CustomsLine
from tradewind.db.tables.flash import flash_claims
from tradewind.db.uow import UnitOfWork
from tradewind.flash.domain import ClaimStatus
from tradewind.kernel.errors import Conflict, DomainError
from tradewind.kernel.ids import new_id
from tradewind.money.fx import FxQuote
from tradewind.money.service import quotes_for
from tradewind.ordering.bulk import OneLineOrder, place_one_line_orders
from tradewind.ordering.parcels import ParcelPrice, price_parcel
from tradewind.ordering.pricing import fx_snapshot, unit_price_for_buyer


@dataclass(frozen=True, slots=True)
class NewClaim:
    buyer_id: str
    currency: str  # the buyer's: what the checkout is paid in
    ship_to: Mapping[str, Any]
    quantity: int
    source: str  # "claim" or "waitlist"
    idempotency_key: str | None = None
    request_hash: str | None = None


def quotes_by_currency(
    uow: UnitOfWork, sale_currency: str, buyer_currencies: set[str], now: datetime
) -> dict[str, FxQuote | Conflict]:
    """The FX quote into each buyer currency, or the Conflict that refuses those buyers only."""
    found: dict[str, FxQuote | Conflict] = {}
    for currency in sorted(buyer_currencies):
        try:
            found[currency] = quotes_for(uow, [(sale_currency, currency)], now)[
                (sale_currency, currency)
            ]
        except Conflict as exc:
            found[currency] = exc
    return found


def claim_parcel(
    uow: UnitOfWork,
    sale: Mapping[str, Any],
    *,
    quantity: int,
    unit_minor: int,
    destination: str,
    currency: str,
    now: datetime,
) -> ParcelPrice:
    """A claim's parcel priced as checkout prices one: postage is in the sale price (free
    shipping), and a parcel that crosses a border gets the destination's duty and VAT on the
    claim's goods, collected now (DDP, IOSS) or estimated for delivery (DAP), from the same
    rules. A quote that cannot be made (a missing FX rate for a threshold) reads "not quoted"
    rather than refusing the batch's other buyers."""
    offer = offers_for_sale(uow, [sale["offer_id"]]).get(sale["offer_id"])
    origin = offer.seller_country if offer is not None else destination
    weight_g = int(offer.weight_g) * quantity if offer is not None else 0
    try:
        return price_parcel(
            uow,
            service_code=sale["shipping_service"],
            free_shipping=True,
            weight_g=weight_g,
            origin=origin,
            destination=destination,
            buyer_currency=currency,
            seller_currency=sale["currency"],
            customs_lines=[
                CustomsLine(sale["hs_code"], sale["origin_country"], unit_minor * quantity)
            ],
            at=now,
        )
    except DomainError:
        return ParcelPrice(0, 0, 0, 0, {"available": False})


def insert_claims(
    uow: UnitOfWork,
    sale: Mapping[str, Any],
    new: Sequence[NewClaim],
    quotes: Mapping[str, FxQuote],
    *,
    first_seq: int,
    now: datetime,
) -> list[dict[str, Any]]:
    """Write ``new`` claims of ``sale`` (seq numbers from ``first_seq``); returns the claim rows.

    The caller holds the sale's row lock and has already taken the units from the pool.
    """
    due = now + timedelta(seconds=int(sale["hold_s"]))
    snapshots = {c: fx_snapshot(q) for c, q in quotes.items()}
    placed: list[OneLineOrder] = []
    claims: list[dict[str, Any]] = []
    parcels: dict[tuple[str, str, int], ParcelPrice] = {}  # alike claims are priced once
    for offset, claim in enumerate(new):
        unit = unit_price_for_buyer(sale["price_minor"], sale["currency"], quotes[claim.currency])
        parcel = _parcel_of(uow, sale, claim, unit, now, parcels)
        order = _one_line_order(sale, claim, unit, parcel, snapshots[claim.currency], due)
        placed.append(order)
        claims.append(_claim(sale, claim, order, first_seq + offset, now))
    if not new:
        return []
    place_one_line_orders(uow, placed, now)
    uow.conn.execute(insert(flash_claims), claims)
    return claims


def _one_line_order(
    sale: Mapping[str, Any],
    claim: NewClaim,
    unit: int,
    parcel: ParcelPrice,
    fx: Mapping[str, Any],
    due: datetime,
) -> OneLineOrder:
    # The sale price includes postage; duty and VAT are the parcel's, as at checkout. The
    # checkout's payment timeout *is* the claim's hold.
    return OneLineOrder(
        checkout_id=new_id("chk"),
        order_id=new_id("ord"),
        buyer_id=claim.buyer_id,
        ship_to=claim.ship_to,
        currency=claim.currency,
        unit_minor=unit,
        quantity=claim.quantity,
        duty_minor=parcel.duty_minor,
        vat_minor=parcel.vat_minor,
        landed_cost=parcel.landed_cost,
        fx=fx,
        seller_id=sale["seller_id"],
        seller_account_id=sale["seller_account_id"],
        seller_currency=sale["currency"],
        seller_unit_minor=sale["price_minor"],
        offer_id=sale["offer_id"],
        product_id=sale["product_id"],
        title=sale["title"],
        hs_code=sale["hs_code"],
        origin_country=sale["origin_country"],
        shipping_service=sale["shipping_service"],
        payment_due_at=due,
        note="flash-sale waitlist" if claim.source == "waitlist" else "flash-sale claim",
    )


def _claim(
    sale: Mapping[str, Any], claim: NewClaim, order: OneLineOrder, seq: int, now: datetime
) -> dict[str, Any]:
    return {
        "id": new_id("claim"),
        "sale_id": sale["id"],
        "seq": seq,
        "buyer_id": claim.buyer_id,
        "quantity": claim.quantity,
        "status": ClaimStatus.ACTIVE.value,
        "source": claim.source,
        "idempotency_key": claim.idempotency_key,
        "request_hash": claim.request_hash,
        "checkout_id": order.checkout_id,
        "order_id": order.order_id,
        "currency": claim.currency,
        "total_minor": order.total_minor,
        "hold_until": order.payment_due_at,
        "created_at": now,
        "released_at": None,
    }


def _parcel_of(
    uow: UnitOfWork,
    sale: Mapping[str, Any],
    claim: NewClaim,
    unit: int,
    now: datetime,
    parcels: dict[tuple[str, str, int], ParcelPrice],
) -> ParcelPrice:
    """The claim's parcel, priced once for all alike claims of the batch."""
    where = (claim.currency, str(claim.ship_to["country"]), claim.quantity)
    if where not in parcels:
        parcels[where] = claim_parcel(
            uow,
            sale,
            quantity=claim.quantity,
            unit_minor=unit,
            destination=where[1],
            currency=claim.currency,
            now=now,
        )
    return parcels[where]
