"""Carts, checkouts (one payment), orders (one per seller), their lines and history."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from tradewind.db.tables.base import ID_LEN, metadata
from tradewind.db.types import UtcDateTime

cart_lines = Table(
    "cart_lines",
    metadata,
    Column("buyer_id", String(ID_LEN), ForeignKey("accounts.id"), primary_key=True),
    Column("offer_id", String(ID_LEN), ForeignKey("offers.id"), primary_key=True),
    Column("quantity", Integer, nullable=False),
    Column("added_at", UtcDateTime(), nullable=False),
)

checkouts = Table(
    "checkouts",
    metadata,
    Column("id", String(ID_LEN), primary_key=True),
    Column("buyer_id", String(ID_LEN), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("status", String(24), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("total_minor", BigInteger, nullable=False),
    Column("ship_to", JSON, nullable=False),
    Column("payment_due_at", UtcDateTime(), nullable=False),
    Column("payment_ref", String(100), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("paid_at", UtcDateTime(), nullable=True),
)

orders = Table(
    "orders",
    metadata,
    Column("id", String(ID_LEN), primary_key=True),
    Column("checkout_id", String(ID_LEN), ForeignKey("checkouts.id"), nullable=False, index=True),
    Column("buyer_id", String(ID_LEN), ForeignKey("accounts.id"), nullable=False),
    Column("seller_id", String(ID_LEN), ForeignKey("sellers.id"), nullable=False),
    Column("seller_account_id", String(ID_LEN), nullable=False),
    Column("status", String(24), nullable=False),
    Column("version", Integer, nullable=False),
    # What the buyer pays, in the buyer's currency.
    Column("currency", String(3), nullable=False),
    Column("items_minor", BigInteger, nullable=False),
    Column("shipping_minor", BigInteger, nullable=False),
    Column("duty_minor", BigInteger, nullable=False),
    Column("vat_minor", BigInteger, nullable=False),
    # Promotions off items_minor (the lines are in promotions.order_discounts).
    Column("discount_minor", BigInteger, nullable=False, server_default="0"),
    Column("total_minor", BigInteger, nullable=False),
    # What the goods cost in the seller's currency (before commission).
    Column("seller_currency", String(3), nullable=False),
    Column("seller_items_minor", BigInteger, nullable=False),
    Column("seller_shipping_minor", BigInteger, nullable=False, server_default="0"),
    # The FX quote snapshot: historic amounts are never re-converted.
    Column("fx", JSON, nullable=False),
    # The landed-cost quote (duty, VAT, the rule behind each figure). duty_minor and vat_minor
    # hold only what was collected at checkout (DDP, low-value regimes); a DAP quote is an
    # estimate the buyer pays on delivery.
    Column("landed_cost", JSON, nullable=True),
    Column("shipping_service", String(40), nullable=False),
    Column("ship_by_at", UtcDateTime(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_orders_buyer_id_id", "buyer_id", "id"),
    Index("ix_orders_seller_id_id", "seller_id", "id"),
    # What a shop holds in escrow sums its open orders only, not its history.
    Index("ix_orders_seller_id_status", "seller_id", "status"),
    Index("ix_orders_status", "status"),
    Index("ix_orders_seller_id_ship_by_at", "seller_id", "ship_by_at"),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", String(ID_LEN), ForeignKey("orders.id"), nullable=False, index=True),
    Column("offer_id", String(ID_LEN), ForeignKey("offers.id"), nullable=False),
    Column("product_id", String(ID_LEN), nullable=False),
    Column("title", String(500), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_minor", BigInteger, nullable=False),
    Column("line_total_minor", BigInteger, nullable=False),
    Column("seller_unit_price_minor", BigInteger, nullable=False),
    Column("hs_code", String(6), nullable=False),
    Column("origin_country", String(2), nullable=False),
)

order_events = Table(
    "order_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", String(ID_LEN), ForeignKey("orders.id"), nullable=False, index=True),
    Column("event", String(40), nullable=False),
    Column("from_status", String(24), nullable=True),
    Column("to_status", String(24), nullable=False),
    Column("actor_id", String(ID_LEN), nullable=True),
    Column("note", Text, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
)

seller_ratings = Table(
    "seller_ratings",
    metadata,
    # One rating per order, by its buyer, after completion; sellers.rating_sum/count roll it up.
    Column("order_id", String(ID_LEN), ForeignKey("orders.id"), primary_key=True),
    Column("seller_id", String(ID_LEN), ForeignKey("sellers.id"), nullable=False, index=True),
    Column("buyer_id", String(ID_LEN), nullable=False),
    Column("stars", Integer, nullable=False),
    Column("comment", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

# The operator overview reads checkouts by the hour they were placed and paid.
Index("ix_checkouts_created_at", checkouts.c.created_at)
Index("ix_checkouts_paid_at", checkouts.c.paid_at)
