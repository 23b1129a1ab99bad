"""The operator's payout queue: what is due, which shops are held, which payouts failed.

An operator holds a shop's payouts (the batch then pays it nothing) and releases them, each
with a reason in the audit log; holding a held shop or releasing a free one changes nothing and
records nothing, so a repeated click is harmless. Money never moves here: the batch
(:mod:`tradewind.escrow.payouts`) books every payout through the ledger, and a failed one is
retried there (:func:`tradewind.escrow.payouts.retry_payout`).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import delete, select

from tradewind.audit import service as audit
from tradewind.catalog.service import get_seller
from tradewind.db.sql import insert_ignoring_conflicts
from tradewind.db.tables.escrow import payout_holds, payouts
from tradewind.db.uow import UnitOfWork
from tradewind.identity.domain import Permission, Principal, require_permission
from tradewind.ledger.service import credit_balances

FAILED = "refused"  # the processor refused it; its money went back to the shop's balance
RETRIED = "retried"  # a failed payout an operator paid again (the new payout has its own row)
MAX_LISTED = 200


def hold(uow: UnitOfWork, principal: Principal, seller_id: str, reason: str) -> bool:
    """Stop the shop's payouts until released; False (and nothing recorded) if already held."""
    require_permission(principal, Permission.PAYOUTS)
    get_seller(uow, seller_id)  # 404 for a shop that does not exist
    row = {
        "seller_id": seller_id,
        "reason": reason,
        "held_by": principal.account_id,
        "held_at": uow.clock.now(),
    }
    if not insert_ignoring_conflicts(uow.conn, payout_holds, row):
        return False
    audit.record(
        uow,
        actor_id=principal.account_id,
        action="payouts.hold",
        subject_kind="seller",
        subject_id=seller_id,
        reason=reason,
    )
    return True


def release(uow: UnitOfWork, principal: Principal, seller_id: str, reason: str) -> bool:
    """Let the next batch pay the shop again; False (and nothing recorded) if it was not held."""
    require_permission(principal, Permission.PAYOUTS)
    get_seller(uow, seller_id)
    gone = uow.conn.execute(delete(payout_holds).where(payout_holds.c.seller_id == seller_id))
    if gone.rowcount != 1:
        return False
    audit.record(
        uow,
        actor_id=principal.account_id,
        action="payouts.release",
        subject_kind="seller",
        subject_id=seller_id,
        reason=reason,
    )
    return True


def held_ids(uow: UnitOfWork, seller_ids: Collection[str] | None = None) -> set[str]:
    """The shops (of ``seller_ids``, or all) whose payouts an operator holds."""
    query = select(payout_holds.c.seller_id)
    if seller_ids is not None:
        query = query.where(payout_holds.c.seller_id.in_(set(seller_ids)))
    return set(uow.conn.scalars(query))


def holds(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Every operator hold, oldest first (a held shop waits for a decision)."""
    query = select(payout_holds).order_by(payout_holds.c.held_at, payout_holds.c.seller_id)
    return [dict(r._mapping) for r in uow.conn.execute(query.limit(MAX_LISTED))]


def due(uow: UnitOfWork) -> list[dict[str, Any]]:
    """What the platform owes each shop now (its payable in credit), largest first."""
    rows = []
    for account, currency, balance in credit_balances(uow, "seller:%:payable", MAX_LISTED):
        seller_id = account.removeprefix("seller:").removesuffix(":payable")
        rows.append({"seller_id": seller_id, "currency": currency, "amount_minor": -balance})
    return rows


def failed(uow: UnitOfWork, *, limit: int, after: str | None) -> list[dict[str, Any]]:
    """Payouts the processor refused and no operator retried yet, by id (keyset paged)."""
    query = select(payouts).where(payouts.c.status == FAILED).order_by(payouts.c.id).limit(limit)
    if after:
        query = query.where(payouts.c.id > after)
    return [dict(r._mapping) for r in uow.conn.execute(query)]
