"""Storing and replaying results by (principal, Idempotency-Key).

The record is claimed *before* the work runs, inside the work's own transaction. A concurrent
duplicate therefore waits on the unique index (PostgreSQL) or the write lock (SQLite) until the
first commits, then finds the stored result instead of doing the work again. If the work fails,
the claim rolls back with it and a retry runs afresh: a failure changed nothing, so re-running
it is safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, select, update

from tradewind.db.sql import inserted_ignoring_conflicts
from tradewind.db.tables.idempotency import idempotency_records
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


@dataclass(frozen=True, slots=True)
class Claim:
    principal_id: str
    key: str
    request_hash: str


def claim(uow: UnitOfWork, principal_id: str, key: str, request_hash: str) -> StoredResult | None:
    """Claim ``key`` for this request, or return the stored result of its first use."""
    (outcome,) = claim_many(uow, [Claim(principal_id, key, request_hash)])
    if isinstance(outcome, IdempotencyKeyReused):
        raise outcome
    return outcome


def claim_many(
    uow: UnitOfWork, claims: Sequence[Claim]
) -> list[StoredResult | IdempotencyKeyReused | None]:
    """Claim every key with one INSERT. Per claim: None if it is ours now, else the stored
    result of the first use, or the refusal if that first use was a different request.

    The claims must name distinct (principal, key) pairs; the caller settles twins itself.
    """
    now = uow.clock.now()
    inserted = {
        (row.principal_id, row.key)
        for row in inserted_ignoring_conflicts(
            uow.conn,
            idempotency_records,
            [
                {
                    "principal_id": c.principal_id,
                    "key": c.key,
                    "request_hash": c.request_hash,
                    "status_code": _PENDING,
                    "response_body": b"",
                    "created_at": now,
                }
                for c in claims
            ],
            idempotency_records.c.principal_id,
            idempotency_records.c.key,
        )
    }
    outcomes: list[StoredResult | IdempotencyKeyReused | None] = []
    for c in claims:
        if (c.principal_id, c.key) in inserted:
            outcomes.append(None)
            continue
        # Used before, or a concurrent twin committed first (we waited for it): its result.
        try:
            stored = find(uow, c)
        except IdempotencyKeyReused as refused:
            outcomes.append(refused)
            continue
        if stored is None:
            raise RuntimeError("idempotency record vanished between insert and read")
        outcomes.append(stored)
    return outcomes


def find(uow: UnitOfWork, claim: Claim) -> StoredResult | None:
    """The stored answer to this key's first use, if any; refuses a different request."""
    principal_id, key = claim.principal_id, claim.key
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
    if row.request_hash != claim.request_hash:
        raise key_reused()
    return StoredResult(row.status_code, bytes(row.response_body))


def release(uow: UnitOfWork, principal_id: str, key: str) -> None:
    """Give a claim up inside its transaction (the work was refused): a retry runs afresh."""
    uow.conn.execute(
        delete(idempotency_records).where(
            idempotency_records.c.principal_id == principal_id, idempotency_records.c.key == key
        )
    )


def key_reused() -> IdempotencyKeyReused:
    return IdempotencyKeyReused(
        "this Idempotency-Key was used for a different request; use a new key"
    )


def complete(uow: UnitOfWork, principal_id: str, key: str, result: StoredResult) -> None:
    complete_many(uow, [(principal_id, key, result)])


_COMPLETE = (
    update(idempotency_records)
    .where(
        idempotency_records.c.principal_id == bindparam("principal"),
        idempotency_records.c.key == bindparam("claimed_key"),
    )
    .values(status_code=bindparam("status"), response_body=bindparam("body"))
)


def complete_many(uow: UnitOfWork, results: Sequence[tuple[str, str, StoredResult]]) -> None:
    """Store the results of claimed keys (one statement, executed for every row)."""
    if results:
        uow.conn.execute(
            _COMPLETE,
            [
                {"principal": p, "claimed_key": k, "status": r.status_code, "body": r.body}
                for p, k, r in results
            ],
        )


def purge(uow: UnitOfWork, older_than: datetime) -> int:
    return uow.conn.execute(
        delete(idempotency_records).where(idempotency_records.c.created_at < older_than)
    ).rowcount
