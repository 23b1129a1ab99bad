"""Writing and reading the audit log. Entries are only ever inserted: never updated or deleted.

``record`` runs in the caller's transaction, so an action and its audit entry commit together
or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, insert, select

from tradewind.db.tables.audit import audit_log
from tradewind.db.uow import UnitOfWork
from tradewind.kernel.errors import InvalidInput, LimitExceeded
from tradewind.kernel.i18n import N_
from tradewind.kernel.problems import ProblemCode
from tradewind.kernel.text import clean_text

MAX_REASON = 500
MAX_PAGE = 200
# What an API call that sent no ``reason`` is recorded with; the console's forms ask for one.
NO_REASON = N_("no reason given")


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    at: datetime
    actor_id: str
    action: str
    subject_kind: str
    subject_id: str
    reason: str
    detail: Mapping[str, Any]


def record(
    uow: UnitOfWork,
    *,
    actor_id: str,
    action: str,
    subject_kind: str,
    subject_id: str,
    reason: str,
    detail: Mapping[str, Any] | None = None,
) -> int:
    """Append one entry; returns its id. A reason is required: why, in words."""
    reason = clean_text(reason, "reason").strip()
    if not reason:
        raise InvalidInput(N_("say why, in a few words"), code=ProblemCode.REASON_REQUIRED)
    if len(reason) > MAX_REASON:
        raise LimitExceeded(f"a reason is at most {MAX_REASON} characters")
    entry_id = uow.conn.scalar(
        insert(audit_log)
        .returning(audit_log.c.id)
        .values(
            at=uow.clock.now(),
            actor_id=actor_id,
            action=action,
            subject_kind=subject_kind,
            subject_id=subject_id,
            reason=reason,
            detail=json.dumps(dict(detail or {}), sort_keys=True),
        )
    )
    return int(entry_id)


def entries(
    uow: UnitOfWork,
    *,
    subject_kind: str | None = None,
    subject_id: str | None = None,
    limit: int = 50,
    after: int | None = None,
) -> list[Entry]:
    """Newest last, from ``after`` (an entry id); optionally one subject's entries only."""
    if not 1 <= limit <= MAX_PAGE:
        raise LimitExceeded(f"limit is 1 to {MAX_PAGE}")
    query = select(audit_log).order_by(audit_log.c.id).limit(limit)
    if subject_kind is not None:
        query = query.where(audit_log.c.subject_kind == subject_kind)
    if subject_id is not None:
        query = query.where(audit_log.c.subject_id == subject_id)
    if after is not None:
        query = query.where(audit_log.c.id > after)
    return _entries(uow, query)


@dataclass(frozen=True, slots=True)
class Search:
    """What the console's audit search filters on; None: any."""

    actor_id: str | None = None
    action: str | None = None  # exact, or a prefix ending in '.' ("seller." for all of them)
    subject_kind: str | None = None
    subject_id: str | None = None
    text: str | None = None  # words in the reason
    since: datetime | None = None
    until: datetime | None = None  # exclusive


def search(
    uow: UnitOfWork, query: Search, *, limit: int = 50, before: int | None = None
) -> list[Entry]:
    """Newest first, keyset paged: the next page is the entries with ids below ``before``."""
    if not 1 <= limit <= MAX_PAGE:
        raise LimitExceeded(f"limit is 1 to {MAX_PAGE}")
    c = audit_log.c
    statement = select(audit_log).order_by(c.id.desc()).limit(limit)
    if before is not None:
        statement = statement.where(c.id < before)
    return _entries(uow, _filtered(statement, query))


def _filtered(statement: Select[Any], query: Search) -> Select[Any]:
    c = audit_log.c
    if query.actor_id:
        statement = statement.where(c.actor_id == query.actor_id)
    if query.action and query.action.endswith("."):
        statement = statement.where(c.action.startswith(query.action, autoescape=True))
    elif query.action:
        statement = statement.where(c.action == query.action)
    if query.subject_kind:
        statement = statement.where(c.subject_kind == query.subject_kind)
    if query.subject_id:
        statement = statement.where(c.subject_id == query.subject_id)
    for word in (query.text or "").split()[:5]:
        statement = statement.where(c.reason.icontains(word, autoescape=True))
    if query.since is not None:
        statement = statement.where(c.at >= query.since)
    if query.until is not None:
        statement = statement.where(c.at < query.until)
    return statement


def _entries(uow: UnitOfWork, query: Select[Any]) -> list[Entry]:
    return [
        Entry(
            id=r.id,
            at=r.at,
            actor_id=r.actor_id,
            action=r.action,
            subject_kind=r.subject_kind,
            subject_id=r.subject_id,
            reason=r.reason,
            detail=json.loads(r.detail),
        )
        for r in uow.conn.execute(query)
    ]
