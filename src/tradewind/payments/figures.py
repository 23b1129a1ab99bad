"""What the operator overview counts from payments: refunds made."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from tradewind.db.tables.payments import refunds
from tradewind.db.uow import UnitOfWork


def orders_refunded(uow: UnitOfWork, since: datetime) -> int:
    """Orders with at least one refund since ``since`` (full or partial)."""
    return int(
        uow.conn.scalar(
            select(func.count(func.distinct(refunds.c.order_id))).where(
                refunds.c.created_at >= since
            )
        )
        or 0
    )
