"""What fulfilment counts for a seller's performance: parcels whose tracking the carrier knows.

A tracking number is *valid* once the carrier has scanned the parcel (any event on its
timeline). A parcel gets :data:`FIRST_SCAN` after shipping before it counts, so a parcel handed
over this morning is not yet held against the shop.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import select

from tradewind.db.tables.logistics import shipments
from tradewind.db.uow import UnitOfWork

FIRST_SCAN: Final = timedelta(days=2)
_CHUNK: Final = 500  # order ids per IN list


@dataclass(frozen=True)
class TrackingWindow:
    days: int
    parcels: int  # shipped in the window, at least FIRST_SCAN ago
    scanned: int  # of those, scanned by the carrier


def seller_tracking(
    uow: UnitOfWork, shipped: Mapping[str, datetime], now: datetime, windows: tuple[int, ...]
) -> list[TrackingWindow]:
    """Each window (days back from ``now``) of :class:`TrackingWindow` over the orders
    ``shipped`` (order id to ship time, from ordering), read by the shipments' order ids."""
    ids = [order_id for order_id, at in shipped.items() if at <= now - FIRST_SCAN]
    scanned: set[str] = set()
    for start in range(0, len(ids), _CHUNK):
        scanned.update(
            str(order_id)
            for (order_id,) in uow.conn.execute(
                select(shipments.c.order_id).where(
                    shipments.c.order_id.in_(ids[start : start + _CHUNK]),
                    shipments.c.last_event_at.is_not(None),
                )
            ).all()
        )
    out = []
    for days in windows:
        inside = [i for i in ids if shipped[i] >= now - timedelta(days=days)]
        out.append(TrackingWindow(days, len(inside), sum(1 for i in inside if i in scanned)))
    return out
