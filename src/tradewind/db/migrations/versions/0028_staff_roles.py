"""staff roles and an append-only audit log: an operator account says which part of the
console it may use, and the database refuses to edit or delete audit entries

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-02 12:40:00

Operators are admin, support, finance or catalog staff (``identity.domain.StaffRole``); the
column stays NULL for buyers and sellers, and NULL on an operator reads as admin, so every
operator created before this keeps doing everything it did. The audit log was append-only by
convention (only ``audit.record`` inserts); now UPDATE and DELETE are refused by triggers, as
for the ledger.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("staff_role", sa.String(length=16), nullable=True))
        batch.create_check_constraint(
            op.f("ck_accounts_staff_role"),
            "staff_role IS NULL OR (role = 'operator' AND staff_role IN "
            "('admin', 'support', 'finance', 'catalog'))",
        )

    _audit_triggers()


def _audit_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION tradewind_audit_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION tradewind_audit_append_only()"
        )
        return
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_log_no_{action.lower()} BEFORE {action} ON audit_log "
            f"BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: {action} refused'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS tradewind_audit_append_only()")
    else:
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS audit_log_no_{action}")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_constraint(op.f("ck_accounts_staff_role"), type_="check")
        batch.drop_column("staff_role")
