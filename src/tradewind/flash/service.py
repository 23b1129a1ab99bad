"""Flash-sale use cases: create and read campaigns, a buyer's own view, claims by id.

Claims themselves go through the per-process writer (``tradewind.flash.writer``); the waitlist
and released units live in ``tradewind.flash.waitlist``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from tradewind.catalog.service import offers_for_sale
from tradewind.db.tables.flash import flash_buyers, flash_claims, flash_sales
from tradewind.db.uow import UnitOfWork
from tradewind.flash._orders import claim_parcel
from tradewind.flash.domain import (
    Terms,
    claimed_percent,
    phase,
    seconds_until,
    validate_terms,
)
from tradewind.flash.waitlist import waiting_count, waitlist_entry
from tradewind.identity.domain import Principal, Role, ensure_visible, require_role
from tradewind.kernel.errors import NotFound
from tradewind.kernel.ids import new_id
from tradewind.kernel.problems import ProblemCode
from tradewind.ordering.import_taxes import import_taxes
from tradewind.ordering.orders import order_statuses

MAX_CLAIMS_SHOWN = 50
MAX_SALES_PER_PRODUCT = 5
MAX_OFFERS_LOOKED_UP = 500


def create_sale(
    uow: UnitOfWork, principal: Principal, offer_id: str, terms: Terms
) -> dict[str, Any]:
    """A seller puts one of its offers on flash sale (operators may do it for any offer)."""
    require_role(principal, Role.SELLER, Role.OPERATOR)
    offer = offers_for_sale(uow, [offer_id]).get(offer_id)
    ensure_visible(principal, [offer.seller_account_id] if offer else [], "offer")
    assert offer is not None
    if offer.status != "active" or offer.seller_status != "active":
        raise NotFound("the offer is not on sale", code=ProblemCode.OFFER_UNAVAILABLE)
    now = uow.clock.now()
    validate_terms(terms, now=now, offer_price_minor=offer.price_minor)
    values = {
        "id": new_id("flash"),
        "offer_id": offer.id,
        "seller_id": offer.seller_id,
        "created_by": principal.account_id,
        "seller_account_id": offer.seller_account_id,
        "product_id": offer.product_id,
        "title": offer.title,
        "hs_code": offer.hs_code,
        "origin_country": offer.origin_country,
        "shipping_service": offer.shipping_services[0],
        "price_minor": terms.price_minor,
        "currency": offer.currency,
        "pool_units": terms.pool_units,
        "remaining_units": terms.pool_units,
        "claim_seq": 0,
        "per_buyer_limit": terms.per_buyer_limit,
        "hold_s": terms.hold_s,
        "starts_at": terms.starts_at,
        "ends_at": terms.ends_at,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    uow.conn.execute(insert(flash_sales).values(**values))
    return sale_view(values, now)


def sale_view(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A campaign as everyone may see it, with the countdowns taken from the server clock."""
    return {
        **row,
        "phase": phase(now, row["starts_at"], row["ends_at"], row["remaining_units"]).value,
        "claimed_units": row["pool_units"] - row["remaining_units"],
        "claimed_percent": claimed_percent(row["pool_units"], row["remaining_units"]),
        "server_time": now,
        "starts_in_s": seconds_until(now, row["starts_at"]),
        "ends_in_s": seconds_until(now, row["ends_at"]),
    }


def claim_import_taxes(
    uow: UnitOfWork,
    sale: dict[str, Any],
    *,
    unit_minor: int,
    destination: str,
    currency: str,
) -> dict[str, Any]:
    """The import taxes of a one-unit claim shipped to ``destination``, read as the claim's
    order will store them (``ordering.import_taxes``): what the product page shows."""
    parcel = claim_parcel(
        uow,
        sale,
        quantity=1,
        unit_minor=unit_minor,
        destination=destination,
        currency=currency,
        now=uow.clock.now(),
    )
    return import_taxes(parcel.landed_cost, parcel.duty_minor + parcel.vat_minor).as_dict()


def get_sale(uow: UnitOfWork, sale_id: str) -> dict[str, Any]:
    row = uow.conn.execute(select(flash_sales).where(flash_sales.c.id == sale_id)).first()
    if row is None:
        raise NotFound("flash sale not found")
    return {
        **sale_view(dict(row._mapping), uow.clock.now()),
        "waitlist_length": waiting_count(uow, sale_id),
    }


def list_sales(
    uow: UnitOfWork, *, current_only: bool, limit: int, after: str | None
) -> list[dict[str, Any]]:
    """Campaigns in id (creation) order; ``current_only`` hides the ones that have ended."""
    now = uow.clock.now()
    query = select(flash_sales).order_by(flash_sales.c.id).limit(limit)
    if current_only:
        query = query.where(flash_sales.c.ends_at > now)
    if after:
        query = query.where(flash_sales.c.id > after)
    return [sale_view(dict(r._mapping), now) for r in uow.conn.execute(query)]


def running_sales(uow: UnitOfWork, *, limit: int) -> list[dict[str, Any]]:
    """Sales that have started and not ended, the soonest to end first (the home page's banner:
    the ones a buyer can still catch, and not crowded out by sales yet to start)."""
    now = uow.clock.now()
    rows = uow.conn.execute(
        select(flash_sales)
        .where(flash_sales.c.starts_at <= now, flash_sales.c.ends_at > now)
        .order_by(flash_sales.c.ends_at, flash_sales.c.id)
        .limit(limit)
    )
    return [sale_view(dict(r._mapping), now) for r in rows]


MAX_SHOP_SALES = 10_000


def shop_offers_on_sale(uow: UnitOfWork, seller_id: str) -> set[str]:
    """Ids of the shop's offers with a flash sale that has not ended (running or to come)."""
    rows = uow.conn.execute(
        select(flash_sales.c.offer_id)
        .where(flash_sales.c.seller_id == seller_id, flash_sales.c.ends_at > uow.clock.now())
        .limit(MAX_SHOP_SALES)
    )
    return {r.offer_id for r in rows}


def live_sales_for_offers(uow: UnitOfWork, offer_ids: list[str]) -> list[dict[str, Any]]:
    """The sales running now (started, not ended; sold out or not) on any of these offers, in
    id order, at most :data:`MAX_SALES_PER_PRODUCT`: what a product page offers to claim."""
    if not offer_ids:
        return []
    now = uow.clock.now()
    query = (
        select(flash_sales)
        .where(
            flash_sales.c.offer_id.in_(offer_ids[:MAX_OFFERS_LOOKED_UP]),
            flash_sales.c.starts_at <= now,
            flash_sales.c.ends_at > now,
        )
        .order_by(flash_sales.c.id)
        .limit(MAX_SALES_PER_PRODUCT)
    )
    return [sale_view(dict(r._mapping), now) for r in uow.conn.execute(query)]


def my_sale(uow: UnitOfWork, principal: Principal, sale_id: str) -> dict[str, Any]:
    """What this buyer holds in a sale: units, claims (with their orders), waitlist place."""
    require_role(principal, Role.BUYER)
    sale = get_sale(uow, sale_id)
    units = uow.conn.scalar(
        select(flash_buyers.c.units).where(
            flash_buyers.c.sale_id == sale_id, flash_buyers.c.buyer_id == principal.account_id
        )
    )
    claims = _with_order_status(
        uow,
        [
            dict(r._mapping)
            for r in uow.conn.execute(
                select(flash_claims)
                .where(
                    flash_claims.c.sale_id == sale_id,
                    flash_claims.c.buyer_id == principal.account_id,
                )
                .order_by(flash_claims.c.seq)
                .limit(MAX_CLAIMS_SHOWN)
            )
        ],
    )
    return {
        "sale": sale,
        "units_held": int(units or 0),
        "units_left_to_claim": sale["per_buyer_limit"] - int(units or 0),
        "claims": claims,
        "waitlist": waitlist_entry(uow, sale_id, principal.account_id),
    }


def claim_of_checkout(uow: UnitOfWork, buyer_id: str, checkout_id: str) -> dict[str, Any] | None:
    """The sale and product of the claim behind this buyer's checkout; None for a checkout
    of the cart. (Looked up through the buyer's claims, which ``buyer_id`` indexes.)"""
    row = uow.conn.execute(
        select(flash_claims.c.id, flash_claims.c.sale_id, flash_sales.c.product_id)
        .join(flash_sales, flash_sales.c.id == flash_claims.c.sale_id)
        .where(flash_claims.c.buyer_id == buyer_id, flash_claims.c.checkout_id == checkout_id)
    ).first()
    return (
        None
        if row is None
        else {"claim_id": row.id, "sale_id": row.sale_id, "product_id": row.product_id}
    )


def get_claim(uow: UnitOfWork, principal: Principal, claim_id: str) -> dict[str, Any]:
    row = uow.conn.execute(select(flash_claims).where(flash_claims.c.id == claim_id)).first()
    ensure_visible(principal, [row.buyer_id] if row else [], "claim")
    assert row is not None
    return _with_order_status(uow, [dict(row._mapping)])[0]


def _with_order_status(uow: UnitOfWork, claims: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each claim with its order's status (ordering's), in one read for them all."""
    statuses = order_statuses(uow, {c["order_id"] for c in claims})
    return [{**c, "order_status": statuses[c["order_id"]]} for c in claims]
