"""Customs rule edits (amendments on top of the built-in rules), owned by tradewind.customs."""

from sqlalchemy import JSON, Column, Index, String, Table

from tradewind.db.tables.base import ID_LEN, metadata
from tradewind.db.types import UtcDateTime

customs_rules = Table(
    "customs_rules",
    metadata,
    Column("id", String(ID_LEN), primary_key=True),
    Column("destination", String(2), nullable=False),
    Column("effective_from", String(10), nullable=False),
    Column("effective_to", String(10), nullable=True),
    Column("rule", JSON, nullable=False),
    Column("created_by", String(ID_LEN), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    # An amendment withdrawn before its day is kept (who, when) but no longer applies.
    Column("withdrawn_at", UtcDateTime(), nullable=True),
    Column("withdrawn_by", String(ID_LEN), nullable=True),
    Index("ix_customs_rules_destination_from", "destination", "effective_from"),
)
