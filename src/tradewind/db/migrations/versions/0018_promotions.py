"""promotions: seller discounts, store promotions and coupons, platform coupons

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 04:26:23

The promotions context's tables (promotions, co-funding opt-ins, per-buyer uses, redemptions,
each order's discount lines with their funder) and ``orders.discount_minor``, what promotions
took off the order's items (existing orders: 0).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tradewind.db.types

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "promotions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("percent_bps", sa.Integer(), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("tiers", sa.JSON(), nullable=False),
        sa.Column("repeat", sa.Boolean(), nullable=False),
        sa.Column("min_spend_minor", sa.BigInteger(), nullable=False),
        sa.Column("offer_ids", sa.JSON(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=True),
        sa.Column("claimable", sa.Boolean(), nullable=False),
        sa.Column("total_quantity", sa.Integer(), nullable=True),
        sa.Column("per_buyer_limit", sa.Integer(), nullable=True),
        sa.Column("used_count", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("starts_at", tradewind.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", tradewind.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", tradewind.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "total_quantity IS NULL OR used_count BETWEEN 0 AND total_quantity",
            name=op.f("ck_promotions_used_in_range"),
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"], ["sellers.id"], name=op.f("fk_promotions_seller_id_sellers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promotions")),
        sa.UniqueConstraint("code", name=op.f("uq_promotions_code")),
    )
    with op.batch_alter_table("promotions", schema=None) as batch_op:
        batch_op.create_index("ix_promotions_seller_id_kind", ["seller_id", "kind"], unique=False)

    op.create_table(
        "order_discounts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("promotion_id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("platform_minor", sa.BigInteger(), nullable=False),
        sa.Column("created_at", tradewind.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "platform_minor BETWEEN 0 AND amount_minor",
            name=op.f("ck_order_discounts_platform_part"),
        ),
        sa.ForeignKeyConstraint(
            ["promotion_id"],
            ["promotions.id"],
            name=op.f("fk_order_discounts_promotion_id_promotions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_discounts")),
    )
    with op.batch_alter_table("order_discounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_discounts_order_id"), ["order_id"], unique=False)
        batch_op.create_index("ix_order_discounts_promotion_id", ["promotion_id"], unique=False)

    op.create_table(
        "promotion_buyer_uses",
        sa.Column("promotion_id", sa.String(length=40), nullable=False),
        sa.Column("buyer_id", sa.String(length=40), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.CheckConstraint("used >= 0", name=op.f("ck_promotion_buyer_uses_used_not_negative")),
        sa.ForeignKeyConstraint(
            ["buyer_id"], ["accounts.id"], name=op.f("fk_promotion_buyer_uses_buyer_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["promotion_id"],
            ["promotions.id"],
            name=op.f("fk_promotion_buyer_uses_promotion_id_promotions"),
        ),
        sa.PrimaryKeyConstraint("promotion_id", "buyer_id", name=op.f("pk_promotion_buyer_uses")),
    )
    op.create_table(
        "promotion_cofunding",
        sa.Column("promotion_id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("cofund_bps", sa.Integer(), nullable=False),
        sa.Column("opted_in_at", tradewind.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["promotion_id"],
            ["promotions.id"],
            name=op.f("fk_promotion_cofunding_promotion_id_promotions"),
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"], ["sellers.id"], name=op.f("fk_promotion_cofunding_seller_id_sellers")
        ),
        sa.PrimaryKeyConstraint("promotion_id", "seller_id", name=op.f("pk_promotion_cofunding")),
    )
    op.create_table(
        "promotion_redemptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("promotion_id", sa.String(length=40), nullable=False),
        sa.Column("checkout_id", sa.String(length=40), nullable=False),
        sa.Column("buyer_id", sa.String(length=40), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("counts_total", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", tradewind.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("returned_at", tradewind.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["promotion_id"],
            ["promotions.id"],
            name=op.f("fk_promotion_redemptions_promotion_id_promotions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promotion_redemptions")),
        sa.UniqueConstraint(
            "promotion_id",
            "checkout_id",
            name=op.f("uq_promotion_redemptions_promotion_id_checkout_id"),
        ),
    )
    with op.batch_alter_table("promotion_redemptions", schema=None) as batch_op:
        batch_op.create_index("ix_promotion_redemptions_checkout_id", ["checkout_id"], unique=False)

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("discount_minor", sa.BigInteger(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("discount_minor")

    with op.batch_alter_table("promotion_redemptions", schema=None) as batch_op:
        batch_op.drop_index("ix_promotion_redemptions_checkout_id")

    op.drop_table("promotion_redemptions")
    op.drop_table("promotion_cofunding")
    op.drop_table("promotion_buyer_uses")
    with op.batch_alter_table("order_discounts", schema=None) as batch_op:
        batch_op.drop_index("ix_order_discounts_promotion_id")
        batch_op.drop_index(batch_op.f("ix_order_discounts_order_id"))

    op.drop_table("order_discounts")
    with op.batch_alter_table("promotions", schema=None) as batch_op:
        batch_op.drop_index("ix_promotions_seller_id_kind")

    op.drop_table("promotions")
