"""An inbox per account. Sending e-mail or push is a delivery concern left to an adapter; the
record here is what every channel reads, and what the pages show.

A notification keeps its catalog message (marked ``N_``, English, with ``%(name)s``
placeholders) and the values that fill it, besides the English subject: :func:`text_of`
speaks it in the reader's language when it is read (decision 46), so a Hebrew buyer and a
Chinese seller read the same parcel news each in their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import insert, select, update

from tradewind.db.tables.notifications import notifications
from tradewind.db.uow import UnitOfWork
from tradewind.kernel.errors import NotFound
from tradewind.kernel.i18n import _

MAX_SUBJECT_LEN = 200


def notify(
    uow: UnitOfWork,
    account_ids: Iterable[str],
    kind: str,
    message: str,
    params: Mapping[str, str | int] | None = None,
    *,
    order_id: str | None = None,
) -> None:
    """``message``: marked ``N_("Parcel %(number)s was delivered.")``; ``params`` fill it."""
    now = uow.clock.now()
    values = dict(params or {})
    subject = (message % values if values else message)[:MAX_SUBJECT_LEN]
    rows = [
        {
            "account_id": a,
            "kind": kind,
            "subject": subject,
            "message": message[:MAX_SUBJECT_LEN],
            "params": values,
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


def text_of(row: Mapping[str, Any]) -> str:
    """A notification in the current language (``kernel.i18n``); its English subject when it
    has no message (older rows) or its values no longer fit the message's translation."""
    message, values = row.get("message"), row.get("params")
    if not message:
        return str(row["subject"])
    try:
        return _(message) % (values or {}) if values else _(message)
    except (KeyError, TypeError, ValueError):
        return str(row["subject"])
