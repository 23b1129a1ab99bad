"""account time zone: the IANA zone times are shown in (NULL: the account's country's zone)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 00:40:00.000000

The page language stays in ``accounts.locale`` (he_IL: Hebrew with Israeli formats).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("time_zone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("time_zone")
