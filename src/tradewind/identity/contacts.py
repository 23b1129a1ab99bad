"""How operators reach an account's owner: its email, read in one go for a page of accounts
(the seller applications queue shows it when a shop gave no contact of its own)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select

from tradewind.db.tables.identity import accounts
from tradewind.db.uow import UnitOfWork


def emails(uow: UnitOfWork, account_ids: Collection[str]) -> dict[str, str]:
    """Account id -> email, in one read."""
    if not account_ids:
        return {}
    rows = uow.conn.execute(
        select(accounts.c.id, accounts.c.email).where(accounts.c.id.in_(set(account_ids)))
    )
    return {r.id: r.email for r in rows}
