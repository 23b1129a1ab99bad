"""payout returns: a payout the bank accepted and sent back days later, with its reason

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-02 16:20:00

``payout_returns`` keeps one row per returned payout (ISO 20022 reason code, amount, the
processor's return id, whether the webhook or the settlement report said it first);
``payouts.destination_id`` says which destination a payout went to, so a return flags that
destination and the next payout waits until the seller sets one again. The sandbox
processor's events may now concern no payment (a payout's), carrying their own
``webhook_url``, and its balance moves keep a return's reason code for the report.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tradewind.db.types import UtcDateTime

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payout_returns",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("payout_id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("destination_id", sa.String(length=40), nullable=True),
        sa.Column("reason_code", sa.String(length=4), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("provider_return_id", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_returns")),
        sa.UniqueConstraint("payout_id", name=op.f("uq_payout_returns_payout_id")),
    )
    with op.batch_alter_table("payout_returns") as batch:
        batch.create_index("ix_payout_returns_seller_id_id", ["seller_id", "id"], unique=False)
    with op.batch_alter_table("payouts") as batch:
        batch.add_column(sa.Column("destination_id", sa.String(length=40), nullable=True))
    with op.batch_alter_table("sandbox_psp_events") as batch:
        batch.alter_column("payment_id", existing_type=sa.String(length=40), nullable=True)
        batch.add_column(sa.Column("webhook_url", sa.String(length=500), nullable=True))
    with op.batch_alter_table("sandbox_psp_balance_moves") as batch:
        batch.add_column(sa.Column("reason_code", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sandbox_psp_balance_moves") as batch:
        batch.drop_column("reason_code")
    op.execute("DELETE FROM sandbox_psp_events WHERE payment_id IS NULL")
    with op.batch_alter_table("sandbox_psp_events") as batch:
        batch.drop_column("webhook_url")
        batch.alter_column("payment_id", existing_type=sa.String(length=40), nullable=False)
    with op.batch_alter_table("payouts") as batch:
        batch.drop_column("destination_id")
    with op.batch_alter_table("payout_returns") as batch:
        batch.drop_index("ix_payout_returns_seller_id_id")
    op.drop_table("payout_returns")
