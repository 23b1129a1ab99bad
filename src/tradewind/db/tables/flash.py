"""Flash sales: campaigns with their own stock pool, per-buyer counts, claims and the waitlist.

The CHECK constraints are the last line of defence behind the claim writer's own arithmetic:
even a bug there cannot take the pool below zero or a buyer past the limit.
"""

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from tradewind.db.tables.base import ID_LEN, metadata
from tradewind.db.types import UtcDateTime

flash_sales = Table(
    "flash_sales",
    metadata,
    Column("id", String(ID_LEN), primary_key=True),
    Column("offer_id", String(ID_LEN), ForeignKey("offers.id"), nullable=False, index=True),
    Column("seller_id", String(ID_LEN), ForeignKey("sellers.id"), nullable=False, index=True),
    Column("created_by", String(ID_LEN), nullable=False),
    # A snapshot of what an order line needs, so a claim batch reads one row per sale.
    Column("seller_account_id", String(ID_LEN), nullable=False),
    Column("product_id", String(ID_LEN), nullable=False),
    Column("title", String(500), nullable=False),
    Column("hs_code", String(6), nullable=False),
    Column("origin_country", String(2), nullable=False),
    Column("shipping_service", String(40), nullable=False),
    Column("price_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    # The pool is separate from the offer's stock. pool = remaining + units of live claims.
    Column("pool_units", Integer, nullable=False),
    Column("remaining_units", Integer, nullable=False),
    # Claims ever made; claim seq numbers run 1..claim_seq in commit order (the row lock).
    Column("claim_seq", Integer, nullable=False),
    Column("per_buyer_limit", Integer, nullable=False),
    Column("hold_s", Integer, nullable=False),
    Column("starts_at", UtcDateTime(), nullable=False),
    Column("ends_at", UtcDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    CheckConstraint("remaining_units >= 0", name="remaining_not_negative"),
    CheckConstraint("remaining_units <= pool_units", name="remaining_within_pool"),
    CheckConstraint("pool_units > 0", name="pool_positive"),
    CheckConstraint("per_buyer_limit >= 1", name="limit_positive"),
    CheckConstraint("hold_s > 0", name="hold_positive"),
    CheckConstraint("price_minor > 0", name="price_positive"),
    Index("ix_flash_sales_starts_at", "starts_at"),
)

flash_buyers = Table(
    "flash_buyers",
    metadata,
    Column("sale_id", String(ID_LEN), ForeignKey("flash_sales.id"), primary_key=True),
    Column("buyer_id", String(ID_LEN), ForeignKey("accounts.id"), primary_key=True),
    # Units the buyer holds or bought in this sale; released claims give theirs back.
    Column("units", Integer, nullable=False),
    Column("limit_units", Integer, nullable=False),
    CheckConstraint("units >= 0", name="units_not_negative"),
    CheckConstraint("units <= limit_units", name="units_within_limit"),
)

flash_claims = Table(
    "flash_claims",
    metadata,
    Column("id", String(ID_LEN), primary_key=True),
    Column("sale_id", String(ID_LEN), ForeignKey("flash_sales.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("buyer_id", String(ID_LEN), ForeignKey("accounts.id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("source", String(16), nullable=False),
    # The claim row is its own idempotency record: (key, buyer) is unique, NULL for claims the
    # waitlist made (no client key).
    Column("idempotency_key", String(255), nullable=True),
    Column("request_hash", String(64), nullable=True),
    Column("checkout_id", String(ID_LEN), ForeignKey("checkouts.id"), nullable=False),
    Column("order_id", String(ID_LEN), ForeignKey("orders.id"), nullable=False, unique=True),
    Column("currency", String(3), nullable=False),
    Column("total_minor", BigInteger, nullable=False),
    Column("hold_until", UtcDateTime(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("released_at", UtcDateTime(), nullable=True),
    CheckConstraint("quantity >= 1", name="quantity_positive"),
    CheckConstraint("status IN ('active', 'releasing', 'released')", name="status"),
    CheckConstraint("source IN ('claim', 'waitlist')", name="source"),
    UniqueConstraint("sale_id", "seq", name="uq_flash_claims_sale_seq"),
    UniqueConstraint("idempotency_key", "buyer_id", name="uq_flash_claims_key_buyer"),
    Index("ix_flash_claims_buyer_id_sale_id", "buyer_id", "sale_id"),
)

flash_waitlist = Table(
    "flash_waitlist",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),  # join order
    Column("sale_id", String(ID_LEN), ForeignKey("flash_sales.id"), nullable=False),
    Column("buyer_id", String(ID_LEN), ForeignKey("accounts.id"), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("ship_to", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("claim_id", String(ID_LEN), nullable=True),
    Column("joined_at", UtcDateTime(), nullable=False),
    Column("decided_at", UtcDateTime(), nullable=True),
    CheckConstraint("status IN ('waiting', 'served', 'skipped')", name="status"),
    UniqueConstraint("sale_id", "buyer_id", name="uq_flash_waitlist_sale_buyer"),
    Index("ix_flash_waitlist_sale_id_status_id", "sale_id", "status", "id"),
)
