"""Accounts, credentials and sessions."""

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, String, Table

from tradewind.db.tables.base import ID_LEN, metadata
from tradewind.db.types import UtcDateTime

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(ID_LEN), primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("country", String(2), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("locale", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    CheckConstraint("role IN ('buyer', 'seller', 'operator')", name="role"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("account_id", String(ID_LEN), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=True),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("account_id", String(ID_LEN), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(254), nullable=False),
    Column("failed_at", UtcDateTime(), nullable=False),
    Index("ix_login_failures_email_failed_at", "email", "failed_at"),
)

addresses = Table(
    "addresses",
    metadata,
    Column("id", String(ID_LEN), primary_key=True),
    Column("account_id", String(ID_LEN), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("full_name", String(100), nullable=False),
    Column("line1", String(200), nullable=False),
    Column("line2", String(200), nullable=False),
    Column("city", String(100), nullable=False),
    Column("postal_code", String(20), nullable=False),
    Column("country", String(2), nullable=False),
    Column("phone", String(32), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)
