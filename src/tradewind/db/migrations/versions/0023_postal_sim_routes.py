"""postal sim routes: the simulator keeps each parcel's route, service and script length

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 05:00:00

The postal-network simulator places each parcel's scans on its own route and times them by its
service (``tradewind.logistics.routes``): it needs the origin and destination countries and the
service code, and the script's length (which now depends on the route) to skip finished
parcels. Parcels registered before this played the reference script (EMS from CN to IL), so
they get that route and its lengths.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The reference scripts' lengths when this migration was written (one row per scenario).
_LENGTHS = {
    "happy_path": 16,
    "held_by_customs": 17,
    "failed_delivery_then_pickup": 18,
    "returned_to_sender": 18,
    "lost_in_transit": 5,
    "silent": 0,
}
_COLUMNS = (
    ("origin_country", sa.String(length=2), "CN"),
    ("destination_country", sa.String(length=2), "IL"),
    ("service_code", sa.String(length=40), "ems"),
)


def upgrade() -> None:
    with op.batch_alter_table("postal_sim_parcels") as batch:
        for name, kind, default in _COLUMNS:
            batch.add_column(sa.Column(name, kind, server_default=default, nullable=False))
        batch.add_column(sa.Column("steps_total", sa.Integer(), server_default="0", nullable=False))
    parcels = sa.table("postal_sim_parcels", sa.column("scenario"), sa.column("steps_total"))
    op.execute(
        parcels.update().values(
            steps_total=sa.case(_LENGTHS, value=parcels.c.scenario, else_=sa.literal(0))
        )
    )
    with op.batch_alter_table("postal_sim_parcels") as batch:
        for name, _, _ in _COLUMNS:
            batch.alter_column(name, server_default=None)
        batch.alter_column("steps_total", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("postal_sim_parcels") as batch:
        batch.drop_column("steps_total")
        for name, _, _ in reversed(_COLUMNS):
            batch.drop_column(name)
