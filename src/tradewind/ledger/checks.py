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
4. Every account's running balance (``ledger_balances``, what balance reads and payouts use)
   equals the sum of its entries, and counts as many entries.
5. Escrow per order equals what the order holds: its total less refunds while the order is in
   escrow (paid, shipped or disputed), and zero before payment and once it is released,
   refunded or cancelled.
6. Suspense per currency equals the captures held for an operator in that currency (a
   surplus or late capture passes through suspense and back out in one database transaction).
7. ``platform:promotions`` moves only by an order's promotion funding and clawbacks; the
   funding is at most the platform-funded part of the order's discount lines, and the
   clawbacks never exceed the funding.
8. The append-only triggers are installed, and on PostgreSQL the deferred balance trigger
   (migration 0009) that refuses an unbalanced transaction at commit.

A clean run is recorded (:func:`record_run`) with the transaction id it verified through and
every account's balance at that point. :func:`incremental_check` then verifies only what came
after: it replays the new transactions from those balances (rules 1-3), checks the running
balances of the accounts they touched (4), the escrow and promotion funding of the orders
they name (5, 7), and 6 and 8.
Its cost follows what was written since, not the size of the ledger. What it cannot see, a
status change with no money move or a balance row changed by hand, the full run finds; run it
daily (the incremental one as often as wanted).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, func, insert, select, text

from tradewind.db.tables.ledger import (
    ledger_accounts,
    ledger_balances,
    ledger_check_runs,
    ledger_checked_balances,
    ledger_entries,
    ledger_transactions,
)
from tradewind.db.uow import UnitOfWork
from tradewind.ledger import domain
from tradewind.ledger.service import (
    balances,
    mismatched_currencies,
    transactions_without_entries,
    unbalanced_transactions,
)

SETTLE = timedelta(seconds=60)
"""How old a transaction must be before a run counts it as verified-through. On PostgreSQL ids
are taken at INSERT and transactions commit in any order, so the newest ids may still have a
lower one in flight; a recorded run stops short of the last minute (the next run covers it)."""

FULL = "full"
INCREMENTAL = "incremental"


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
    # order id -> the platform-funded part of its discount lines (orders with any)
    platform_funded_minor: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckRun:
    """One run's outcome, and what a clean run lets the next incremental one start from."""

    mode: str
    breaches: list[str]
    through_transaction_id: int
    transactions_checked: int
    # Balance of each account as of ``through_transaction_id``: every account for a full run,
    # the accounts the new transactions touched for an incremental one.
    verified_balances: dict[str, int] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not self.breaches


def check_books(uow: UnitOfWork, expected: Expected) -> list[str]:
    """Every breach of rules 1-8 over the whole ledger, as one sentence each."""
    return full_check(uow, expected).breaches


def full_check(uow: UnitOfWork, expected: Expected, *, settle: timedelta = SETTLE) -> CheckRun:
    through = _settled_through(uow, settle)
    breaches = [f"transaction {k} is unbalanced" for k in unbalanced_transactions(uow)]
    breaches += [f"transaction {k} has no entries" for k in transactions_without_entries(uow)]
    breaches += [f"account {a} has entries in another currency" for a in mismatched_currencies(uow)]
    loaded = _load(uow)
    breaches += domain.check_invariants(tx for _, tx in loaded)
    breaches += _running_balances_match_entries(uow)
    breaches += _escrow_matches_orders(uow, expected.order_escrow)
    breaches += _suspense_matches_held(uow, expected.held_captures_minor)
    breaches += _promotions_match_orders(uow, expected.platform_funded_minor, None)
    breaches += _triggers_installed(uow)
    return CheckRun(FULL, breaches, through, len(loaded), _balances_through(uow, through))


def incremental_check(
    uow: UnitOfWork,
    expected_for: Callable[[Collection[str] | None], Expected],
    *,
    settle: timedelta = SETTLE,
) -> CheckRun:
    """Verify what was written since the last clean run (a full run when there is none).

    ``expected_for(order_ids)`` gives the outside figures for those orders (None: all)."""
    since = last_clean_through(uow)
    if since is None:
        return full_check(uow, expected_for(None), settle=settle)
    through = max(since, _settled_through(uow, settle))
    loaded = _load(uow, after=since)
    new = [(tx_id, tx) for tx_id, tx in loaded if tx_id <= through]
    accounts = {p.account: p.currency for _, tx in loaded for p in tx.postings}
    opening = _checked_balances(uow, accounts)
    keyed = {(name, accounts[name]): amount for name, amount in opening.items()}
    breaches = domain.check_invariants((tx for _, tx in loaded), keyed)
    breaches += _without_entries(uow, since)
    breaches += _currencies_match(uow, accounts)
    breaches += _running_balances_continue(uow, opening, [tx for _, tx in loaded])
    order_ids = _orders_named(uow, since)
    named = expected_for(order_ids)
    breaches += _escrow_matches_orders(uow, named.order_escrow)
    breaches += _promotions_match_orders(uow, named.platform_funded_minor, order_ids)
    breaches += _suspense_matches_held(uow, expected_for(()).held_captures_minor)
    breaches += _triggers_installed(uow)
    verified = dict(opening)
    for _, tx in new:
        for posting in tx.postings:
            verified[posting.account] = verified.get(posting.account, 0) + posting.amount_minor
    return CheckRun(INCREMENTAL, breaches, through, len(loaded), verified)


def record_run(uow: UnitOfWork, run: CheckRun) -> None:
    """Keep the run in ``ledger_check_runs``; a clean one moves the verified point forward."""
    uow.conn.execute(
        insert(ledger_check_runs).values(
            mode=run.mode,
            through_transaction_id=run.through_transaction_id,
            transactions_checked=run.transactions_checked,
            breaches=len(run.breaches),
            ran_at=uow.clock.now(),
        )
    )
    if not run.clean:
        return
    names = list(run.verified_balances)
    if run.mode == FULL:
        uow.conn.execute(delete(ledger_checked_balances))
    else:
        for start in range(0, len(names), 500):
            uow.conn.execute(
                delete(ledger_checked_balances).where(
                    ledger_checked_balances.c.account.in_(names[start : start + 500])
                )
            )
    if names:
        uow.conn.execute(
            insert(ledger_checked_balances),
            [{"account": n, "balance_minor": run.verified_balances[n]} for n in names],
        )


def last_clean_through(uow: UnitOfWork) -> int | None:
    """The transaction id the last clean run verified through; None before the first."""
    found: int | None = uow.conn.scalar(
        select(ledger_check_runs.c.through_transaction_id)
        .where(ledger_check_runs.c.breaches == 0)
        .order_by(ledger_check_runs.c.id.desc())
        .limit(1)
    )
    return found


def _settled_through(uow: UnitOfWork, settle: timedelta) -> int:
    found = uow.conn.scalar(
        select(func.max(ledger_transactions.c.id)).where(
            ledger_transactions.c.created_at <= uow.clock.now() - settle
        )
    )
    return int(found or 0)


def _load(uow: UnitOfWork, *, after: int = 0) -> list[tuple[int, domain.LedgerTransaction]]:
    """Transactions with ids above ``after``, in order, with their postings."""
    txs: dict[int, tuple[str, str, str, list[domain.Posting]]] = {}
    query = select(ledger_transactions).where(ledger_transactions.c.id > after)
    for row in uow.conn.execute(query.order_by(ledger_transactions.c.id)):
        txs[row.id] = (row.idempotency_key, row.kind, row.memo, [])
    entries = select(ledger_entries).where(ledger_entries.c.transaction_id > after)
    for entry in uow.conn.execute(entries.order_by(ledger_entries.c.id)):
        if entry.transaction_id in txs:  # an entry whose transaction committed after our read
            txs[entry.transaction_id][3].append(
                domain.Posting(entry.account, entry.currency, entry.amount_minor)
            )
    loaded = []
    for tx_id, (key, kind, memo, postings) in txs.items():
        if not postings:
            continue  # reported as "has no entries"
        try:
            loaded.append((tx_id, domain.LedgerTransaction(key, kind, tuple(postings), memo)))
        except (domain.LedgerInvariantError, ValueError) as exc:
            raise domain.LedgerInvariantError(f"transaction {key}: {exc}") from exc
    return loaded


def _without_entries(uow: UnitOfWork, since: int) -> list[str]:
    rows = uow.conn.execute(
        select(ledger_transactions.c.idempotency_key).where(
            ledger_transactions.c.id > since,
            ~select(ledger_entries.c.id)
            .where(ledger_entries.c.transaction_id == ledger_transactions.c.id)
            .exists(),
        )
    )
    return [f"transaction {r.idempotency_key} has no entries" for r in rows]


def _currencies_match(uow: UnitOfWork, posted: Mapping[str, str]) -> list[str]:
    """Each account's one currency, against the currencies the new entries post in it."""
    known: dict[str, str] = {}
    names = list(posted)
    for start in range(0, len(names), 500):
        known.update(
            uow.conn.execute(
                select(ledger_accounts.c.name, ledger_accounts.c.currency).where(
                    ledger_accounts.c.name.in_(names[start : start + 500])
                )
            ).all()
        )
    return [
        f"account {name} has entries in another currency"
        for name, currency in posted.items()
        if known.get(name) != currency
    ]


def _checked_balances(uow: UnitOfWork, accounts: Iterable[str]) -> dict[str, int]:
    names = list(accounts)
    found: dict[str, int] = {}
    for start in range(0, len(names), 500):
        rows = uow.conn.execute(
            select(
                ledger_checked_balances.c.account, ledger_checked_balances.c.balance_minor
            ).where(ledger_checked_balances.c.account.in_(names[start : start + 500]))
        )
        found.update((str(a), int(v)) for a, v in rows)
    return {name: found.get(name, 0) for name in names}


def _running_balances_continue(
    uow: UnitOfWork, opening: Mapping[str, int], new: Sequence[domain.LedgerTransaction]
) -> list[str]:
    """Rule 4 for the accounts the new transactions touched: verified balance plus them."""
    expected = defaultdict(int, opening)
    for tx in new:
        for posting in tx.postings:
            expected[posting.account] += posting.amount_minor
    stored = _chunked_balances(uow, list(expected))
    return [
        f"account {name} has a running balance of {stored[name]}, its entries sum to {total}"
        for name, total in sorted(expected.items())
        if stored[name] != total
    ]


def _running_balances_match_entries(uow: UnitOfWork) -> list[str]:
    """Rule 4 over every account, in one statement (one snapshot)."""
    sums = (
        select(
            ledger_entries.c.account,
            func.sum(ledger_entries.c.amount_minor).label("total"),
            func.count().label("entries"),
        )
        .group_by(ledger_entries.c.account)
        .subquery()
    )
    rows = uow.conn.execute(
        select(
            ledger_accounts.c.name,
            func.coalesce(ledger_balances.c.balance_minor, 0),
            func.coalesce(ledger_balances.c.entry_count, 0),
            func.coalesce(sums.c.total, 0),
            func.coalesce(sums.c.entries, 0),
        )
        .select_from(
            ledger_accounts.outerjoin(
                ledger_balances, ledger_balances.c.account == ledger_accounts.c.name
            ).outerjoin(sums, sums.c.account == ledger_accounts.c.name)
        )
        .order_by(ledger_accounts.c.name)
    )
    return [
        f"account {name} has a running balance of {stored} over {count} entries, "
        f"its {entries} entries sum to {total}"
        for name, stored, count, total, entries in rows
        if (int(stored), int(count)) != (int(total), int(entries))
    ]


def _balances_through(uow: UnitOfWork, through: int) -> dict[str, int]:
    rows = uow.conn.execute(
        select(ledger_entries.c.account, func.sum(ledger_entries.c.amount_minor))
        .where(ledger_entries.c.transaction_id <= through)
        .group_by(ledger_entries.c.account)
    )
    return {str(a): int(v) for a, v in rows}


def _orders_named(uow: UnitOfWork, since: int) -> set[str]:
    rows = uow.conn.scalars(
        select(ledger_transactions.c.order_id)
        .where(ledger_transactions.c.id > since, ledger_transactions.c.order_id.is_not(None))
        .distinct()
    )
    return {str(order_id) for order_id in rows}


def _chunked_balances(uow: UnitOfWork, names: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(names), 500):
        found.update(balances(uow, names[start : start + 500]))
    return found


def _escrow_matches_orders(uow: UnitOfWork, orders: Sequence[OrderEscrow]) -> list[str]:
    escrow = _chunked_balances(uow, [domain.order_escrow(o.order_id) for o in orders])
    breaches = []
    for order in orders:
        held = -escrow[domain.order_escrow(order.order_id)]
        if held != order.expected_minor:
            breaches.append(
                f"order {order.order_id} ({order.status}) escrow holds {held}, "
                f"expected {order.expected_minor}"
            )
    return breaches


def _suspense_matches_held(uow: UnitOfWork, held: Mapping[str, int]) -> list[str]:
    suspense = dict(
        uow.conn.execute(
            select(ledger_accounts.c.currency, func.sum(ledger_balances.c.balance_minor))
            .join(ledger_balances, ledger_balances.c.account == ledger_accounts.c.name)
            .where(ledger_accounts.c.name.like("platform:suspense:%"))
            .group_by(ledger_accounts.c.currency)
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


PROMOTION_KINDS = (
    domain.TxKind.PROMOTION_FUNDING.value,
    domain.TxKind.PROMOTION_CLAWBACK.value,
    domain.TxKind.PROMOTION_CLAWBACK_FX.value,
)


def _promotions_match_orders(
    uow: UnitOfWork, funded: Mapping[str, int], order_ids: Collection[str] | None
) -> list[str]:
    """Rule 7: ``platform:promotions`` moves only by promotion funding and clawbacks of an
    order; an order's funding is at most the platform-funded part of its discount lines (less
    when refunds before release took goods back), and its clawbacks never exceed it."""
    query = (
        select(
            ledger_transactions.c.order_id,
            ledger_transactions.c.kind,
            func.sum(ledger_entries.c.amount_minor),
        )
        .join(ledger_transactions, ledger_transactions.c.id == ledger_entries.c.transaction_id)
        .where(ledger_entries.c.account.like("platform:promotions:%"))
        .group_by(ledger_transactions.c.order_id, ledger_transactions.c.kind)
    )
    if order_ids is not None:
        query = query.where(ledger_transactions.c.order_id.in_(sorted(order_ids)))
    paid: dict[str, int] = defaultdict(int)
    back: dict[str, int] = defaultdict(int)
    breaches = []
    for order_id, kind, total in uow.conn.execute(query):
        if order_id is None or kind not in PROMOTION_KINDS:
            breaches.append(f"platform:promotions has {kind} entries of order {order_id}")
        elif kind == domain.TxKind.PROMOTION_FUNDING.value:
            paid[order_id] += int(total)
        else:
            back[order_id] -= int(total)
    for order_id in sorted(set(paid) | set(back)):
        owed = funded.get(order_id, 0)
        if paid[order_id] > owed:
            breaches.append(
                f"order {order_id}: the platform funded {paid[order_id]} of its discounts, "
                f"more than the {owed} its discount lines say"
            )
        if back[order_id] > paid[order_id]:
            breaches.append(
                f"order {order_id}: {back[order_id]} of platform funding clawed back, "
                f"more than the {paid[order_id]} paid"
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
