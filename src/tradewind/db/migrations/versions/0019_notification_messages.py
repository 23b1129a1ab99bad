"""notification messages: the message and its values, so each reader sees it in their language

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 04:45:00

A notification kept only its English subject, so the Hebrew or Chinese inbox showed English.
It now also keeps the catalog message (``Parcel %(number)s was delivered.``) and the values
that fill it; pages and the API translate it when it is read. Existing rows have neither and
keep showing their subject.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("message", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("params", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("params")
        batch.drop_column("message")
