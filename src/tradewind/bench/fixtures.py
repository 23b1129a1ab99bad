"""Fixtures for benchmarks and tests: an active shop, many buyers with API tokens."""

from __future__ import annotations

from sqlalchemy import insert

from tradewind.catalog import service as catalog
from tradewind.db.tables.catalog import offers, products, sellers
from tradewind.db.tables.identity import accounts, api_tokens
from tradewind.db.uow import UnitOfWork, UnitOfWorkFactory
from tradewind.identity import service as identity
from tradewind.identity.domain import Principal, Role
from tradewind.identity.service import TOKEN_PREFIX, digest_secret, hash_password
from tradewind.kernel.ids import new_id


def bench_shop(uow: UnitOfWork, name: str, email: str) -> Principal:
    """A US seller whose shop is already approved; returns the seller, to list offers as."""
    account_id = identity.register_account(
        uow,
        identity.NewAccount(
            email=email,
            password="bench-seller-password",  # noqa: S106 - throwaway bench DB
            display_name=name,
            role=Role.SELLER,
            country="US",
        ),
    )
    seller = identity.principal_for_account(uow, account_id)
    shop = catalog.apply_as_seller(
        uow,
        seller,
        catalog.SellerApplication(name=name, ship_from={"line1": "1 Dock", "city": "Austin"}),
    )
    uow.conn.execute(sellers.update().where(sellers.c.id == shop["id"]).values(status="active"))
    return seller


def bulk_buyers(
    uow_factory: UnitOfWorkFactory,
    count: int,
    *,
    prefix: str = "bulk",
    country: str = "US",
    currency: str = "USD",
) -> list[dict[str, str]]:
    """``count`` buyer accounts sharing one password hash; returns their auth headers.

    Why: hashing a password costs ~50 ms by design, and a benchmark needs hundreds of buyers.
    """
    shared_hash = hash_password("bulk-buyer-password")
    now = uow_factory.clock.now()
    account_rows, token_rows, headers = [], [], []
    for i in range(count):
        account_id = new_id("acct")
        token = f"{TOKEN_PREFIX}{prefix}{i}x{account_id[-10:]}"
        account_rows.append(
            {
                "id": account_id,
                "email": f"{prefix}{i}.{account_id[-6:].lower()}@bulk.test",
                "display_name": f"Buyer {i}",
                "role": "buyer",
                "password_hash": shared_hash,
                "country": country,
                "currency": currency,
                "locale": "en",
                "created_at": now,
            }
        )
        token_rows.append(
            {
                "token_hash": digest_secret(token),
                "account_id": account_id,
                "name": "bulk",
                "created_at": now,
                "expires_at": None,
            }
        )
        headers.append({"Authorization": f"Bearer {token}"})
    with uow_factory() as uow:
        uow.conn.execute(insert(accounts), account_rows)
        uow.conn.execute(insert(api_tokens), token_rows)
        uow.commit()
    return headers


def bulk_offers(
    uow: UnitOfWork, seller: Principal, count: int, *, prefix: str = "Widget"
) -> list[str]:
    """``count`` products and this seller's offers of them in two INSERTs; returns offer ids,
    oldest first (ids sort in the order listed, so "newest first" is the reverse).

    Offer ``i`` (from 1) is titled ``f"{prefix} {i:05d}"``, costs ``100 * i`` minor units, holds
    ``i % 7`` units in stock (every 7th is sold out) and is paused when ``i % 10 == 0``.
    """
    shop = catalog.seller_of(uow, seller)
    now = uow.clock.now()
    product_rows, offer_rows = [], []
    offer_ids = sorted(new_id("ofr") for _ in range(count))
    for i, offer_id in enumerate(offer_ids, start=1):
        values = catalog.product_values(
            catalog.NewProduct(
                title=f"{prefix} {i:05d}",
                brand="Bulk",
                weight_g=100,
                origin_country=shop["country"],
                hs_code="854442",
            ),
            created_by=seller.account_id,
            now=now,
        )
        product_rows.append(values)
        offer_rows.append(
            {
                "id": offer_id,
                "product_id": values["id"],
                "seller_id": shop["id"],
                "price_minor": 100 * i,
                "currency": shop["currency"],
                "stock": i % 7,
                "condition": "new",
                "status": "paused" if i % 10 == 0 else "active",
                "shipping_services": ["registered_small_packet"],
                "free_shipping": False,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
    if offer_rows:
        uow.conn.execute(insert(products), product_rows)
        uow.conn.execute(insert(offers), offer_rows)
    return offer_ids
