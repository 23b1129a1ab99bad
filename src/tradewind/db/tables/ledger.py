"""The double-entry ledger. Append-only: database triggers refuse UPDATE and DELETE."""

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table, Text

from tradewind.db.tables.base import ID_LEN, metadata
from tradewind.db.types import UtcDateTime

ledger_accounts = Table(
    "ledger_accounts",
    metadata,
    # One currency per account, fixed at first use (the primary key makes a second impossible).
    Column("name", String(150), primary_key=True),
    Column("currency", String(3), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

ledger_transactions = Table(
    "ledger_transactions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("kind", String(50), nullable=False),
    Column("memo", Text, nullable=False),
    Column("order_id", String(ID_LEN), nullable=True, index=True),
    Column("seller_id", String(ID_LEN), nullable=True, index=True),
    Column("created_at", UtcDateTime(), nullable=False),
    # The processor movement this transaction mirrors, as "<type>:<processor key>" (capture:pi_1,
    # refund:<request key>, fee:pi_1, payout:<request key>, chargeback:cb_1): what reconciliation
    # matches a settlement report row against. None for movements inside the platform.
    Column("processor_ref", String(220), nullable=True, index=True),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "transaction_id", Integer, ForeignKey("ledger_transactions.id"), nullable=False, index=True
    ),
    Column("account", String(150), ForeignKey("ledger_accounts.name"), nullable=False),
    Column("currency", String(3), nullable=False),
    # Positive debits, negative credits; every transaction sums to zero per currency.
    Column("amount_minor", BigInteger, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_ledger_entries_account_created_at", "account", "created_at"),
)
