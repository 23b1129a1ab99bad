"""tracking number claims: an S10 number is one shipment's within the reuse window

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 21:30:00

Existing shipments claim their numbers (the newest shipment per number, at its ship time), so
numbers shipped before the upgrade stay taken for the rest of their window.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tradewind.db.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tracking_number_claims",
        sa.Column("tracking_number", sa.String(length=13), nullable=False),
        sa.Column("shipment_id", sa.String(length=40), nullable=False),
        sa.Column("claimed_at", tradewind.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tracking_number", name=op.f("pk_tracking_number_claims")),
    )
    op.execute(
        """
        INSERT INTO tracking_number_claims (tracking_number, shipment_id, claimed_at)
        SELECT s.tracking_number, MIN(s.id), s.shipped_at
        FROM shipments s
        WHERE s.shipped_at = (
            SELECT MAX(t.shipped_at) FROM shipments t WHERE t.tracking_number = s.tracking_number
        )
        GROUP BY s.tracking_number, s.shipped_at
        """
    )


def downgrade() -> None:
    op.drop_table("tracking_number_claims")
