"""A seller's performance over 30 and 90 days, read from the contexts that own each fact.

Ordering knows when orders were due and how they went (late, cancelled); escrow knows disputes
and the seller's answers; fulfilment knows which parcels the carrier scanned. Each is one read
of the seller's own rows in the longest window, by an index on the seller and the time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from tradewind.db.uow import UnitOfWork
from tradewind.escrow import figures as escrow_figures
from tradewind.fulfilment import figures as fulfilment_figures
from tradewind.ordering import figures as order_figures
from tradewind.quality.domain import WINDOWS, Figure, Measure, Rule, Verdict, judge, worst

__all__ = ["seller_figures", "seller_verdicts", "worst"]


def seller_figures(
    uow: UnitOfWork, seller_id: str, seller_account_id: str, now: datetime
) -> list[Figure]:
    """Every measure over every window in :data:`WINDOWS`, in that order."""
    shipping = order_figures.seller_shipping(uow, seller_id, now, WINDOWS)
    disputes = escrow_figures.seller_disputes(uow, seller_account_id, now, WINDOWS)
    shipped = order_figures.seller_shipped(uow, seller_id, now - timedelta(days=max(WINDOWS)))
    tracking = fulfilment_figures.seller_tracking(uow, shipped, now, WINDOWS)
    out: list[Figure] = []
    for ship, dispute, track in zip(shipping, disputes, tracking, strict=True):
        days = ship.days
        out += [
            Figure(Measure.LATE_SHIPMENT, days, ship.late, ship.due),
            Figure(Measure.VALID_TRACKING, days, track.scanned, track.parcels),
            Figure(Measure.DISPUTE, days, dispute.opened, ship.due),
            Figure(Measure.CANCELLATION, days, ship.cancelled, ship.due),
            Figure(Measure.RESPONSE_TIME, days, dispute.answer_s, dispute.opened),
        ]
    return out


def seller_verdicts(
    uow: UnitOfWork, shop: Mapping[str, Any], now: datetime, rules: tuple[Rule, ...]
) -> tuple[list[Figure], list[Verdict]]:
    """The shop's figures (``shop``: its catalog row) and each rule's verdict on them."""
    figures = seller_figures(uow, str(shop["id"]), str(shop["account_id"]), now)
    return figures, judge(figures, rules)
