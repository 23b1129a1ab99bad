"""An inbox per account. Sending e-mail or push is a delivery concern left to an adapter; the
record here is what every channel reads, and what the pages show."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert, select, update

from tradewind.db.tables.notifications import notifications
from tradewind.db.uow import UnitOfWork
from tradewind.kernel.errors import NotFound

MAX_SUBJECT_LEN = 200


def notify(
    uow: UnitOfWork,
    account_ids: Iterable[str],
    kind: str,
    subject: str,
    *,
    order_id: str | None = None,
) -> None:
    now = uow.clock.now()
    rows = [
        {
            "account_id": a,
            "kind": kind,
            "subject": subject[:MAX_SUBJECT_LEN],
            "order_id": order_id,
            "created_at": now,
            "read_at": None,
        }
        for a in dict.fromkeys(account_ids)
    ]
    if rows:
        uow.conn.execute(insert(notifications), rows)


def inbox(
    uow: UnitOfWork, account_id: str, *, limit: int, after: int | None
) -> list[dict[str, Any]]:
    query = (
        select(notifications)
        .where(notifications.c.account_id == account_id)
        .order_by(notifications.c.id.desc())
        .limit(limit)
    )
    if after is not None:
        query = query.where(notifications.c.id < after)
    return [dict(r._mapping) for r in uow.conn.execute(query)]


def mark_read(uow: UnitOfWork, account_id: str, notification_id: int) -> None:
    changed = uow.conn.execute(
        update(notifications)
        .where(notifications.c.id == notification_id, notifications.c.account_id == account_id)
        .values(read_at=uow.clock.now())
    ).rowcount
    if not changed:
        raise NotFound("notification not found")
