"""Stock moves. No check-then-act: each move is one conditional UPDATE whose row count decides.

Reservations lock offer rows in ascending id order, so two checkouts that want the same offers
can never deadlock, on PostgreSQL or anywhere else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, select, update

from tradewind.db.tables.catalog import offers
from tradewind.db.uow import UnitOfWork
from tradewind.kernel.errors import Conflict, DomainError, NotFound, OutOfStock


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


@dataclass(frozen=True, slots=True)
class PricedUnits:
    """Units of an offer wanted at the price (and currency) the buyer was quoted."""

    offer_id: str
    quantity: int
    price_minor: int
    currency: str


# Built once: checkouts run this for every line, and a prepared statement skips the rebuild.
_TAKE_AT_PRICE = (
    update(offers)
    .where(
        offers.c.id == bindparam("offer"),
        offers.c.stock >= bindparam("wanted"),
        offers.c.status == "active",
        offers.c.price_minor == bindparam("price"),
        offers.c.currency == bindparam("price_currency"),
    )
    .values(stock=offers.c.stock - bindparam("wanted"), version=offers.c.version + 1)
)


def lock_for_reservation(uow: UnitOfWork, offer_ids: Iterable[str]) -> None:
    """Lock these offer rows in id order before a batch of checkouts reserves them.

    Each checkout takes its own offers in id order, but a batch of them does not, so two
    batches in two server processes could deadlock. Taking every row first, in one order,
    rules that out. SQLite needs nothing: its writer already holds the whole database.
    """
    ids = sorted(set(offer_ids))
    if ids and not uow.is_sqlite:
        uow.conn.execute(
            select(offers.c.id).where(offers.c.id.in_(ids)).order_by(offers.c.id).with_for_update()
        ).all()


def reserve_at_prices(uow: UnitOfWork, wanted: Sequence[PricedUnits]) -> DomainError | None:
    """Like :func:`reserve`, but only at the quoted prices, for checkouts priced before their
    write transaction: an offer whose price changed meanwhile is refused, never sold at a price
    the buyer did not see.

    Returns the refusal instead of raising, after taking nothing: the caller applies many
    checkouts in one transaction and must not lose the others'. Offers are taken in id order.
    """
    taken: list[PricedUnits] = []
    for units in sorted(wanted, key=lambda u: u.offer_id):
        row_count = uow.conn.execute(
            _TAKE_AT_PRICE,
            {
                "offer": units.offer_id,
                "wanted": units.quantity,
                "price": units.price_minor,
                "price_currency": units.currency,
            },
        ).rowcount
        if row_count != 1:
            give_back(uow, {u.offer_id: u.quantity for u in taken}, restore_version=True)
            return _refusal(uow, units)
        taken.append(units)
    return None


def _refusal(uow: UnitOfWork, units: PricedUnits) -> DomainError:
    row = uow.conn.execute(
        select(offers.c.status, offers.c.price_minor, offers.c.currency).where(
            offers.c.id == units.offer_id
        )
    ).first()
    if row is None or row.status != "active":
        return NotFound(
            f"offer {units.offer_id} not found or not on sale", code="offer_unavailable"
        )
    if (row.price_minor, row.currency) != (units.price_minor, units.currency):
        return Conflict(
            f"the price of offer {units.offer_id} changed while you checked out; "
            "review the new price and place the checkout again",
            code="offer_price_changed",
        )
    return OutOfStock(f"offer {units.offer_id} does not have {units.quantity} units available")


def give_back(
    uow: UnitOfWork, quantities: Mapping[str, int], *, restore_version: bool = False
) -> None:
    """Return units to stock. Callers guarantee once-only by a conditional state change first.

    ``restore_version`` undoes a take made earlier in the same transaction, so the offer ends
    exactly as it was (a seller's edit in flight is not refused for a checkout that failed).
    """
    step = -1 if restore_version else 1
    for offer_id in sorted(quantities):
        uow.conn.execute(
            update(offers)
            .where(offers.c.id == offer_id)
            .values(stock=offers.c.stock + quantities[offer_id], version=offers.c.version + step)
        )
