"""Reserving stock for a batch of checkouts written in one transaction.

The batch's offer rows are locked first, in ascending id order (``SELECT ... FOR UPDATE`` on
PostgreSQL; on SQLite the writer already holds the whole database), and read in the same
statement. Each checkout is then judged against what the rows still hold, all or nothing, in
arrival order (:class:`tradewind.catalog.stock.domain.StockLedger`, pure), and the units taken are
written with one conditional UPDATE for the whole batch. That is check-then-act only under locks
that nobody else can get until the commit, and the UPDATE still re-checks stock and price and
refuses the batch (which is then retried checkout by checkout) if anything disagrees.

Why: one statement per batch instead of one per checkout line; on PostgreSQL that is dozens
fewer round trips while the hot offer rows are locked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import case, select, update

from tradewind.catalog.stock.domain import OfferStock, StockLedger
from tradewind.db.tables.catalog import offers
from tradewind.db.uow import UnitOfWork


def lock_offers(uow: UnitOfWork, offer_ids: Iterable[str]) -> StockLedger:
    """Lock these offers in id order until the transaction ends, and read what they hold."""
    ids = sorted(set(offer_ids))
    if not ids:
        return StockLedger({})
    query = (
        select(
            offers.c.id, offers.c.stock, offers.c.price_minor, offers.c.currency, offers.c.status
        )
        .where(offers.c.id.in_(ids))
        .order_by(offers.c.id)
    )
    if not uow.is_sqlite:
        query = query.with_for_update()
    return StockLedger(
        {
            row.id: OfferStock(row.stock, row.price_minor, row.currency, row.status == "active")
            for row in uow.conn.execute(query)
        }
    )


def write_takes(uow: UnitOfWork, taken: Mapping[str, int]) -> None:
    """Write what the batch took: one UPDATE for every offer at once.

    Raises (failing the whole batch) if a row no longer agrees with what was read under its
    lock, which would be a bug; the stock condition stays in the statement regardless.
    """
    if not taken:
        return
    # CASE rather than UPDATE ... FROM (VALUES ...): SQLite cannot name a VALUES list's columns.
    units = case(dict(sorted(taken.items())), value=offers.c.id)
    written = uow.conn.execute(
        update(offers)
        .where(offers.c.id.in_(sorted(taken)), offers.c.stock >= units)
        .values(stock=offers.c.stock - units, version=offers.c.version + 1)
    ).rowcount
    if written != len(taken):
        raise RuntimeError(f"{len(taken) - written} offers changed under their locks")
