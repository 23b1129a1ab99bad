"""ledger running balances and incremental checks

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 04:45:00

A balance read and a payout batch summed every entry an account ever had; ``ledger_balances``
keeps each account's balance beside its entries (filled here from the entries written so far).
``ledger_check_runs`` and ``ledger_checked_balances`` let ``tradewind ledger check
--incremental`` verify only what was written since the last clean run.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tradewind.db.types

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_balances",
        sa.Column("account", sa.String(length=150), nullable=False),
        sa.Column("balance_minor", sa.BigInteger(), nullable=False),
        sa.Column("entry_count", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["account"], ["ledger_accounts.name"]),
        sa.PrimaryKeyConstraint("account"),
    )
    op.execute(
        "INSERT INTO ledger_balances (account, balance_minor, entry_count) "
        "SELECT a.name, COALESCE(SUM(e.amount_minor), 0), COUNT(e.id) "
        "FROM ledger_accounts a LEFT JOIN ledger_entries e ON e.account = a.name "
        "GROUP BY a.name"
    )
    op.create_table(
        "ledger_check_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("through_transaction_id", sa.Integer(), nullable=False),
        sa.Column("transactions_checked", sa.Integer(), nullable=False),
        sa.Column("breaches", sa.Integer(), nullable=False),
        sa.Column("ran_at", tradewind.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "ledger_checked_balances",
        sa.Column("account", sa.String(length=150), nullable=False),
        sa.Column("balance_minor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["account"], ["ledger_accounts.name"]),
        sa.PrimaryKeyConstraint("account"),
    )


def downgrade() -> None:
    op.drop_table("ledger_checked_balances")
    op.drop_table("ledger_check_runs")
    op.drop_table("ledger_balances")
