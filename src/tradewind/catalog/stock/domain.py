"""Judging checkouts against offer stock: pure, no I/O.

A batch of checkouts is judged against what its offers hold once they are locked
(:mod:`tradewind.catalog.stock.batch` locks, reads and writes them). :class:`StockLedger` takes each
checkout's lines all or nothing, in the order the checkouts arrived, and refuses the checkout if
a line's offer is gone, its price (or currency) is no longer the one the buyer was quoted, or
its stock is short. A refusal is returned rather than raised: the caller refuses that checkout
and goes on with its neighbours in the batch.

Why apart from the SQL: the rules are tested without a database (tests/unit/test_stock_ledger.py),
and the purity contract (``tradewind.**.domain`` in pyproject.toml) keeps them that way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tradewind.kernel.errors import Conflict, DomainError, NotFound, OutOfStock
from tradewind.kernel.problems import ProblemCode


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
                f"offer {units.offer_id} not found or not on sale",
                code=ProblemCode.OFFER_UNAVAILABLE,
            )
        if (offer.price_minor, offer.currency) != (units.price_minor, units.currency):
            return Conflict(
                f"the price of offer {units.offer_id} changed while you checked out; "
                "review the new price and place the checkout again",
                code=ProblemCode.OFFER_PRICE_CHANGED,
            )
        if offer.stock < units.quantity:
            return OutOfStock(
                f"offer {units.offer_id} does not have {units.quantity} units available"
            )
        return None
