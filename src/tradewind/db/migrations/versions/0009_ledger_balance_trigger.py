"""ledger balance trigger: PostgreSQL refuses, at COMMIT, a transaction that does not balance

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 22:10:00

A ``DEFERRABLE INITIALLY DEFERRED`` constraint trigger on ``ledger_entries``: at commit, for each
inserted entry, the entries of its transaction must sum to zero in every currency. Deferred,
because a transaction's entries go in one by one (or in several statements) and only the whole
set balances. The service already refuses unbalanced postings (``ledger.domain``); this is the
database's own guard against any other writer. SQLite has no deferred triggers: there the domain
check and ``tradewind ledger check`` stand alone, as before.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = "tradewind_ledger_balanced"
TRIGGER = "ledger_entries_balanced"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # One indexed aggregate (ix_ledger_entries_transaction_id) per inserted entry, at commit;
    # a transaction has at most 100 postings (ledger.domain.MAX_POSTINGS).
    op.execute(
        """
        CREATE FUNCTION tradewind_ledger_balanced() RETURNS trigger AS $$
        DECLARE
            off record;
        BEGIN
            SELECT currency, sum(amount_minor) AS total INTO off
            FROM ledger_entries
            WHERE transaction_id = NEW.transaction_id
            GROUP BY currency
            HAVING sum(amount_minor) <> 0
            ORDER BY currency
            LIMIT 1;
            IF FOUND THEN
                RAISE EXCEPTION 'ledger transaction % does not balance: % %',
                    NEW.transaction_id, off.currency, off.total
                    USING ERRCODE = 'check_violation';
            END IF;
            RETURN NULL;
        END;
        $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        f"CREATE CONSTRAINT TRIGGER {TRIGGER} AFTER INSERT ON ledger_entries "
        f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON ledger_entries")
    op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
