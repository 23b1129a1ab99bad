"""operator overview indexes: checkouts by placed and paid time, disputes and refunds by time

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 05:30:00

The operator overview reads the last weeks of checkouts, disputes and refunds; these indexes
make that a range read of the window instead of a scan of every row ever written.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_checkouts_created_at", "checkouts", "created_at"),
    ("ix_checkouts_paid_at", "checkouts", "paid_at"),
    ("ix_disputes_created_at", "disputes", "created_at"),
    ("ix_refunds_created_at", "refunds", "created_at"),
)


def upgrade() -> None:
    for name, table, column in INDEXES:
        op.create_index(name, table, [column])


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
