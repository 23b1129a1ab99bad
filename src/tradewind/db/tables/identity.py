"""Accounts, credentials and sessions."""

from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Integer, String, Table

from tradewind.db.tables.base import ID_LEN, metadata
from tradewind.db.types import UtcDateTime
from tradewind.kernel.ids import new_id


def _token_id() -> str:
    return new_id("tok")


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
    # IANA zone for times shown to this person; NULL: the zone of their country.
    Column("time_zone", String(64), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    # An operator's staff role (admin, support, finance, catalog); NULL: admin for operators.
    Column("staff_role", String(16), nullable=True),
    CheckConstraint("role IN ('buyer', 'seller', 'operator')", name="role"),
    CheckConstraint(
        "staff_role IS NULL OR (role = 'operator' AND staff_role IN "
        "('admin', 'support', 'finance', 'catalog'))",
        name="staff_role",
    ),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    # The public handle for listing and revoking; never the secret. A Python-side default so
    # bulk fixtures that insert rows directly get one too.
    Column("id", String(ID_LEN), nullable=False, unique=True, default=_token_id),
    Column("account_id", String(ID_LEN), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=True),
    Column("revoked_at", UtcDateTime(), nullable=True),
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

# Login throttling, one row per key ("account:<email>" or "client:<address>"), shared by every
# server process. ``failures`` counts attempts charged (before the password is checked) and not
# refunded by a success; ``blocked_until`` refuses attempts until then.
login_throttles = Table(
    "login_throttles",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("window_started_at", UtcDateTime(), nullable=False),
    Column("blocked_until", UtcDateTime(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
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
    Column("region", String(100), nullable=False),
    Column("postal_code", String(20), nullable=False),
    Column("country", String(2), nullable=False),
    Column("phone", String(32), nullable=False),
    # The address the checkout offers first; at most one per account (set by one UPDATE).
    Column("is_default", Boolean, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)
