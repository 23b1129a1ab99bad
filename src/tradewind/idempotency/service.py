"""Storing and replaying results by (principal, Idempotency-Key).

The record is claimed *before* the work runs, inside the work's own transaction. A concurrent
duplicate therefore waits on the unique index (PostgreSQL) or the write lock (SQLite) until the
first commits, then finds the stored result instead of doing the work again. If the work fails,
the claim rolls back with it and a retry runs afresh: a failure changed nothing, so re-running
it is safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update

from tradewind.db.sql import insert_ignoring_conflicts
from tradewind.db.tables.platform import idempotency_records
from tradewind.db.uow import UnitOfWork
from tradewind.kernel.errors import FieldError, IdempotencyKeyReused, InvalidInput

MAX_KEY_LEN = 255
RETENTION_S = 48 * 3600  # at least the promised 24 hours, with margin for slow retries
_PENDING = 0


@dataclass(frozen=True, slots=True)
class StoredResult:
    status_code: int
    body: bytes


def validate_key(key: str) -> str:
    if not 1 <= len(key) <= MAX_KEY_LEN or not key.isprintable():
        raise InvalidInput(
            f"Idempotency-Key must be 1 to {MAX_KEY_LEN} printable characters",
            errors=[FieldError("Idempotency-Key", "invalid", "invalid_idempotency_key")],
        )
    return key


def claim(uow: UnitOfWork, principal_id: str, key: str, request_hash: str) -> StoredResult | None:
    """Claim ``key`` for this request, or return the stored result of its first use."""
    inserted = insert_ignoring_conflicts(
        uow.conn,
        idempotency_records,
        {
            "principal_id": principal_id,
            "key": key,
            "request_hash": request_hash,
            "status_code": _PENDING,
            "response_body": b"",
            "created_at": uow.clock.now(),
        },
    )
    if inserted:
        return None
    # Used before, or a concurrent twin committed first (we waited for it): serve its result.
    stored = _lookup(uow, principal_id, key, request_hash)
    if stored is None:
        raise RuntimeError("idempotency record vanished between insert and read")
    return stored


def _lookup(uow: UnitOfWork, principal_id: str, key: str, request_hash: str) -> StoredResult | None:
    row = uow.conn.execute(
        select(
            idempotency_records.c.request_hash,
            idempotency_records.c.status_code,
            idempotency_records.c.response_body,
        ).where(
            idempotency_records.c.principal_id == principal_id, idempotency_records.c.key == key
        )
    ).first()
    if row is None:
        return None
    if row.request_hash != request_hash:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was used for a different request; use a new key"
        )
    return StoredResult(row.status_code, bytes(row.response_body))


def complete(uow: UnitOfWork, principal_id: str, key: str, result: StoredResult) -> None:
    uow.conn.execute(
        update(idempotency_records)
        .where(idempotency_records.c.principal_id == principal_id, idempotency_records.c.key == key)
        .values(status_code=result.status_code, response_body=result.body)
    )


def purge(uow: UnitOfWork, older_than: datetime) -> int:
    return uow.conn.execute(
        delete(idempotency_records).where(idempotency_records.c.created_at < older_than)
    ).rowcount
