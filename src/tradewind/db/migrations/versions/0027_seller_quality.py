"""seller quality: each shop's level under the quality rules, and every step taken

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-02 13:00:00

``sellers.quality_level`` (good, warned, paused) is what catalog and payouts obey: a paused
shop lists nothing new and is paid nothing until an operator reinstates it.
``seller_quality_steps`` keeps every warning, pause, clearance and reinstatement, append-only.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tradewind.db.types

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sellers") as batch:
        batch.add_column(
            sa.Column("quality_level", sa.String(16), nullable=False, server_default="good")
        )
    op.create_table(
        "seller_quality_steps",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("seller_id", sa.String(40), nullable=False),
        sa.Column("step", sa.String(16), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("verdicts", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.String(40), nullable=True),
        sa.Column("at", tradewind.db.types.UtcDateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_seller_quality_steps_seller_id_id", "seller_quality_steps", ["seller_id", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_seller_quality_steps_seller_id_id", table_name="seller_quality_steps")
    op.drop_table("seller_quality_steps")
    with op.batch_alter_table("sellers") as batch:
        batch.drop_column("quality_level")
