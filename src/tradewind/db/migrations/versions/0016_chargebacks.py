"""chargebacks: card-network disputes, their parts per order, the sandbox's own, intent payloads

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 04:25:37

A chargeback is reported by the processor (webhook, settlement report); ``chargebacks`` keeps
one per processor chargeback id, ``chargeback_parts`` its split over the payment's orders with
who is liable for each part. ``processor_intents.payload`` carries what a call sends beyond an
amount (the evidence text of a chargeback).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tradewind.db.types

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chargeback_parts",
        sa.Column("chargeback_id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("seller_account_id", sa.String(length=40), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("seller_amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("seller_currency", sa.String(length=3), nullable=False),
        sa.Column("liable", sa.String(length=16), nullable=False),
        sa.Column("rule", sa.String(length=48), nullable=False),
        sa.PrimaryKeyConstraint("chargeback_id", "order_id", name=op.f("pk_chargeback_parts")),
    )
    with op.batch_alter_table("chargeback_parts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_chargeback_parts_seller_account_id"), ["seller_account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_chargeback_parts_seller_id"), ["seller_id"], unique=False
        )

    op.create_table(
        "chargebacks",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("provider_chargeback_id", sa.String(length=100), nullable=False),
        sa.Column("provider_payment_id", sa.String(length=100), nullable=False),
        sa.Column("checkout_id", sa.String(length=40), nullable=False),
        sa.Column("buyer_id", sa.String(length=40), nullable=False),
        sa.Column("reason_code", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("evidence_due_at", tradewind.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("evidence_by", sa.String(length=40), nullable=True),
        sa.Column("evidence_role", sa.String(length=16), nullable=True),
        sa.Column("evidence_at", tradewind.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("outcome_at", tradewind.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", tradewind.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chargebacks")),
        sa.UniqueConstraint(
            "provider_chargeback_id", name=op.f("uq_chargebacks_provider_chargeback_id")
        ),
    )
    with op.batch_alter_table("chargebacks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_chargebacks_checkout_id"), ["checkout_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_chargebacks_provider_payment_id"), ["provider_payment_id"], unique=False
        )
        batch_op.create_index("ix_chargebacks_status_id", ["status", "id"], unique=False)

    op.create_table(
        "sandbox_psp_chargebacks",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("payment_id", sa.String(length=40), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason_code", sa.String(length=16), nullable=False),
        sa.Column("evidence_due_at", tradewind.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("created_at", tradewind.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_psp_chargebacks")),
    )
    with op.batch_alter_table("sandbox_psp_chargebacks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sandbox_psp_chargebacks_payment_id"), ["payment_id"], unique=False
        )

    with op.batch_alter_table("processor_intents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payload", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("processor_intents", schema=None) as batch_op:
        batch_op.drop_column("payload")

    with op.batch_alter_table("sandbox_psp_chargebacks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sandbox_psp_chargebacks_payment_id"))

    op.drop_table("sandbox_psp_chargebacks")
    with op.batch_alter_table("chargebacks", schema=None) as batch_op:
        batch_op.drop_index("ix_chargebacks_status_id")
        batch_op.drop_index(batch_op.f("ix_chargebacks_provider_payment_id"))
        batch_op.drop_index(batch_op.f("ix_chargebacks_checkout_id"))

    op.drop_table("chargebacks")
    with op.batch_alter_table("chargeback_parts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chargeback_parts_seller_id"))
        batch_op.drop_index(batch_op.f("ix_chargeback_parts_seller_account_id"))

    op.drop_table("chargeback_parts")
