"""escrow delivered at: escrow keeps the delivery it was told of, not reading shipments

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 12:40:00

Escrow decided whether a parcel was delivered by reading fulfilment's ``shipments`` table, a
table it does not own and a context above it in the layers (issue 13). Fulfilment already tells
escrow of each delivery (``restart_countdown_on_delivery``); escrow now records that moment in
its own ``escrow_terms``. Orders delivered before this revision take their shipment's delivery
time (or its last scan, for parcels delivered before that column was kept).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tradewind.db.types import UtcDateTime

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("escrow_terms") as batch:
        batch.add_column(sa.Column("delivered_at", UtcDateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE escrow_terms SET delivered_at = ("
        "SELECT COALESCE(s.delivered_at, s.last_event_at, s.shipped_at) FROM shipments AS s"
        " WHERE s.order_id = escrow_terms.order_id AND s.status = 'Delivered')"
    )


def downgrade() -> None:
    with op.batch_alter_table("escrow_terms") as batch:
        batch.drop_column("delivered_at")
