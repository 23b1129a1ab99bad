"""customs amendments can be withdrawn before they take effect (hardening)

Revision ID: 0005
Revises: 0003s
Create Date: 2026-12-01 21:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tradewind.db.types

revision: str = "0005"
down_revision: str | None = "0003s"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customs_rules") as batch:
        batch.add_column(
            sa.Column("withdrawn_at", tradewind.db.types.UtcDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("withdrawn_by", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customs_rules") as batch:
        batch.drop_column("withdrawn_by")
        batch.drop_column("withdrawn_at")
