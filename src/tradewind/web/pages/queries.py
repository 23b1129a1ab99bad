"""Read-only queries the pages need and no service offers yet (SQLAlchemy Core, one each).

Each is a plain read for display. Anything that changes state goes through the services,
which own the rules; these never write.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select

from tradewind.catalog.domain import OfferStatus, SellerStatus
from tradewind.db.tables.catalog import offers, products, sellers
from tradewind.db.tables.logistics import tracking_events
from tradewind.db.tables.payments import sandbox_psp_events
from tradewind.db.tables.timers import timers
from tradewind.db.uow import UnitOfWork


def featured_products(uow: UnitOfWork, limit: int) -> list[dict[str, Any]]:
    """Products most shops compete on: the ones where comparing offers pays off."""
    counted = (
        select(offers.c.product_id, func.count().label("offer_count"))
        .join(sellers, sellers.c.id == offers.c.seller_id)
        .where(
            offers.c.status == OfferStatus.ACTIVE.value,
            sellers.c.status == SellerStatus.ACTIVE.value,
            offers.c.stock > 0,
        )
        .group_by(offers.c.product_id)
        .subquery()
    )
    rows = uow.conn.execute(
        select(products, counted.c.offer_count)
        .join(counted, counted.c.product_id == products.c.id)
        .order_by(counted.c.offer_count.desc(), products.c.id)
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]


def offers_by_product(uow: UnitOfWork, product_ids: list[str]) -> dict[str, list[Any]]:
    """Active offers' price and currency per product (to show "from" prices)."""
    found: dict[str, list[Any]] = {}
    if not product_ids:
        return found
    rows = uow.conn.execute(
        select(offers.c.product_id, offers.c.price_minor, offers.c.currency)
        .join(sellers, sellers.c.id == offers.c.seller_id)
        .where(
            offers.c.product_id.in_(product_ids),
            offers.c.status == OfferStatus.ACTIVE.value,
            sellers.c.status == SellerStatus.ACTIVE.value,
            offers.c.stock > 0,
        )
    )
    for row in rows:
        found.setdefault(row.product_id, []).append(row)
    return found


def offer_shipping(uow: UnitOfWork, offer_ids: list[str]) -> dict[str, Any]:
    """Per offer: its shipping services, whether the shop pays the postage, handling days."""
    rows = uow.conn.execute(
        select(
            offers.c.id, offers.c.shipping_services, offers.c.free_shipping, sellers.c.handling_days
        )
        .join(sellers, sellers.c.id == offers.c.seller_id)
        .where(offers.c.id.in_(offer_ids))
    )
    return {r.id: r for r in rows}


def product_facts(uow: UnitOfWork, product_ids: list[str]) -> dict[str, Any]:
    """What postage and customs need to know about each product."""
    rows = uow.conn.execute(
        select(
            products.c.id, products.c.weight_g, products.c.hs_code, products.c.origin_country
        ).where(products.c.id.in_(product_ids))
    )
    return {r.id: r for r in rows}


def seller_names(uow: UnitOfWork, seller_ids: list[str]) -> dict[str, str]:
    rows = uow.conn.execute(
        select(sellers.c.id, sellers.c.name).where(sellers.c.id.in_(seller_ids))
    )
    return {r.id: r.name for r in rows}


def product_id_for_gtin(uow: UnitOfWork, gtin14: str) -> str | None:
    found: str | None = uow.conn.scalar(
        select(products.c.id).where(products.c.gtin == gtin14).order_by(products.c.id).limit(1)
    )
    return found


def own_offer(uow: UnitOfWork, seller_id: str, product_id: str) -> dict[str, Any] | None:
    row = uow.conn.execute(
        select(offers).where(
            offers.c.seller_id == seller_id,
            offers.c.product_id == product_id,
            offers.c.condition == "new",
        )
    ).first()
    return dict(row._mapping) if row else None


def tracking_timeline(uow: UnitOfWork, shipment_id: str) -> list[dict[str, Any]]:
    rows = uow.conn.execute(
        select(tracking_events)
        .where(tracking_events.c.shipment_id == shipment_id)
        .order_by(tracking_events.c.occurred_at, tracking_events.c.id)
    )
    return [dict(r._mapping) for r in rows]


def health(uow: UnitOfWork, now: datetime) -> dict[str, int]:
    """Counts an operator watches: work waiting for the worker, and work that gave up."""

    def count(table: Any, *where: ColumnElement[bool]) -> int:
        return int(uow.conn.scalar(select(func.count()).select_from(table).where(*where)) or 0)

    undelivered = sandbox_psp_events.c.deliveries_done < sandbox_psp_events.c.deliveries_wanted
    return {
        "timers_pending": count(timers, timers.c.status == "pending"),
        "timers_due": count(timers, timers.c.status == "pending", timers.c.due_at <= now),
        "timers_dead": count(timers, timers.c.status == "dead"),
        "webhooks_due": count(sandbox_psp_events, undelivered, sandbox_psp_events.c.due_at <= now),
        "webhooks_failing": count(
            sandbox_psp_events, undelivered, sandbox_psp_events.c.attempts > 0
        ),
    }
