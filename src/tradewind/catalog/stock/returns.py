"""Stock coming back: units of cancelled or returned orders. Taking stock for checkouts is
:mod:`tradewind.catalog.stock.batch`; flash sales take from their own pool.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import update

from tradewind.db.tables.catalog import offers
from tradewind.db.uow import UnitOfWork


def give_back(uow: UnitOfWork, quantities: Mapping[str, int]) -> None:
    """Return units to stock. Callers guarantee once-only by a conditional state change first."""
    for offer_id in sorted(quantities):
        uow.conn.execute(
            update(offers)
            .where(offers.c.id == offer_id)
            .values(stock=offers.c.stock + quantities[offer_id], version=offers.c.version + 1)
        )
