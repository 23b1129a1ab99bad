"""What the operator overview counts from ordering: sales by hour, checkouts, late shipments.

Grouped by UTC hour in SQL (``db.sql.utc_hour``) so the page folds them into the operator's own
days; each is one indexed range read, whatever the number of orders before ``since``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select

from tradewind.db.sql import utc_hour
from tradewind.db.tables.ordering import checkouts, orders
from tradewind.db.uow import UnitOfWork
from tradewind.ordering.domain import OrderStatus


@dataclass(frozen=True)
class HourSales:
    """Checkouts paid in one UTC hour, in one buyer currency, and the seller orders they made."""

    hour: datetime
    currency: str
    checkouts_paid: int
    gmv_minor: int
    orders: int


def _hour(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H").replace(tzinfo=UTC)


def sales_by_hour(uow: UnitOfWork, since: datetime) -> list[HourSales]:
    """Paid checkouts (what buyers paid, in their currency) per UTC hour since ``since``."""
    paid_hour = utc_hour(uow.conn, checkouts.c.paid_at).label("hour")
    paid = uow.conn.execute(
        select(paid_hour, checkouts.c.currency, func.count(), func.sum(checkouts.c.total_minor))
        .where(checkouts.c.paid_at >= since)
        .group_by(paid_hour, checkouts.c.currency)
    ).all()
    order_count = {
        (str(hour), str(currency)): int(count)
        for hour, currency, count in uow.conn.execute(
            select(paid_hour, checkouts.c.currency, func.count(orders.c.id))
            .join(orders, orders.c.checkout_id == checkouts.c.id)
            .where(checkouts.c.paid_at >= since)
            .group_by(paid_hour, checkouts.c.currency)
        ).all()
    }
    return sorted(
        (
            HourSales(
                _hour(hour), currency, int(count), int(total), order_count.get((hour, currency), 0)
            )
            for hour, currency, count, total in paid
        ),
        key=lambda h: (h.hour, h.currency),
    )


def checkouts_created(uow: UnitOfWork, since: datetime) -> int:
    """Checkouts placed since ``since``, paid or not (the conversion's denominator)."""
    return int(
        uow.conn.scalar(
            select(func.count()).select_from(checkouts).where(checkouts.c.created_at >= since)
        )
        or 0
    )


def checkouts_paid_of_created(uow: UnitOfWork, since: datetime) -> int:
    """Of the checkouts placed since ``since``, how many were paid (at any time)."""
    return int(
        uow.conn.scalar(
            select(func.count())
            .select_from(checkouts)
            .where(checkouts.c.created_at >= since, checkouts.c.paid_at.is_not(None))
        )
        or 0
    )


def late_to_ship(uow: UnitOfWork, now: datetime) -> int:
    """Paid orders still not shipped after their ship-by time."""
    return int(
        uow.conn.scalar(
            select(func.count())
            .select_from(orders)
            .where(
                orders.c.status == OrderStatus.AWAITING_SHIPMENT.value,
                orders.c.ship_by_at < now,
            )
        )
        or 0
    )
