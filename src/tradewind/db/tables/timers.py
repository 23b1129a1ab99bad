"""Durable timers (the worker runs them) and the manual clock's stored offset."""

from sqlalchemy import JSON, CheckConstraint, Column, Index, Integer, String, Table, Text

from tradewind.db.tables.base import metadata
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


clock_offsets = Table(
    "clock_offsets",
    metadata,
    # One row: how far an operator moved the manual clock, so every process sees the same time.
    Column("id", Integer, primary_key=True),
    Column("offset_s", Integer, nullable=False),
)
