"""Ledger idempotency keys on both databases: a repeat is a no-op, a different reuse is refused."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tradewind.bootstrap import Container
from tradewind.db.tables.ledger import ledger_accounts, ledger_entries, ledger_transactions
from tradewind.db.uow import UnitOfWork
from tradewind.ledger.domain import (
    KeyReuse,
    LedgerKeyReused,
    LedgerTransaction,
    capture,
    refund_from_escrow,
)
from tradewind.ledger.service import Posted, post
from tradewind.money.amount import Money

KEY = "capture:ord_1"


def _ledger(uow: UnitOfWork) -> list[list[tuple[Any, ...]]]:
    """Every ledger row, so a test can assert that nothing at all changed."""
    return [
        [tuple(row) for row in uow.conn.execute(select(table).order_by(*table.primary_key))]
        for table in (ledger_accounts, ledger_transactions, ledger_entries)
    ]


def _post_first(container: Container) -> Posted:
    with container.uow() as uow:
        posted = post(uow, capture("ord_1", Money(10000, "USD"), KEY), order_id="ord_1")
        uow.commit()
    return posted


def test_an_exact_repeat_returns_the_original_and_writes_nothing(container: Container) -> None:
    first = _post_first(container)
    assert first.created
    with container.uow() as uow:
        before = _ledger(uow)
        again = post(uow, capture("ord_1", Money(10000, "USD"), KEY), order_id="ord_1")
        assert again == Posted(first.transaction_id, created=False)
        assert _ledger(uow) == before
        uow.commit()


@pytest.mark.parametrize(
    ("second", "order_id", "reason"),
    [
        (refund_from_escrow("ord_1", Money(10000, "USD"), KEY), "ord_1", KeyReuse.KIND),
        (capture("ord_1", Money(10000, "EUR"), KEY), "ord_1", KeyReuse.CURRENCY),
        (capture("ord_2", Money(10000, "USD"), KEY), "ord_1", KeyReuse.ACCOUNTS),
        (capture("ord_1", Money(9999, "USD"), KEY), "ord_1", KeyReuse.AMOUNTS),
        (capture("ord_1", Money(10000, "USD"), KEY), "ord_2", KeyReuse.REFERENCES),
    ],
    ids=lambda value: value.value if isinstance(value, KeyReuse) else "",
)
def test_a_different_transaction_under_a_used_key_is_refused_and_writes_nothing(
    container: Container, second: LedgerTransaction, order_id: str, reason: KeyReuse
) -> None:
    _post_first(container)
    with container.uow() as uow:
        before = _ledger(uow)
        with pytest.raises(LedgerKeyReused) as refused:
            post(uow, second, order_id=order_id)
        assert (refused.value.code, refused.value.reason) == ("ledger_key_reused", reason)
        assert refused.value.detail == f"ledger key {KEY!r}: {reason.value}"
        # The refused post wrote nothing, even inside its own still-open transaction...
        assert _ledger(uow) == before
        uow.commit()
    # ...so committing what else the unit of work did keeps the ledger as it was.
    with container.uow(read_only=True) as uow:
        assert _ledger(uow) == before
