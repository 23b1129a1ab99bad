"""Bulk fixtures for benchmarks and tests: many buyers with API tokens, one password hash."""

from __future__ import annotations

from sqlalchemy import insert

from tradewind.db.tables.identity import accounts, api_tokens
from tradewind.db.uow import UnitOfWorkFactory
from tradewind.identity.service import TOKEN_PREFIX, digest_secret, hash_password
from tradewind.kernel.ids import new_id


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
