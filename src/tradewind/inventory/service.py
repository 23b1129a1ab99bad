"""Stock moves. No check-then-act: each move is one conditional UPDATE whose row count decides.

Reservations lock offer rows in ascending id order, so two checkouts that want the same offers
can never deadlock, on PostgreSQL or anywhere else.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import update

from tradewind.db.tables.catalog import offers
from tradewind.db.uow import UnitOfWork
from tradewind.kernel.errors import OutOfStock


def reserve(uow: UnitOfWork, quantities: Mapping[str, int]) -> None:
    """Take ``quantities`` (offer id -> units) from stock, all or nothing.

    Raises OutOfStock naming the first offer that is short; the caller's transaction then rolls
    back every decrement already made, so a failed checkout changes nothing.
    """
    for offer_id in sorted(quantities):
        wanted = quantities[offer_id]
        taken = uow.conn.execute(
            update(offers)
            .where(offers.c.id == offer_id, offers.c.stock >= wanted, offers.c.status == "active")
            .values(stock=offers.c.stock - wanted, version=offers.c.version + 1)
        ).rowcount
        if taken != 1:
            raise OutOfStock(f"offer {offer_id} does not have {wanted} units available")


def give_back(uow: UnitOfWork, quantities: Mapping[str, int]) -> None:
    """Return units to stock. Callers guarantee once-only by a conditional state change first."""
    for offer_id in sorted(quantities):
        uow.conn.execute(
            update(offers)
            .where(offers.c.id == offer_id)
            .values(stock=offers.c.stock + quantities[offer_id], version=offers.c.version + 1)
        )
