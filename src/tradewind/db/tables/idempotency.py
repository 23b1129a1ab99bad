"""Idempotency records: the stored response of a request replayed with the same key."""

from sqlalchemy import Column, Index, Integer, LargeBinary, String, Table

from tradewind.db.tables.base import ID_LEN, metadata
from tradewind.db.types import UtcDateTime

idempotency_records = Table(
    "idempotency_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("principal_id", String(ID_LEN), nullable=False),
    Column("key", String(255), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response_body", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("uq_idempotency_principal_key", "principal_id", "key", unique=True),
    Index("ix_idempotency_records_created_at", "created_at"),
)
