"""operator queues: a seller application says what the shop sells and how to reach it, an
operator may reject it with a reason the seller sees, and finance may hold a shop's payouts

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-02 16:20:00

``sellers.sells`` and ``sellers.contact`` are the application's own words (NULL for shops that
applied before this); ``sellers.decision_reason`` is the operator's last word on the shop, shown
on its seller-center page; ``rejected`` joins the statuses. ``payout_holds`` holds one row per
shop whose payouts an operator stopped (the batch pays it nothing until released).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tradewind.db.types

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = "status IN ('pending', 'active', 'suspended')"
_NEW = "status IN ('pending', 'active', 'suspended', 'rejected')"


def upgrade() -> None:
    with op.batch_alter_table("sellers") as batch:
        batch.add_column(sa.Column("sells", sa.String(500), nullable=True))
        batch.add_column(sa.Column("contact", sa.String(200), nullable=True))
        batch.add_column(sa.Column("decision_reason", sa.String(500), nullable=True))
        batch.drop_constraint(op.f("ck_sellers_status"), type_="check")
        batch.create_check_constraint(op.f("ck_sellers_status"), _NEW)
    op.create_table(
        "payout_holds",
        sa.Column("seller_id", sa.String(40), primary_key=True),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("held_by", sa.String(40), nullable=False),
        sa.Column("held_at", tradewind.db.types.UtcDateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("payout_holds")
    op.execute("UPDATE sellers SET status = 'suspended' WHERE status = 'rejected'")
    with op.batch_alter_table("sellers") as batch:
        batch.drop_constraint(op.f("ck_sellers_status"), type_="check")
        batch.create_check_constraint(op.f("ck_sellers_status"), _OLD)
        batch.drop_column("decision_reason")
        batch.drop_column("contact")
        batch.drop_column("sells")
