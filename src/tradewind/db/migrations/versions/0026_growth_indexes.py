"""growth indexes: open ledger balances, and a shop's orders by status

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02 12:50:00

Every order has an escrow account, and its balance row stays (at zero) once the order is
released or refunded, so the operator overview's "held in escrow" summed one row per order
ever placed. Only accounts with money on them matter to a total: this index holds just those
rows, so the sum reads the orders in escrow now, not the history (issue 19).

A seller's "held in escrow" sums the shop's orders in the holding statuses; by
``ix_orders_seller_id_id`` it read every order the shop ever had. ``ix_orders_seller_id_status``
reads only the open ones.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHERE = sa.text("balance_minor <> 0")


def upgrade() -> None:
    op.create_index(
        "ix_ledger_balances_open",
        "ledger_balances",
        ["account", "balance_minor"],
        postgresql_where=_WHERE,
        sqlite_where=_WHERE,
    )
    op.create_index("ix_orders_seller_id_status", "orders", ["seller_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_orders_seller_id_status", table_name="orders")
    op.drop_index("ix_ledger_balances_open", table_name="ledger_balances")
