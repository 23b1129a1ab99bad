"""Promotions (seller discounts, store promotions and coupons, platform coupons, free-shipping
thresholds), what each buyer has used of them, and the discount lines of each order."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
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

promotions = Table(
    "promotions",
    metadata,
    Column("id", String(ID_LEN), primary_key=True),
    Column("kind", String(24), nullable=False),
    # None for a platform coupon; sellers.id otherwise.
    Column("seller_id", String(ID_LEN), ForeignKey("sellers.id"), nullable=True),
    Column("name", String(120), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("percent_bps", Integer, nullable=True),
    Column("amount_minor", BigInteger, nullable=True),
    Column("tiers", JSON, nullable=False),  # [[threshold_minor, off_minor], ...]
    Column("repeat", Boolean, nullable=False),
    Column("min_spend_minor", BigInteger, nullable=False),
    Column("offer_ids", JSON, nullable=False),
    Column("code", String(32), nullable=True),
    Column("claimable", Boolean, nullable=False),
    Column("total_quantity", Integer, nullable=True),
    Column("per_buyer_limit", Integer, nullable=True),
    # Uses taken by checkouts and not given back; only conditional UPDATEs change it.
    Column("used_count", Integer, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("starts_at", UtcDateTime(), nullable=False),
    Column("ends_at", UtcDateTime(), nullable=False),
    Column("created_by", String(ID_LEN), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    UniqueConstraint("code"),
    CheckConstraint(
        "total_quantity IS NULL OR used_count BETWEEN 0 AND total_quantity", name="used_in_range"
    ),
    Index("ix_promotions_seller_id_kind", "seller_id", "kind"),
)

promotion_cofunding = Table(
    "promotion_cofunding",
    metadata,
    # A seller that opted in to co-fund a platform coupon pays cofund_bps of its order's part.
    Column("promotion_id", String(ID_LEN), ForeignKey("promotions.id"), primary_key=True),
    Column("seller_id", String(ID_LEN), ForeignKey("sellers.id"), primary_key=True),
    Column("cofund_bps", Integer, nullable=False),
    Column("opted_in_at", UtcDateTime(), nullable=False),
)

promotion_buyer_uses = Table(
    "promotion_buyer_uses",
    metadata,
    # Units of a per-buyer limit in use; only conditional UPDATEs change it.
    Column("promotion_id", String(ID_LEN), ForeignKey("promotions.id"), primary_key=True),
    Column("buyer_id", String(ID_LEN), ForeignKey("accounts.id"), primary_key=True),
    Column("used", Integer, nullable=False),
    CheckConstraint("used >= 0", name="used_not_negative"),
)

promotion_redemptions = Table(
    "promotion_redemptions",
    metadata,
    # One row per promotion a checkout took from; status used -> returned (at most once).
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("promotion_id", String(ID_LEN), ForeignKey("promotions.id"), nullable=False),
    Column("checkout_id", String(ID_LEN), nullable=False),
    Column("buyer_id", String(ID_LEN), nullable=False),
    Column("units", Integer, nullable=False),
    Column("counts_total", Boolean, nullable=False),
    Column("status", String(12), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("returned_at", UtcDateTime(), nullable=True),
    UniqueConstraint("promotion_id", "checkout_id"),
    Index("ix_promotion_redemptions_checkout_id", "checkout_id"),
)

order_discounts = Table(
    "order_discounts",
    metadata,
    # The discount lines of an order, in the buyer's currency, with who funds each.
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", String(ID_LEN), nullable=False, index=True),
    Column("promotion_id", String(ID_LEN), ForeignKey("promotions.id"), nullable=False),
    Column("seller_id", String(ID_LEN), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("name", String(120), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("platform_minor", BigInteger, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    CheckConstraint("platform_minor BETWEEN 0 AND amount_minor", name="platform_part"),
    Index("ix_order_discounts_promotion_id", "promotion_id"),
)
