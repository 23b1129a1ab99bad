"""Catalog reads for display: featured products, "from" prices, what postage and customs need to
know about offers and products, shop names, and a seller's own offer of a product.

Plain reads in one statement each (batch reads where a page shows many rows); anything that
changes the catalog goes through ``service``, which owns the rules.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from tradewind.catalog.domain import OfferStatus, SellerStatus
from tradewind.db.tables.catalog import offers, products, sellers
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
    """Active offers' id, shop, price and currency per product (to show "from" prices)."""
    found: dict[str, list[Any]] = {}
    if not product_ids:
        return found
    rows = uow.conn.execute(
        select(
            offers.c.product_id,
            offers.c.id,
            offers.c.seller_id,
            offers.c.price_minor,
            offers.c.currency,
        )
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


@dataclass(frozen=True, slots=True)
class CartOffer:
    """What a cart line shows of its offer, its product and its shop."""

    offer_id: str
    product_id: str
    title: str
    image_url: str | None
    price_minor: int
    currency: str
    stock: int
    offer_status: str
    seller_id: str
    seller_name: str
    ship_from_country: str
    seller_status: str

    @property
    def on_sale(self) -> bool:
        """Both the offer and its shop are active (stock is judged by the caller)."""
        return (
            self.offer_status == OfferStatus.ACTIVE.value
            and self.seller_status == SellerStatus.ACTIVE.value
        )


def cart_offers(uow: UnitOfWork, offer_ids: Collection[str]) -> dict[str, CartOffer]:
    """Offer id -> its cart view, in one read (offers that no longer exist are absent)."""
    if not offer_ids:
        return {}
    rows = uow.conn.execute(
        select(
            offers.c.id,
            offers.c.product_id,
            products.c.title,
            products.c.image_url,
            offers.c.price_minor,
            offers.c.currency,
            offers.c.stock,
            offers.c.status,
            sellers.c.id.label("seller_id"),
            sellers.c.name,
            sellers.c.country,
            sellers.c.status.label("seller_status"),
        )
        .join(products, products.c.id == offers.c.product_id)
        .join(sellers, sellers.c.id == offers.c.seller_id)
        .where(offers.c.id.in_(list(offer_ids)))
    )
    return {
        r.id: CartOffer(
            offer_id=r.id,
            product_id=r.product_id,
            title=r.title,
            image_url=r.image_url,
            price_minor=r.price_minor,
            currency=r.currency,
            stock=r.stock,
            offer_status=r.status,
            seller_id=r.seller_id,
            seller_name=r.name,
            ship_from_country=r.country,
            seller_status=r.seller_status,
        )
        for r in rows
    }
