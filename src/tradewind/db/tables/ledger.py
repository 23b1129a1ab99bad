"""The double-entry ledger. Append-only: database triggers refuse UPDATE and DELETE."""

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table, Text, text

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

# Derived and mutable, unlike the tables above: each account's balance, kept in the same
# transaction as its entries (applied just before commit, accounts in name order), so a balance
# read or a payout batch reads one row instead of summing the account's whole history.
# `tradewind ledger check` compares every row with the sum of the entries.
ledger_balances = Table(
    "ledger_balances",
    metadata,
    Column("account", String(150), ForeignKey("ledger_accounts.name"), primary_key=True),
    Column("balance_minor", BigInteger, nullable=False),
    Column("entry_count", BigInteger, nullable=False),
    # Totals over many accounts (escrow held, payouts due) read only the accounts with money
    # on them: an order's escrow row stays at zero once released, one per order ever placed.
    Index(
        "ix_ledger_balances_open",
        "account",
        "balance_minor",
        postgresql_where=text("balance_minor <> 0"),
        sqlite_where=text("balance_minor <> 0"),
    ),
)

# Where the last clean `tradewind ledger check` got to: every transaction with an id up to
# `through_transaction_id` was verified, so an incremental run starts after it.
ledger_check_runs = Table(
    "ledger_check_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("mode", String(20), nullable=False),  # full | incremental
    Column("through_transaction_id", Integer, nullable=False),
    Column("transactions_checked", Integer, nullable=False),
    Column("breaches", Integer, nullable=False),
    Column("ran_at", UtcDateTime(), nullable=False),
)

# Each account's balance as of the last clean check's `through_transaction_id`: the starting
# point an incremental run replays the new transactions from (only touched accounts change).
ledger_checked_balances = Table(
    "ledger_checked_balances",
    metadata,
    Column("account", String(150), ForeignKey("ledger_accounts.name"), primary_key=True),
    Column("balance_minor", BigInteger, nullable=False),
)
