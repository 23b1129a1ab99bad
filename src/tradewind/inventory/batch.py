"""Reserving stock for a batch of checkouts written in one transaction.

The batch's offer rows are locked first, in ascending id order (``SELECT ... FOR UPDATE`` on
PostgreSQL; on SQLite the writer already holds the whole database), and read in the same
statement. Each checkout is then judged against what the rows still hold, all or nothing, in
arrival order (:class:`StockLedger`, pure), and the units taken are written with one
conditional UPDATE for the whole batch. That is check-then-act only under locks
that nobody else can get until the commit, and the UPDATE still re-checks stock and price and
refuses the batch (which is then retried checkout by checkout) if anything disagrees.

Why: one statement per batch instead of one per checkout line; on PostgreSQL that is dozens
fewer round trips while the hot offer rows are locked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import case, select, update

from tradewind.db.tables.catalog import offers
from tradewind.db.uow import UnitOfWork
from tradewind.kernel.errors import Conflict, DomainError, NotFound, OutOfStock


@dataclass(frozen=True, slots=True)
class PricedUnits:
    """Units of an offer wanted at the price (and currency) the buyer was quoted."""

    offer_id: str
    quantity: int
    price_minor: int
    currency: str


@dataclass(slots=True)
class OfferStock:
    stock: int
    price_minor: int
    currency: str
    active: bool


class StockLedger:
    """What the locked offers hold, as checkouts of the batch take from it (pure)."""

    def __init__(self, offers_now: Mapping[str, OfferStock]) -> None:
        self._offers = dict(offers_now)
        self.taken: dict[str, int] = {}

    def take(self, wanted: Sequence[PricedUnits]) -> DomainError | None:
        """Take every line or none; returns the refusal instead of raising."""
        for units in sorted(wanted, key=lambda u: u.offer_id):
            refusal = self._refusal(units)
            if refusal is not None:
                return refusal
        for units in wanted:
            self._offers[units.offer_id].stock -= units.quantity
            self.taken[units.offer_id] = self.taken.get(units.offer_id, 0) + units.quantity
        return None

    def _refusal(self, units: PricedUnits) -> DomainError | None:
        offer = self._offers.get(units.offer_id)
        if offer is None or not offer.active:
            return NotFound(
                f"offer {units.offer_id} not found or not on sale", code="offer_unavailable"
            )
        if (offer.price_minor, offer.currency) != (units.price_minor, units.currency):
            return Conflict(
                f"the price of offer {units.offer_id} changed while you checked out; "
                "review the new price and place the checkout again",
                code="offer_price_changed",
            )
        if offer.stock < units.quantity:
            return OutOfStock(
                f"offer {units.offer_id} does not have {units.quantity} units available"
            )
        return None


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
