"""Payout destinations: the bank account a seller's payouts go to.

A seller sets it (an IBAN, checked with schwifty; the BIC optional); every change is a new row
(the newest is in use, the rest its history) and a ``payout_destination`` risk event published
in the same transaction, carrying the request's device and address, so the account-takeover
rules (``seller.payout_destination_changed``, ``seller.destination_from_new_device``) judge the
next payout live and may hold it. Only the owner reads or changes its destination; an
operator may read any seller's.

A destination a payout was returned from is *flagged* (:func:`flags`, from
``payout_returns``): the seller's payouts wait until it sets a destination again (a new row,
which may be the same account once checked).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from typing import Any

from sqlalchemy import func, insert, select

from tradewind.catalog.service import seller_of
from tradewind.db.tables.escrow import payout_destinations, payout_returns
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


@use_case
def own_flag(uow: UnitOfWork, principal: Principal) -> dict[str, Any] | None:
    """The return that flags the shop's destination in use, if any (payouts wait)."""
    require_role(principal, Role.SELLER)
    shop = seller_of(uow, principal)
    return flags(uow, [shop["id"]]).get(shop["id"])


def destination_of(
    uow: UnitOfWork, seller_id: str, destination_id: str | None
) -> dict[str, Any] | None:
    """One of the seller's destinations, as shown (None: none, or not this seller's)."""
    if destination_id is None:
        return None
    row = uow.conn.execute(
        select(payout_destinations).where(
            payout_destinations.c.id == destination_id,
            payout_destinations.c.seller_id == seller_id,
        )
    ).first()
    return shown(dict(row._mapping)) if row else None


def shown(row: dict[str, Any]) -> dict[str, Any]:
    """A destination as shown: the IBAN masked but for its country, check digits and last 4."""
    iban = str(row["iban"])
    return {**row, "iban_masked": f"{iban[:4]}{'•' * max(0, len(iban) - 8)}{iban[-4:]}"}


def current_ids(uow: UnitOfWork, seller_ids: Collection[str] | None = None) -> dict[str, str]:
    """The destination in use per seller (its newest), for ``seller_ids`` or every seller;
    sellers without one are absent."""
    query = select(payout_destinations.c.seller_id, func.max(payout_destinations.c.id)).group_by(
        payout_destinations.c.seller_id
    )
    if seller_ids is not None:
        query = query.where(payout_destinations.c.seller_id.in_(set(seller_ids)))
    return {str(seller): str(newest) for seller, newest in uow.conn.execute(query)}


def flags(uow: UnitOfWork, seller_ids: Collection[str] | None = None) -> dict[str, dict[str, Any]]:
    """Sellers whose destination in use is flagged, with the return that flagged it (the
    latest): a payout to it came back. A seller with no destination is flagged by a return
    of a payout made when it had none."""
    query = select(payout_returns).order_by(payout_returns.c.id)
    if seller_ids is not None:
        query = query.where(payout_returns.c.seller_id.in_(set(seller_ids)))
    returned = [dict(r._mapping) for r in uow.conn.execute(query)]
    if not returned:
        return {}
    current = current_ids(uow, {r["seller_id"] for r in returned})
    return {
        r["seller_id"]: r for r in returned if r["destination_id"] == current.get(r["seller_id"])
    }
