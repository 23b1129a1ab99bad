"""Seller quality: every step the rules or an operator took on a shop. Append-only."""

from sqlalchemy import JSON, Column, Index, Integer, String, Table, Text

from tradewind.db.tables.base import ID_LEN, metadata
from tradewind.db.types import UtcDateTime

seller_quality_steps = Table(
    "seller_quality_steps",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("seller_id", String(ID_LEN), nullable=False),
    Column("step", String(16), nullable=False),  # warned, paused, cleared, reinstated
    Column("level", String(16), nullable=False),  # the shop's level after the step
    Column("verdicts", JSON, nullable=False),  # the rules past a threshold, with their figures
    Column("reason", Text, nullable=False),
    Column("actor_id", String(ID_LEN), nullable=True),  # None: the rules' review
    Column("at", UtcDateTime(), nullable=False),
    Index("ix_seller_quality_steps_seller_id_id", "seller_id", "id"),
)
