"""``tradewind ledger check``: every ledger invariant, verified against the database.

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

from sqlalchemy import func, select, text

from tradewind.db.tables.ledger import ledger_entries, ledger_transactions
from tradewind.db.tables.ordering import orders
from tradewind.db.tables.payments import payment_mismatches, refunds
from tradewind.db.uow import UnitOfWork
from tradewind.ledger import domain
from tradewind.ledger.service import (
    mismatched_currencies,
    transactions_without_entries,
    unbalanced_transactions,
)

HOLDING = ("AWAITING_SHIPMENT", "AWAITING_RECEIPT", "IN_DISPUTE")
SETTLED = ("COMPLETED", "FINALIZED", "REFUNDED", "CANCELLED_REFUNDED")


def check_ledger(uow: UnitOfWork) -> list[str]:
    breaches = [f"transaction {k} is unbalanced" for k in unbalanced_transactions(uow)]
    breaches += [f"transaction {k} has no entries" for k in transactions_without_entries(uow)]
    breaches += [f"account {a} has entries in another currency" for a in mismatched_currencies(uow)]
    breaches += domain.check_invariants(_load(uow))
    breaches += _escrow_matches_orders(uow)
    breaches += _suspense_matches_held(uow)
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


def _escrow_matches_orders(uow: UnitOfWork) -> list[str]:
    escrow = dict(
        uow.conn.execute(
            select(ledger_entries.c.account, func.sum(ledger_entries.c.amount_minor))
            .where(ledger_entries.c.account.like("order:%"))
            .group_by(ledger_entries.c.account)
        ).all()
    )
    refunded = dict(
        uow.conn.execute(
            select(refunds.c.order_id, func.sum(refunds.c.amount_minor))
            .where(refunds.c.after_release == 0)
            .group_by(refunds.c.order_id)
        ).all()
    )
    breaches = []
    for order in uow.conn.execute(select(orders.c.id, orders.c.status, orders.c.total_minor)):
        held = -int(escrow.get(domain.order_escrow(order.id), 0))
        if order.status in HOLDING:
            expected = order.total_minor - int(refunded.get(order.id, 0))
        elif order.status in SETTLED or order.status in ("CANCELLED", "AWAITING_PAYMENT"):
            expected = 0
        else:
            continue
        if held != expected:
            breaches.append(
                f"order {order.id} ({order.status}) escrow holds {held}, expected {expected}"
            )
    return breaches


def _suspense_matches_held(uow: UnitOfWork) -> list[str]:
    suspense = dict(
        uow.conn.execute(
            select(ledger_entries.c.currency, func.sum(ledger_entries.c.amount_minor))
            .where(ledger_entries.c.account.like("platform:suspense:%"))
            .group_by(ledger_entries.c.currency)
        ).all()
    )
    held = dict(
        uow.conn.execute(
            select(
                payment_mismatches.c.captured_currency,
                func.sum(payment_mismatches.c.captured_minor),
            )
            .where(payment_mismatches.c.status == "held")
            .group_by(payment_mismatches.c.captured_currency)
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
