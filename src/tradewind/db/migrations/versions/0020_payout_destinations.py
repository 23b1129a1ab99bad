"""payout destinations: where a seller's payouts go, append-only (the newest row is in use)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 05:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tradewind.db.types

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payout_destinations",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("scheme", sa.String(length=16), nullable=False),
        sa.Column("holder_name", sa.String(length=140), nullable=False),
        sa.Column("iban", sa.String(length=34), nullable=False),
        sa.Column("bic", sa.String(length=11), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("created_at", tradewind.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_destinations")),
    )
    with op.batch_alter_table("payout_destinations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_payout_destinations_seller_id_id", ["seller_id", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("payout_destinations", schema=None) as batch_op:
        batch_op.drop_index("ix_payout_destinations_seller_id_id")

    op.drop_table("payout_destinations")
