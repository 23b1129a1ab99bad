"""seller performance indexes: a seller's orders by ship-by time, disputes by opening time

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02 12:45:00

A seller's performance reads the last 90 days of the shop's orders (by when they were due to
ship) and of the disputes against it; these make each a range read of that seller's window.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_orders_seller_id_ship_by_at", "orders", ["seller_id", "ship_by_at"]),
    ("ix_disputes_seller_account_id_created_at", "disputes", ["seller_account_id", "created_at"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
