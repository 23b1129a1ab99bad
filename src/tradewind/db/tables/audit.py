"""The audit log: who did what to which subject, when and why. Append-only."""

from sqlalchemy import Column, Index, Integer, String, Table, Text

from tradewind.db.tables.base import ID_LEN, metadata
from tradewind.db.types import UtcDateTime

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor_id", String(ID_LEN), nullable=False),
    Column("action", String(60), nullable=False),
    Column("subject_kind", String(20), nullable=False),
    Column("subject_id", String(ID_LEN), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("detail", Text, nullable=False),  # JSON object
    Index("ix_audit_log_subject_kind_subject_id_id", "subject_kind", "subject_id", "id"),
    Index("ix_audit_log_actor_id_id", "actor_id", "id"),
)
