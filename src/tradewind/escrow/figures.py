"""What escrow counts: for the operator overview (disputes opened, escrow held, payouts due) and
for a seller's performance (disputes opened against the shop, time to the seller's first answer).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, literal, select

from tradewind.db.sql import seconds_between
from tradewind.db.tables.escrow import dispute_messages, disputes
from tradewind.db.types import UtcDateTime
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


@dataclass(frozen=True)
class DisputeWindow:
    """Disputes opened against one seller within one window, and how fast the seller answered.

    ``answer_s``: seconds from opening to the seller's first message, summed over the window's
    disputes; one still unanswered counts until ``now`` (silence is the slowest answer)."""

    days: int
    opened: int
    answer_s: int

    @property
    def mean_answer_s(self) -> int | None:
        return self.answer_s // self.opened if self.opened else None


def seller_disputes(
    uow: UnitOfWork, seller_account_id: str, now: datetime, windows: tuple[int, ...]
) -> list[DisputeWindow]:
    """Each window of :class:`DisputeWindow`, in one grouped read of the seller's disputes by
    opening time (``ix_disputes_seller_account_id_created_at``)."""
    first = (
        select(func.min(dispute_messages.c.at))
        .where(
            dispute_messages.c.dispute_id == disputes.c.id,
            dispute_messages.c.author_role == "seller",
        )
        .scalar_subquery()
    )
    waited = func.coalesce(
        seconds_between(uow.conn, first, disputes.c.created_at),
        seconds_between(uow.conn, literal(now, UtcDateTime()), disputes.c.created_at),
    )
    columns = []
    for days in windows:
        inside = disputes.c.created_at >= now - timedelta(days=days)
        columns += [func.sum(case((inside, 1), else_=0)), func.sum(case((inside, waited), else_=0))]
    row = uow.conn.execute(
        select(*columns).where(
            disputes.c.seller_account_id == seller_account_id,
            disputes.c.created_at >= now - timedelta(days=max(windows)),
            disputes.c.created_at < now,
        )
    ).one()
    return [
        DisputeWindow(days, int(row[2 * i] or 0), round(row[2 * i + 1] or 0))
        for i, days in enumerate(windows)
    ]
