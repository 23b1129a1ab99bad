"""default address: the address book marks the one the checkout offers first

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 04:30:00

Buyers keep an address book (``/account/addresses``) and choose one address as their default.
Existing accounts get their newest address as the default, which is what the checkout offered
first until now.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("addresses") as batch:
        batch.add_column(
            sa.Column("is_default", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.execute(
        "UPDATE addresses SET is_default = (id = ("
        "SELECT MAX(newest.id) FROM addresses AS newest"
        " WHERE newest.account_id = addresses.account_id))"
    )
    with op.batch_alter_table("addresses") as batch:
        batch.alter_column("is_default", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("addresses") as batch:
        batch.drop_column("is_default")
