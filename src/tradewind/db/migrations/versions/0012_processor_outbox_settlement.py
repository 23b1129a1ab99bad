"""processor outbox, sandbox settlement report, settlement mismatches, ledger processor_ref

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 00:34:45.780532
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tradewind.db.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "processor_intents",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("provider_payment_id", sa.String(length=100), nullable=True),
        sa.Column("subject_id", sa.String(length=40), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", tradewind.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("processor_ref", sa.String(length=100), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", tradewind.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("settled_at", tradewind.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processor_intents")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_processor_intents_idempotency_key")),
    )
    with op.batch_alter_table("processor_intents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_processor_intents_status_next", ["status", "next_attempt_at"], unique=False
        )

    op.create_table(
        "sandbox_psp_balance_moves",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=24), nullable=False),
        sa.Column("payment_id", sa.String(length=40), nullable=True),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_at", tradewind.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("settlement_date", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_psp_balance_moves")),
    )
    with op.batch_alter_table("sandbox_psp_balance_moves", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sandbox_psp_balance_moves_date", ["settlement_date", "id"], unique=False
        )

    op.create_table(
        "settlement_mismatches",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("match_key", sa.String(length=260), nullable=False),
        sa.Column("settlement_date", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("row_type", sa.String(length=24), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("reported_minor", sa.BigInteger(), nullable=True),
        sa.Column("reported_currency", sa.String(length=3), nullable=True),
        sa.Column("booked_minor", sa.BigInteger(), nullable=True),
        sa.Column("booked_currency", sa.String(length=3), nullable=True),
        sa.Column("action", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("resolved_by", sa.String(length=40), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", tradewind.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", tradewind.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_mismatches")),
        sa.UniqueConstraint("match_key", name=op.f("uq_settlement_mismatches_match_key")),
    )
    with op.batch_alter_table("settlement_mismatches", schema=None) as batch_op:
        batch_op.create_index("ix_settlement_mismatches_status_id", ["status", "id"], unique=False)

    # Plain ALTER TABLE, not batch mode: recreating ledger_transactions on SQLite would drop
    # its append-only triggers.
    op.add_column(
        "ledger_transactions", sa.Column("processor_ref", sa.String(length=220), nullable=True)
    )
    op.create_index(
        op.f("ix_ledger_transactions_processor_ref"), "ledger_transactions", ["processor_ref"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_ledger_transactions_processor_ref"), table_name="ledger_transactions")
    op.drop_column("ledger_transactions", "processor_ref")

    with op.batch_alter_table("settlement_mismatches", schema=None) as batch_op:
        batch_op.drop_index("ix_settlement_mismatches_status_id")

    op.drop_table("settlement_mismatches")
    with op.batch_alter_table("sandbox_psp_balance_moves", schema=None) as batch_op:
        batch_op.drop_index("ix_sandbox_psp_balance_moves_date")

    op.drop_table("sandbox_psp_balance_moves")
    with op.batch_alter_table("processor_intents", schema=None) as batch_op:
        batch_op.drop_index("ix_processor_intents_status_next")

    op.drop_table("processor_intents")
