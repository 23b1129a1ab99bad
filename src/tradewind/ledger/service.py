"""Posting transactions to the ledger, reading balances, and checking every invariant.

``post`` is idempotent by the transaction's key: posting the same transaction twice writes nothing
the second time, so a retried command, a duplicate webhook or a re-run timer never moves money
twice. Posting a *different* transaction under a used key raises ``LedgerKeyReused``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from tradewind.db.sql import insert_ignoring_conflicts, inserted_ignoring_conflicts
from tradewind.db.tables.ledger import (
    ledger_accounts,
    ledger_balances,
    ledger_entries,
    ledger_transactions,
)
from tradewind.db.uow import UnitOfWork
from tradewind.ledger.domain import (
    KeyReuse,
    LedgerInvariantError,
    LedgerKeyReused,
    LedgerTransaction,
    Posting,
    key_reuse,
)


@dataclass(frozen=True, slots=True)
class Posted:
    """The outcome of :func:`post`: the transaction's row id, and whether this call wrote it."""

    transaction_id: int
    created: bool


def post(
    uow: UnitOfWork,
    tx: LedgerTransaction,
    *,
    order_id: str | None = None,
    seller_id: str | None = None,
    processor_ref: str | None = None,
) -> Posted:
    """Write ``tx`` once per idempotency key; an exact repeat returns the original, unwritten.

    No check-then-act: the INSERT of the transaction row claims the key (``ON CONFLICT DO
    NOTHING``; on PostgreSQL it waits for a concurrent claimer to commit). Only when the key is
    taken is the written transaction read back and compared with ``tx``; if they differ,
    :class:`LedgerKeyReused` says how, and this call has written nothing.

    ``processor_ref`` names the processor movement the transaction mirrors
    (``"capture:pi_1"``); reconciliation matches settlement report rows against it.
    """
    now = uow.clock.now()
    claimed = inserted_ignoring_conflicts(
        uow.conn,
        ledger_transactions,
        {
            "idempotency_key": tx.idempotency_key,
            "kind": tx.kind,
            "memo": tx.memo,
            "order_id": order_id,
            "seller_id": seller_id,
            "created_at": now,
            "processor_ref": processor_ref,
        },
        ledger_transactions.c.id,
    )
    if not claimed:
        return _repeat(uow, tx, order_id, seller_id)
    tx_id: int = claimed[0].id
    _ensure_accounts(uow, tx.postings, now)
    uow.conn.execute(
        insert(ledger_entries),
        [
            {
                "transaction_id": tx_id,
                "account": p.account,
                "currency": p.currency,
                "amount_minor": p.amount_minor,
                "created_at": now,
            }
            for p in tx.postings
        ],
    )
    _stage_balances(uow, tx.postings)
    return Posted(tx_id, created=True)


class _StagedBalances:
    """What this transaction's postings add to each account's running balance.

    Applied as the transaction's last statement, one upsert with the accounts in name order:
    the balance rows of busy accounts (``psp:clearing:USD``) are locked for the shortest time,
    and always in the same order, so concurrent posters queue on them but never deadlock.
    """

    def __init__(self) -> None:
        self.deltas: dict[str, list[int]] = {}  # account -> [amount, entries]

    def add(self, postings: Iterable[Posting]) -> None:
        for p in postings:
            delta = self.deltas.setdefault(p.account, [0, 0])
            delta[0] += p.amount_minor
            delta[1] += 1

    def __call__(self, uow: UnitOfWork) -> None:
        _apply_balances(uow, self.deltas)
        self.deltas = {}


def _stage_balances(uow: UnitOfWork, postings: Iterable[Posting]) -> None:
    if uow.conn.in_nested_transaction():
        # A savepoint may roll back without the transaction: its balances go with its entries.
        staged = _StagedBalances()
        staged.add(postings)
        staged(uow)
        return
    uow.before_commit("ledger.balances", _StagedBalances).add(postings)


def _apply_balances(uow: UnitOfWork, deltas: dict[str, list[int]]) -> None:
    if not deltas:
        return
    dialect = postgresql if uow.conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(ledger_balances)
    statement = statement.on_conflict_do_update(
        index_elements=[ledger_balances.c.account],
        set_={
            "balance_minor": ledger_balances.c.balance_minor + statement.excluded.balance_minor,
            "entry_count": ledger_balances.c.entry_count + statement.excluded.entry_count,
        },
    )
    uow.conn.execute(
        statement,
        [
            {"account": name, "balance_minor": deltas[name][0], "entry_count": deltas[name][1]}
            for name in sorted(deltas)
        ],
    )


def _staged(uow: UnitOfWork) -> dict[str, list[int]]:
    """Balance changes posted in this transaction and not yet applied (applied at commit)."""
    return uow.before_commit("ledger.balances", _StagedBalances).deltas


def _repeat(
    uow: UnitOfWork, tx: LedgerTransaction, order_id: str | None, seller_id: str | None
) -> Posted:
    """The written transaction under ``tx``'s key, if ``tx`` repeats it exactly; else raise."""
    row = uow.conn.execute(
        select(ledger_transactions).where(
            ledger_transactions.c.idempotency_key == tx.idempotency_key
        )
    ).one()
    entries = uow.conn.execute(
        select(ledger_entries.c.account, ledger_entries.c.currency, ledger_entries.c.amount_minor)
        .where(ledger_entries.c.transaction_id == row.id)
        .order_by(ledger_entries.c.id)
    ).all()
    written = LedgerTransaction(
        row.idempotency_key, row.kind, tuple(Posting(*entry) for entry in entries), row.memo
    )
    reason = key_reuse(written, tx)
    if reason is None and (row.order_id, row.seller_id) != (order_id, seller_id):
        reason = KeyReuse.REFERENCES
    if reason is not None:
        raise LedgerKeyReused(tx.idempotency_key, reason)
    return Posted(row.id, created=False)


def _ensure_accounts(uow: UnitOfWork, postings: Iterable[Posting], now: datetime) -> None:
    wanted = {p.account: p.currency for p in postings}
    insert_ignoring_conflicts(
        uow.conn,
        ledger_accounts,
        [
            {"name": name, "currency": currency, "created_at": now}
            for name, currency in wanted.items()
        ],
    )
    known = dict(
        uow.conn.execute(
            select(ledger_accounts.c.name, ledger_accounts.c.currency).where(
                ledger_accounts.c.name.in_(list(wanted))
            )
        ).all()
    )
    for name, currency in wanted.items():
        if known.get(name) != currency:
            raise LedgerInvariantError(
                f"account {name} holds {known.get(name)}; a {currency} posting is a bug"
            )


def balance(uow: UnitOfWork, account: str, *, as_of: datetime | None = None) -> int:
    """Signed balance (debits positive) of one account, optionally as of an instant."""
    return balances(uow, [account], as_of=as_of)[account]


def balances(
    uow: UnitOfWork, accounts: Iterable[str], *, as_of: datetime | None = None
) -> dict[str, int]:
    """Signed balances of ``accounts`` (unknown ones 0): now, from the running balances (one
    row each, whatever the history), or as of an instant, by summing entries up to it."""
    names = list(dict.fromkeys(accounts))
    if not names:
        return {}
    if as_of is None:
        query = select(ledger_balances.c.account, ledger_balances.c.balance_minor).where(
            ledger_balances.c.account.in_(names)
        )
    else:
        query = (
            select(ledger_entries.c.account, func.sum(ledger_entries.c.amount_minor))
            .where(ledger_entries.c.account.in_(names), ledger_entries.c.created_at <= as_of)
            .group_by(ledger_entries.c.account)
        )
    found = {a: int(v) for a, v in uow.conn.execute(query).all()}
    if as_of is None:
        staged = _staged(uow)
        for name in names:
            if name in staged:
                found[name] = found.get(name, 0) + staged[name][0]
    return {name: found.get(name, 0) for name in names}


def account_currency(uow: UnitOfWork, account: str) -> str | None:
    found: str | None = uow.conn.scalar(
        select(ledger_accounts.c.currency).where(ledger_accounts.c.name == account)
    )
    return found


def accounts_like(uow: UnitOfWork, prefix: str) -> list[dict[str, Any]]:
    """Every account under a prefix (e.g. ``seller:slr_1:``) with currency and balance."""
    rows = uow.conn.execute(
        select(
            ledger_accounts.c.name,
            ledger_accounts.c.currency,
            func.coalesce(ledger_balances.c.balance_minor, 0).label("balance"),
        )
        .select_from(
            ledger_accounts.outerjoin(
                ledger_balances, ledger_balances.c.account == ledger_accounts.c.name
            )
        )
        .where(ledger_accounts.c.name.like(f"{prefix}%"))
        .order_by(ledger_accounts.c.name)
    )
    return [dict(r._mapping) for r in rows]


def transactions(
    uow: UnitOfWork,
    *,
    order_id: str | None = None,
    seller_id: str | None = None,
    limit: int = 100,
    after: int | None = None,
) -> list[dict[str, Any]]:
    query = select(ledger_transactions).order_by(ledger_transactions.c.id).limit(limit)
    if order_id:
        query = query.where(ledger_transactions.c.order_id == order_id)
    if seller_id:
        query = query.where(ledger_transactions.c.seller_id == seller_id)
    if after is not None:
        query = query.where(ledger_transactions.c.id > after)
    txs = [dict(r._mapping) for r in uow.conn.execute(query)]
    if txs:
        entries = uow.conn.execute(
            select(ledger_entries)
            .where(ledger_entries.c.transaction_id.in_([t["id"] for t in txs]))
            .order_by(ledger_entries.c.id)
        )
        by_tx: dict[int, list[dict[str, Any]]] = {}
        for e in entries:
            by_tx.setdefault(e.transaction_id, []).append(
                {"account": e.account, "currency": e.currency, "amount_minor": e.amount_minor}
            )
        for t in txs:
            t["entries"] = by_tx.get(t["id"], [])
    return txs


def unbalanced_transactions(uow: UnitOfWork) -> list[str]:
    """Keys of transactions whose entries do not sum to zero in some currency (must be none)."""
    sums = (
        select(ledger_entries.c.transaction_id, ledger_entries.c.currency)
        .group_by(ledger_entries.c.transaction_id, ledger_entries.c.currency)
        .having(func.sum(ledger_entries.c.amount_minor) != 0)
        .subquery()
    )
    rows = uow.conn.execute(
        select(ledger_transactions.c.idempotency_key).join(
            sums, sums.c.transaction_id == ledger_transactions.c.id
        )
    )
    return [r.idempotency_key for r in rows]


def transactions_without_entries(uow: UnitOfWork) -> list[str]:
    rows = uow.conn.execute(
        select(ledger_transactions.c.idempotency_key).where(
            ~select(ledger_entries.c.id)
            .where(ledger_entries.c.transaction_id == ledger_transactions.c.id)
            .exists()
        )
    )
    return [r.idempotency_key for r in rows]


def mismatched_currencies(uow: UnitOfWork) -> list[str]:
    rows = uow.conn.execute(
        select(ledger_entries.c.account)
        .join(ledger_accounts, ledger_accounts.c.name == ledger_entries.c.account)
        .where(ledger_entries.c.currency != ledger_accounts.c.currency)
        .distinct()
    )
    return [r.account for r in rows]


def processor_movements(uow: UnitOfWork, refs: Iterable[str]) -> dict[str, dict[str, int]]:
    """What the ledger moved through the processor (``psp:clearing:*``) for each of ``refs``
    (``processor_ref`` values), per currency, signed: + into our balance there, - out of it."""
    wanted = sorted(set(refs))
    found: dict[str, dict[str, int]] = {}
    for start in range(0, len(wanted), 500):
        rows = uow.conn.execute(
            select(
                ledger_transactions.c.processor_ref,
                ledger_entries.c.currency,
                func.sum(ledger_entries.c.amount_minor),
            )
            .join(ledger_entries, ledger_entries.c.transaction_id == ledger_transactions.c.id)
            .where(
                ledger_transactions.c.processor_ref.in_(wanted[start : start + 500]),
                ledger_entries.c.account.like("psp:clearing:%"),
            )
            .group_by(ledger_transactions.c.processor_ref, ledger_entries.c.currency)
        )
        for ref, currency, total in rows:
            found.setdefault(str(ref), {})[str(currency)] = int(total)
    return found


def processor_refs_between(uow: UnitOfWork, start: datetime, end: datetime) -> set[str]:
    """The ``processor_ref`` of every transaction written in ``[start, end)``."""
    return {
        str(ref)
        for ref in uow.conn.scalars(
            select(ledger_transactions.c.processor_ref)
            .where(
                ledger_transactions.c.processor_ref.is_not(None),
                ledger_transactions.c.created_at >= start,
                ledger_transactions.c.created_at < end,
            )
            .distinct()
        )
    }


def balance_totals(uow: UnitOfWork, pattern: str, *, credit_only: bool = False) -> dict[str, int]:
    """The running balances of every account named like ``pattern`` (SQL LIKE), summed per
    currency; ``credit_only`` counts only accounts in credit (what is owed, not what is owing).
    One read of the kept balances that are not zero, whatever the accounts' histories."""
    # Only rows with money on them (the partial index ix_ledger_balances_open): an order's
    # escrow row stays at zero once released, so the total reads what is open, not history.
    query = (
        select(ledger_accounts.c.currency, func.sum(ledger_balances.c.balance_minor))
        .join(ledger_balances, ledger_balances.c.account == ledger_accounts.c.name)
        .where(ledger_balances.c.account.like(pattern), ledger_balances.c.balance_minor != 0)
        .group_by(ledger_accounts.c.currency)
    )
    if credit_only:
        query = query.where(ledger_balances.c.balance_minor < 0)
    return {str(currency): int(total) for currency, total in uow.conn.execute(query).all()}


def credit_balances(uow: UnitOfWork, pattern: str, limit: int) -> list[tuple[str, str, int]]:
    """``(account, currency, balance)`` of the accounts named like ``pattern`` that are in
    credit (what is owed), the largest first, at most ``limit``: one read of the open balances."""
    query = (
        select(
            ledger_balances.c.account, ledger_accounts.c.currency, ledger_balances.c.balance_minor
        )
        .join(ledger_accounts, ledger_balances.c.account == ledger_accounts.c.name)
        .where(ledger_balances.c.account.like(pattern), ledger_balances.c.balance_minor < 0)
        .order_by(ledger_balances.c.balance_minor, ledger_balances.c.account)
        .limit(limit)
    )
    return [(str(a), str(c), int(b)) for a, c, b in uow.conn.execute(query).all()]


def entry_rows(
    uow: UnitOfWork,
    *,
    order_id: str | None = None,
    seller_id: str | None = None,
    limit: int,
    after: int | None = None,
) -> list[dict[str, Any]]:
    """Ledger entries with their transaction (id, key, kind, order, seller), by entry id after
    ``after``, of one order's or one shop's transactions when given: what an export writes."""
    query = (
        select(
            ledger_entries.c.id,
            ledger_entries.c.transaction_id,
            ledger_transactions.c.idempotency_key,
            ledger_transactions.c.kind,
            ledger_transactions.c.order_id,
            ledger_transactions.c.seller_id,
            ledger_entries.c.account,
            ledger_entries.c.currency,
            ledger_entries.c.amount_minor,
            ledger_entries.c.created_at,
        )
        .join(ledger_transactions, ledger_transactions.c.id == ledger_entries.c.transaction_id)
        .order_by(ledger_entries.c.id)
        .limit(limit)
    )
    if order_id:
        query = query.where(ledger_transactions.c.order_id == order_id)
    if seller_id:
        query = query.where(ledger_transactions.c.seller_id == seller_id)
    if after is not None:
        query = query.where(ledger_entries.c.id > after)
    return [dict(r._mapping) for r in uow.conn.execute(query)]
