"""Operator-set FX quotes. Orders copy the quote they used; rows here are never updated."""

from sqlalchemy import CheckConstraint, Column, Index, Integer, String, Table

from tradewind.db.tables.base import ID_LEN, metadata
from tradewind.db.types import UtcDateTime

fx_quotes = Table(
    "fx_quotes",
    metadata,
    Column("id", String(ID_LEN), primary_key=True),
    Column("base", String(3), nullable=False),
    Column("quote", String(3), nullable=False),
    # A decimal string, never a float: units of `quote` per one major unit of `base`.
    Column("rate", String(40), nullable=False),
    Column("spread_bps", Integer, nullable=False),
    Column("source", String(100), nullable=False),
    Column("valid_from", UtcDateTime(), nullable=False),
    Column("created_by", String(ID_LEN), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    CheckConstraint("spread_bps BETWEEN 0 AND 2000", name="spread"),
    Index("ix_fx_quotes_pair_valid_from", "base", "quote", "valid_from"),
)
