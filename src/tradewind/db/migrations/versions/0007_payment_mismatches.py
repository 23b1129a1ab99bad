"""payment mismatches: captures held for an operator (short, other currency, over-capture)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 21:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tradewind.db.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payment_mismatches",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("payment_id", sa.String(length=40), nullable=False),
        sa.Column("checkout_id", sa.String(length=40), nullable=False),
        sa.Column("provider_payment_id", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("expected_minor", sa.BigInteger(), nullable=False),
        sa.Column("expected_currency", sa.String(length=3), nullable=False),
        sa.Column("captured_minor", sa.BigInteger(), nullable=False),
        sa.Column("captured_currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("refund_id", sa.String(length=100), nullable=True),
        sa.Column("resolved_by", sa.String(length=40), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", tradewind.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", tradewind.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_mismatches")),
        sa.UniqueConstraint(
            "provider_payment_id", name=op.f("uq_payment_mismatches_provider_payment_id")
        ),
    )
    with op.batch_alter_table("payment_mismatches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_mismatches_payment_id"), ["payment_id"], unique=False
        )
        batch_op.create_index("ix_payment_mismatches_status_id", ["status", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("payment_mismatches", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_mismatches_status_id")
        batch_op.drop_index(batch_op.f("ix_payment_mismatches_payment_id"))
    op.drop_table("payment_mismatches")
