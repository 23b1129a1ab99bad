"""What the operator overview counts from escrow: disputes opened, escrow held, payouts due."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from tradewind.db.tables.escrow import disputes
from tradewind.db.uow import UnitOfWork
from tradewind.ledger.service import balance_totals


def disputes_opened(uow: UnitOfWork, since: datetime) -> int:
    return int(
        uow.conn.scalar(
            select(func.count()).select_from(disputes).where(disputes.c.created_at >= since)
        )
        or 0
    )


def escrow_held(uow: UnitOfWork) -> dict[str, int]:
    """Buyers' money held in escrow now, per currency (minor units, positive)."""
    return {c: -total for c, total in balance_totals(uow, "order:%:escrow").items() if total}


def payouts_due(uow: UnitOfWork) -> dict[str, int]:
    """What the platform owes sellers now (their payables in credit), per seller currency."""
    owed = balance_totals(uow, "seller:%:payable", credit_only=True)
    return {c: -total for c, total in owed.items() if total}
