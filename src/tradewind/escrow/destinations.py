"""Payout destinations: the bank account a seller's payouts go to.

A seller sets it (an IBAN, checked with schwifty; the BIC optional); every change is a new row
(the newest is in use, the rest its history) and a ``payout_destination`` risk event published
in the same transaction, carrying the request's device and address, so the account-takeover
rules (``seller.payout_destination_changed``, ``seller.destination_from_new_device``) judge the
next payout live and may hold it. Only the owner reads or changes its destination; an
operator may read any seller's.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import insert, select

from tradewind.catalog.service import seller_of
from tradewind.db.tables.escrow import payout_destinations
from tradewind.db.uow import UnitOfWork, use_case
from tradewind.escrow.domain import bank_account
from tradewind.identity.domain import Principal, Role, require_role
from tradewind.kernel.ids import new_id
from tradewind.kernel.text import clean_text
from tradewind.risk.domain import EventKind, RiskEvent

MAX_HISTORY = 50
IBAN_SCHEME = "iban"


@use_case
def set_destination(
    uow: UnitOfWork,
    principal: Principal,
    *,
    holder_name: str,
    iban: str,
    bic: str | None,
    signal: RiskEvent | None = None,
) -> dict[str, Any]:
    """Check and store a new destination for the principal's shop, and tell risk."""
    require_role(principal, Role.SELLER)
    shop = seller_of(uow, principal)
    clean_text(holder_name, "holder_name")
    account = bank_account(holder_name, iban, bic or None)
    now = uow.clock.now()
    row = {
        "id": new_id("pdst"),
        "seller_id": shop["id"],
        "account_id": principal.account_id,
        "scheme": IBAN_SCHEME,
        "holder_name": account.holder_name,
        "iban": account.iban,
        "bic": account.bic,
        "country": account.country,
        "created_at": now,
    }
    uow.conn.execute(insert(payout_destinations).values(**row))
    event = signal or RiskEvent(EventKind.PAYOUT_DESTINATION, now, principal.account_id)
    uow.publish(
        replace(
            event,
            kind=EventKind.PAYOUT_DESTINATION,
            at=now,
            account_id=principal.account_id,
            seller_id=principal.account_id,
        )
    )
    return shown(row)


@use_case
def destination_history(uow: UnitOfWork, principal: Principal) -> list[dict[str, Any]]:
    """The shop's destinations, newest first (the first is in use)."""
    require_role(principal, Role.SELLER)
    shop = seller_of(uow, principal)
    rows = uow.conn.execute(
        select(payout_destinations)
        .where(payout_destinations.c.seller_id == shop["id"])
        .order_by(payout_destinations.c.id.desc())
        .limit(MAX_HISTORY)
    )
    return [shown(dict(r._mapping)) for r in rows]


def shown(row: dict[str, Any]) -> dict[str, Any]:
    """A destination as shown: the IBAN masked but for its country, check digits and last 4."""
    iban = str(row["iban"])
    return {**row, "iban_masked": f"{iban[:4]}{'•' * max(0, len(iban) - 8)}{iban[-4:]}"}
