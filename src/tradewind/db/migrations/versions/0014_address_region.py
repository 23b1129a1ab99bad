"""address region: a state, province or region on saved addresses

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 01:15:00

Addresses are checked per country (``tradewind.identity.addresses``), and many countries' posts
need a region (a US state, a Chinese province, a Japanese prefecture). Existing rows get an
empty region.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The default fills existing rows, then goes: new rows always name their region.
    with op.batch_alter_table("addresses") as batch:
        batch.add_column(
            sa.Column("region", sa.String(length=100), server_default="", nullable=False)
        )
    with op.batch_alter_table("addresses") as batch:
        batch.alter_column("region", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("addresses") as batch:
        batch.drop_column("region")
