"""PostgreSQL itself refuses an unbalanced ledger transaction, at COMMIT (migration 0009).

Raw SQL on purpose: the service never writes an unbalanced transaction, so only a writer that
bypasses it can test the database's own guard. SQLite has no deferred triggers; there the
domain check and ``tradewind ledger check`` stand alone (tests/unit/test_ledger_domain.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import IntegrityError

from tests.conftest import START
from tradewind.db.uow import UnitOfWork
from tradewind.escrow.checks import check_ledger
from tradewind.kernel.clock import ManualClock

NOW = "2026-03-02 09:00:00+00"


@pytest.fixture
def engine(postgres_migrated: str) -> Iterator[Engine]:
    engine = create_engine(postgres_migrated)
    with engine.begin() as conn:
        conn.execute(
            text(
                "TRUNCATE ledger_entries, ledger_transactions, ledger_balances, "
                "ledger_checked_balances, ledger_accounts RESTART IDENTITY"
            )
        )
        for name, currency in (
            ("psp:clearing:USD", "USD"),
            ("order:o1:escrow", "USD"),
            ("psp:clearing:EUR", "EUR"),
            ("order:o2:escrow", "EUR"),
        ):
            conn.execute(
                text("INSERT INTO ledger_accounts VALUES (:name, :currency, :now)"),
                {"name": name, "currency": currency, "now": NOW},
            )
    yield engine
    engine.dispose()


def _transaction(conn: Connection, key: str) -> int:
    tx_id: int = conn.execute(
        text(
            "INSERT INTO ledger_transactions (idempotency_key, kind, memo, created_at) "
            "VALUES (:key, 'capture', '', :now) RETURNING id"
        ),
        {"key": key, "now": NOW},
    ).scalar_one()
    return tx_id


def _entry(conn: Connection, tx_id: int, account: str, currency: str, amount: int) -> None:
    conn.execute(
        text(
            "INSERT INTO ledger_entries (transaction_id, account, currency, amount_minor, "
            "created_at) VALUES (:tx, :account, :currency, :amount, :now)"
        ),
        {"tx": tx_id, "account": account, "currency": currency, "amount": amount, "now": NOW},
    )


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_an_unbalanced_insert_is_accepted_per_statement_and_refused_at_commit(
    engine: Engine,
) -> None:
    conn = engine.connect()
    try:
        conn.begin()
        tx_id = _transaction(conn, "raw:unbalanced")
        _entry(conn, tx_id, "psp:clearing:USD", "USD", 10000)
        _entry(conn, tx_id, "order:o1:escrow", "USD", -9999)  # deferred: no error yet
        with pytest.raises(IntegrityError, match=r"ledger transaction \d+ does not balance: USD 1"):
            conn.commit()
    finally:
        conn.close()
    assert (_count(engine, "ledger_transactions"), _count(engine, "ledger_entries")) == (0, 0)


def test_balanced_per_currency_is_checked_per_currency(engine: Engine) -> None:
    """USD -1 and EUR +1 sum to zero overall but not per currency: refused (EUR first)."""
    conn = engine.connect()
    try:
        conn.begin()
        tx_id = _transaction(conn, "raw:cross")
        _entry(conn, tx_id, "psp:clearing:USD", "USD", 1)
        _entry(conn, tx_id, "order:o1:escrow", "USD", -1)
        _entry(conn, tx_id, "psp:clearing:EUR", "EUR", 1)
        _entry(conn, tx_id, "order:o1:escrow", "USD", -1)
        with pytest.raises(IntegrityError, match="does not balance: EUR 1"):
            conn.commit()
    finally:
        conn.close()
    assert _count(engine, "ledger_entries") == 0


def test_a_balanced_transaction_in_several_statements_commits(engine: Engine) -> None:
    with engine.begin() as conn:
        tx_id = _transaction(conn, "raw:balanced")
        _entry(conn, tx_id, "psp:clearing:USD", "USD", 10000)
        _entry(conn, tx_id, "order:o1:escrow", "USD", -10000)
        other = _transaction(conn, "raw:balanced-eur")
        _entry(conn, other, "psp:clearing:EUR", "EUR", 250)
        _entry(conn, other, "order:o2:escrow", "EUR", -200)
        _entry(conn, other, "order:o2:escrow", "EUR", -50)
    assert (_count(engine, "ledger_transactions"), _count(engine, "ledger_entries")) == (2, 5)
    with UnitOfWork(engine, ManualClock(START, frozen=True), read_only=True) as uow:
        assert "the ledger's balance trigger is missing" not in check_ledger(uow)
