"""``tradewind ledger check``: every ledger invariant, verified against the database.

The ledger's own tables are read here; what the ledger must agree with (orders, refunds, held
captures) belongs to contexts above it, so :func:`check_books` takes those figures as
:class:`Expected`, and ``tradewind.escrow.checks.check_ledger`` gathers them from their owners'
service functions.

1. Each transaction has entries, and they sum to zero per currency.
2. Every entry's currency is its account's one currency.
3. Replayed in order (``ledger.domain.check_invariants``): idempotency keys are unique, and no
   escrow or seller payable ever goes into debit and no seller receivable into credit, so a
   seller is never paid out more than was released to them, less what they owe back.
4. Escrow per order equals what the order holds: its total less refunds while the order is in
   escrow (paid, shipped or disputed), and zero before payment and once it is released,
   refunded or cancelled.
5. Suspense per currency equals the captures held for an operator in that currency (a
   surplus or late capture passes through suspense and back out in one database transaction).
6. The append-only triggers are installed, and on PostgreSQL the deferred balance trigger
   (migration 0009) that refuses an unbalanced transaction at commit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, text

from tradewind.db.tables.ledger import ledger_entries, ledger_transactions
from tradewind.db.uow import UnitOfWork
from tradewind.ledger import domain
from tradewind.ledger.service import (
    mismatched_currencies,
    transactions_without_entries,
    unbalanced_transactions,
)


@dataclass(frozen=True)
class OrderEscrow:
    """What an order's escrow account must hold (its status only names it in a breach)."""

    order_id: str
    status: str
    expected_minor: int


@dataclass(frozen=True)
class Expected:
    """The figures from outside the ledger that its balances must match."""

    order_escrow: Sequence[OrderEscrow]
    held_captures_minor: Mapping[str, int]  # by currency: captures held for an operator


def check_books(uow: UnitOfWork, expected: Expected) -> list[str]:
    breaches = [f"transaction {k} is unbalanced" for k in unbalanced_transactions(uow)]
    breaches += [f"transaction {k} has no entries" for k in transactions_without_entries(uow)]
    breaches += [f"account {a} has entries in another currency" for a in mismatched_currencies(uow)]
    breaches += domain.check_invariants(_load(uow))
    breaches += _escrow_matches_orders(uow, expected.order_escrow)
    breaches += _suspense_matches_held(uow, expected.held_captures_minor)
    breaches += _triggers_installed(uow)
    return breaches


def _load(uow: UnitOfWork) -> list[domain.LedgerTransaction]:
    txs: dict[int, tuple[str, str, str, list[domain.Posting]]] = {}
    for row in uow.conn.execute(select(ledger_transactions).order_by(ledger_transactions.c.id)):
        txs[row.id] = (row.idempotency_key, row.kind, row.memo, [])
    for entry in uow.conn.execute(select(ledger_entries).order_by(ledger_entries.c.id)):
        txs[entry.transaction_id][3].append(
            domain.Posting(entry.account, entry.currency, entry.amount_minor)
        )
    loaded = []
    for key, kind, memo, postings in txs.values():
        try:
            loaded.append(domain.LedgerTransaction(key, kind, tuple(postings), memo))
        except (domain.LedgerInvariantError, ValueError) as exc:
            raise domain.LedgerInvariantError(f"transaction {key}: {exc}") from exc
    return loaded


def _escrow_matches_orders(uow: UnitOfWork, orders: Sequence[OrderEscrow]) -> list[str]:
    escrow = dict(
        uow.conn.execute(
            select(ledger_entries.c.account, func.sum(ledger_entries.c.amount_minor))
            .where(ledger_entries.c.account.like("order:%"))
            .group_by(ledger_entries.c.account)
        ).all()
    )
    breaches = []
    for order in orders:
        held = -int(escrow.get(domain.order_escrow(order.order_id), 0))
        if held != order.expected_minor:
            breaches.append(
                f"order {order.order_id} ({order.status}) escrow holds {held}, "
                f"expected {order.expected_minor}"
            )
    return breaches


def _suspense_matches_held(uow: UnitOfWork, held: Mapping[str, int]) -> list[str]:
    suspense = dict(
        uow.conn.execute(
            select(ledger_entries.c.currency, func.sum(ledger_entries.c.amount_minor))
            .where(ledger_entries.c.account.like("platform:suspense:%"))
            .group_by(ledger_entries.c.currency)
        ).all()
    )
    breaches = []
    for currency in sorted(set(suspense) | set(held)):
        holds, expected = -int(suspense.get(currency, 0)), int(held.get(currency, 0))
        if holds != expected:
            breaches.append(
                f"suspense ({currency}) holds {holds}, expected {expected} of held captures"
            )
    return breaches


def _triggers_installed(uow: UnitOfWork) -> list[str]:
    if uow.conn.dialect.name == "postgresql":
        count = uow.conn.scalar(
            text(
                "SELECT count(*) FROM pg_trigger WHERE tgname IN "
                "('ledger_entries_append_only', 'ledger_transactions_append_only')"
            )
        )
        expected = 2
        balanced = uow.conn.scalar(
            text("SELECT count(*) FROM pg_trigger WHERE tgname = 'ledger_entries_balanced'")
        )
        if balanced != 1:
            return ["the ledger's balance trigger is missing"]
    else:
        count = uow.conn.scalar(
            text(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE 'ledger_%_no_%'"
            )
        )
        expected = 4
    return [] if count == expected else ["the ledger's append-only triggers are missing"]
