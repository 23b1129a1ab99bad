"""What ordering counts for the operator overview (sales by hour, checkouts, late shipments) and
for a seller's performance (orders due to ship per window: late, cancelled; shipped orders).

Grouped by UTC hour in SQL (``db.sql.utc_hour``) so the page folds them into the operator's own
days; each is one indexed range read, whatever the number of orders before ``since``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, func, select

from tradewind.db.sql import seconds_between, utc_hour
from tradewind.db.tables.ordering import checkouts, order_events, orders
from tradewind.db.uow import UnitOfWork
from tradewind.ordering.checkout import SHIP_BY_GRACE_DAYS
from tradewind.ordering.domain import OrderEvent, OrderStatus


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


@dataclass(frozen=True)
class ShippingWindow:
    """One seller's paid orders whose dispatch was promised within one window, and how they went.

    The promise is the shop's handling time after payment (the ship-by deadline less its
    ``SHIP_BY_GRACE_DAYS``, after which the order is cancelled). ``due``: orders promised in
    the window; ``late``: of those, shipped after the promise or not shipped by it (still
    waiting, or cancelled by the ship-by timer); ``cancelled``: of those, cancelled by the
    seller or by the ship-by timer (a buyer cancelling an unpaid order has no promise).
    """

    days: int
    due: int
    late: int
    cancelled: int


_SELLER_CANCELS = (OrderEvent.MISS_SHIP_BY.value, OrderEvent.ACCEPT_CANCELLATION.value)
_GRACE = timedelta(days=SHIP_BY_GRACE_DAYS)


def seller_shipping(
    uow: UnitOfWork, seller_id: str, now: datetime, windows: tuple[int, ...]
) -> list[ShippingWindow]:
    """Each window (days back from ``now``) of :class:`ShippingWindow` in one grouped read of
    the seller's orders by ship-by time (``ix_orders_seller_id_ship_by_at``)."""
    shipped = order_events.alias("shipped")
    cancel = order_events.alias("cancel")
    after_promise = seconds_between(uow.conn, shipped.c.at, orders.c.ship_by_at) > (
        -_GRACE.total_seconds()
    )
    late = case(
        (cancel.c.event == OrderEvent.MISS_SHIP_BY.value, 1),
        (cancel.c.event.is_not(None), 0),
        (shipped.c.at.is_(None), 1),
        (after_promise, 1),
        else_=0,
    )
    cancelled = case((cancel.c.event.is_not(None), 1), else_=0)
    columns = []
    for days in windows:
        inside = orders.c.ship_by_at >= now - timedelta(days=days) + _GRACE
        columns += [
            func.sum(case((inside, 1), else_=0)),
            func.sum(case((inside, late), else_=0)),
            func.sum(case((inside, cancelled), else_=0)),
        ]
    row = uow.conn.execute(
        select(*columns)
        .select_from(
            orders.outerjoin(
                shipped,
                (shipped.c.order_id == orders.c.id) & (shipped.c.event == OrderEvent.SHIP.value),
            ).outerjoin(
                cancel, (cancel.c.order_id == orders.c.id) & cancel.c.event.in_(_SELLER_CANCELS)
            )
        )
        .where(
            orders.c.seller_id == seller_id,
            orders.c.ship_by_at >= now - timedelta(days=max(windows)) + _GRACE,
            orders.c.ship_by_at < now + _GRACE,
        )
    ).one()
    return [
        ShippingWindow(days, *(int(row[3 * i + k] or 0) for k in range(3)))
        for i, days in enumerate(windows)
    ]


def seller_shipped(uow: UnitOfWork, seller_id: str, since: datetime) -> dict[str, datetime]:
    """The seller's orders shipped since ``since``, with when (for the valid-tracking rate,
    which fulfilment judges from the parcels' scans)."""
    return {
        str(order_id): at
        for order_id, at in uow.conn.execute(
            select(orders.c.id, order_events.c.at)
            .join(order_events, order_events.c.order_id == orders.c.id)
            .where(
                orders.c.seller_id == seller_id,
                orders.c.ship_by_at >= since - _GRACE,  # the ship-by timer cancels the rest
                order_events.c.event == OrderEvent.SHIP.value,
                order_events.c.at >= since,
            )
        ).all()
    }
