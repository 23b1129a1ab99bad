"""Cross-cutting machinery: durable timers and idempotency records."""

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from tradewind.db.tables.base import ID_LEN, metadata
from tradewind.db.types import UtcDateTime

timers = Table(
    "timers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(64), nullable=False),
    # Why a dedupe key: scheduling the same timer twice (a retried request) must not fire twice.
    Column("dedupe_key", String(200), nullable=False, unique=True),
    Column("payload", JSON, nullable=False),
    Column("due_at", UtcDateTime(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("done_at", UtcDateTime(), nullable=True),
    CheckConstraint("status IN ('pending', 'done', 'cancelled', 'dead')", name="status"),
    Index("ix_timers_status_due_at", "status", "due_at"),
)

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

clock_offsets = Table(
    "clock_offsets",
    metadata,
    # One row: how far an operator moved the manual clock, so every process sees the same time.
    Column("id", Integer, primary_key=True),
    Column("offset_s", Integer, nullable=False),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(ID_LEN), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("order_id", String(ID_LEN), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("read_at", UtcDateTime(), nullable=True),
    Index("ix_notifications_account_id_id", "account_id", "id"),
)
