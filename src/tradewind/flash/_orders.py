"""Writing claims with their checkout, order, line, history and hold timer, in bulk.

A claim is paid like any checkout (``POST /api/v1/checkouts/{id}/payment``): each one gets a
checkout awaiting payment whose payment timeout *is* the hold, scheduled under the same timer
key ``checkout.mark_paid`` cancels. So paying, expiring and cancelling need no flash-specific
code in ordering beyond the hook that sends released units back to the sale. Rows are built
here and written with one executemany per table: a batch of 200 claims costs seven statements,
not 1,400.
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
from tradewind.db.tables.ordering import checkouts, order_events, order_lines, orders
from tradewind.db.uow import UnitOfWork
from tradewind.flash.domain import ClaimStatus
from tradewind.kernel.errors import Conflict, DomainError
from tradewind.kernel.ids import new_id
from tradewind.money.fx import FxQuote
from tradewind.money.service import quotes_for
from tradewind.ordering.checkout import PAYMENT_TIMEOUT_KIND
from tradewind.ordering.domain import OrderStatus
from tradewind.ordering.parcels import ParcelPrice, price_parcel
from tradewind.ordering.pricing import fx_snapshot, unit_price_for_buyer
from tradewind.timers.service import TimerSpec, schedule_many


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
    timer_specs: list[TimerSpec] = []
    rows: dict[str, list[dict[str, Any]]] = {
        "checkouts": [],
        "orders": [],
        "lines": [],
        "events": [],
        "claims": [],
    }
    parcels: dict[tuple[str, str, int], ParcelPrice] = {}  # alike claims are priced once
    for offset, claim in enumerate(new):
        unit = unit_price_for_buyer(sale["price_minor"], sale["currency"], quotes[claim.currency])
        parcel = _parcel_of(uow, sale, claim, unit, now, parcels)
        items = unit * claim.quantity
        total = items + parcel.duty_minor + parcel.vat_minor
        checkout_id, order_id, claim_id = new_id("chk"), new_id("ord"), new_id("claim")
        rows["checkouts"].append(_checkout(checkout_id, claim, total, due, now))
        order = _order(
            order_id, checkout_id, sale, claim, (items, parcel), snapshots[claim.currency], now
        )
        rows["orders"].append(order)
        rows["lines"].append(_line(order_id, sale, claim.quantity, unit))
        rows["events"].append(_placed(order_id, claim, now))
        timer_specs.append(_hold_timer(checkout_id, due))
        rows["claims"].append(
            {
                "id": claim_id,
                "sale_id": sale["id"],
                "seq": first_seq + offset,
                "buyer_id": claim.buyer_id,
                "quantity": claim.quantity,
                "status": ClaimStatus.ACTIVE.value,
                "source": claim.source,
                "idempotency_key": claim.idempotency_key,
                "request_hash": claim.request_hash,
                "checkout_id": checkout_id,
                "order_id": order_id,
                "currency": claim.currency,
                "total_minor": total,
                "hold_until": due,
                "created_at": now,
                "released_at": None,
            }
        )
    if not new:
        return []
    conn = uow.conn
    # Foreign keys are checked per statement: parents first.
    conn.execute(insert(checkouts), rows["checkouts"])
    conn.execute(insert(orders), rows["orders"])
    conn.execute(insert(order_lines), rows["lines"])
    conn.execute(insert(order_events), rows["events"])
    schedule_many(uow, timer_specs)
    conn.execute(insert(flash_claims), rows["claims"])
    return rows["claims"]


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


def _checkout(
    checkout_id: str, claim: NewClaim, total: int, due: datetime, now: datetime
) -> dict[str, Any]:
    return {
        "id": checkout_id,
        "buyer_id": claim.buyer_id,
        "status": "awaiting_payment",
        "currency": claim.currency,
        "total_minor": total,
        "ship_to": dict(claim.ship_to),
        "payment_due_at": due,
        "payment_ref": None,
        "created_at": now,
        "paid_at": None,
    }


def _order(
    order_id: str,
    checkout_id: str,
    sale: Mapping[str, Any],
    claim: NewClaim,
    priced: tuple[int, ParcelPrice],
    fx: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    # The sale price includes postage; duty and VAT are the parcel's, as at checkout.
    items, parcel = priced
    return {
        "id": order_id,
        "checkout_id": checkout_id,
        "buyer_id": claim.buyer_id,
        "seller_id": sale["seller_id"],
        "seller_account_id": sale["seller_account_id"],
        "status": OrderStatus.AWAITING_PAYMENT.value,
        "version": 1,
        "currency": claim.currency,
        "items_minor": items,
        "shipping_minor": 0,
        "duty_minor": parcel.duty_minor,
        "vat_minor": parcel.vat_minor,
        "total_minor": items + parcel.duty_minor + parcel.vat_minor,
        "landed_cost": parcel.landed_cost,
        "seller_currency": sale["currency"],
        "seller_items_minor": sale["price_minor"] * claim.quantity,
        "seller_shipping_minor": 0,
        "fx": fx,
        "shipping_service": sale["shipping_service"],
        "ship_by_at": None,
        "created_at": now,
        "updated_at": now,
    }


def _line(order_id: str, sale: Mapping[str, Any], quantity: int, unit: int) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "offer_id": sale["offer_id"],
        "product_id": sale["product_id"],
        "title": sale["title"],
        "quantity": quantity,
        "unit_price_minor": unit,
        "line_total_minor": unit * quantity,
        "seller_unit_price_minor": sale["price_minor"],
        "hs_code": sale["hs_code"],
        "origin_country": sale["origin_country"],
    }


def _placed(order_id: str, claim: NewClaim, now: datetime) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "event": "placed",
        "from_status": None,
        "to_status": OrderStatus.AWAITING_PAYMENT.value,
        "actor_id": claim.buyer_id,
        "note": "flash-sale waitlist" if claim.source == "waitlist" else "flash-sale claim",
        "at": now,
    }


def _hold_timer(checkout_id: str, due: datetime) -> TimerSpec:
    # The timer checkout writes for its payment timeout; the key is the one mark_paid cancels.
    return TimerSpec(
        kind=PAYMENT_TIMEOUT_KIND,
        dedupe_key=f"{PAYMENT_TIMEOUT_KIND}:{checkout_id}",
        due_at=due,
        payload={"checkout_id": checkout_id},
    )
