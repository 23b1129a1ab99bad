"""offers seller keyset index: the seller center pages a shop's offers by (seller_id, id)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 04:40:00

The listings page of a shop with thousands of offers reads one page at a time, newest first
(``WHERE seller_id = ? AND id < ? ORDER BY id DESC LIMIT n``); this index makes every page,
the 100th as the first, one short range scan.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_offers_seller_id_id", "offers", ["seller_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_offers_seller_id_id", table_name="offers")
