"""In-app notifications to an account."""

from sqlalchemy import JSON, Column, Index, Integer, String, Table

from tradewind.db.tables.base import ID_LEN, metadata
from tradewind.db.types import UtcDateTime

notifications = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(ID_LEN), nullable=False),
    Column("kind", String(40), nullable=False),
    # The English text (old rows have only this); ``message`` is the catalog message and
    # ``params`` its values, translated when read (decision 46).
    Column("subject", String(200), nullable=False),
    Column("message", String(200), nullable=True),
    Column("params", JSON, nullable=True),
    Column("order_id", String(ID_LEN), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("read_at", UtcDateTime(), nullable=True),
    Index("ix_notifications_account_id_id", "account_id", "id"),
)
