"""identity hardening: token ids, expiry and revocation; login throttles per account and client

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 21:40:00.000000

Existing tokens get an id and, if they had none, an expiry 30 days after their creation (the
default TRADEWIND_API_TOKEN_TTL_DAYS). ``login_failures`` (per-email rows) is replaced by
``login_throttles`` (one counter row per account and per client address).
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

import tradewind.db.types
from tradewind.kernel.ids import new_id

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEGACY_TOKEN_TTL = timedelta(days=30)


def upgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("id", sa.String(length=40), nullable=True))
        batch_op.add_column(
            sa.Column("revoked_at", tradewind.db.types.UtcDateTime(timezone=True), nullable=True)
        )
    _backfill_tokens()
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.alter_column("id", existing_type=sa.String(length=40), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_api_tokens_id"), ["id"])

    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column(
            "window_started_at", tradewind.db.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("blocked_until", tradewind.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", tradewind.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttles")),
    )
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_login_failures_email_failed_at")
    op.drop_table("login_failures")


def _backfill_tokens() -> None:
    tokens = sa.table(
        "api_tokens",
        sa.column("token_hash", sa.String()),
        sa.column("id", sa.String()),
        sa.column("created_at", tradewind.db.types.UtcDateTime()),
        sa.column("expires_at", tradewind.db.types.UtcDateTime()),
    )
    conn = op.get_bind()
    rows = conn.execute(sa.select(tokens.c.token_hash, tokens.c.created_at, tokens.c.expires_at))
    for row in rows.all():
        conn.execute(
            sa.update(tokens)
            .where(tokens.c.token_hash == row.token_hash)
            .values(
                id=new_id("tok"),
                expires_at=row.expires_at or row.created_at + LEGACY_TOKEN_TTL,
            )
        )


def downgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("failed_at", tradewind.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.create_index(
            "ix_login_failures_email_failed_at", ["email", "failed_at"], unique=False
        )
    op.drop_table("login_throttles")
    # Revoked tokens had no way to be refused before this revision: delete them on the way down.
    op.execute("DELETE FROM api_tokens WHERE revoked_at IS NOT NULL")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_api_tokens_id"), type_="unique")
        batch_op.drop_column("revoked_at")
        batch_op.drop_column("id")
