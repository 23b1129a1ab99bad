"""Ledger idempotency keys on both databases: a repeat is a no-op, a different reuse is refused."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.support.api import register
from tests.support.market import list_product, open_shop, operator_headers
from tests.support.money_flow import assert_ledger_ok, buy, pay
from tradewind.bootstrap import Container
from tradewind.db.tables.ledger import ledger_accounts, ledger_entries, ledger_transactions
from tradewind.db.uow import UnitOfWork
from tradewind.kernel.clock import ManualClock
from tradewind.ledger.domain import (
    KeyReuse,
    LedgerKeyReused,
    LedgerTransaction,
    capture,
    refund_from_escrow,
    seller_payable,
)
from tradewind.ledger.service import Posted, balance, post
from tradewind.money.amount import Money

KEY = "capture:ord_1"


def _ledger(uow: UnitOfWork) -> list[list[tuple[Any, ...]]]:
    """Every ledger row, so a test can assert that nothing at all changed."""
    return [
        [tuple(row) for row in uow.conn.execute(select(table).order_by(*table.primary_key))]
        for table in (ledger_accounts, ledger_transactions, ledger_entries)
    ]


def _balance(container: Container, account: str) -> int:
    with container.uow(read_only=True) as uow:
        return balance(uow, account)


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


def test_a_concurrent_post_under_the_same_key_waits_and_is_then_refused(
    container: Container,
) -> None:
    """No check-then-act: the second writer queues on the key (PostgreSQL's unique index, the
    SQLite write lock) and compares only once the first has committed."""
    outcome: list[BaseException | Posted] = []

    def second_writer() -> None:
        try:
            with container.uow() as uow:
                outcome.append(post(uow, capture("ord_1", Money(1, "USD"), KEY), order_id="ord_1"))
                uow.commit()
        except LedgerKeyReused as exc:
            outcome.append(exc)

    with container.uow() as uow:
        first = post(uow, capture("ord_1", Money(10000, "USD"), KEY), order_id="ord_1")
        writer = threading.Thread(target=second_writer)
        writer.start()
        writer.join(timeout=0.5)
        assert writer.is_alive(), "the second writer did not wait for the first"
        uow.commit()
    writer.join(timeout=30)
    [refused] = outcome
    assert isinstance(refused, LedgerKeyReused)
    assert refused.reason is KeyReuse.AMOUNTS
    with container.uow(read_only=True) as uow:
        entries = uow.conn.execute(select(ledger_entries.c.amount_minor)).scalars().all()
    assert sorted(entries) == [-10000, 10000]
    assert first.created


def test_a_payout_batch_rerun_after_a_new_release_pays_the_rest_in_the_next_batch(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    """The batch's key for a seller is taken with other amounts: that seller is settled for
    this batch (not an error for the operator), and the next batch pays what came since."""
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "us@example.com", "US")
    _, dear = list_product(client, shop, price_minor=10000, stock=5)
    _, cheap = list_product(client, shop, price_minor=5000, stock=5)
    buyer = register(client, "noa@example.com", country="US")

    def sell(offer_id: str, key: str) -> None:
        checkout = buy(client, buyer, offer_id, key=key)
        order_id = checkout["orders"][0]["id"]
        pay(client, container, clock, buyer, checkout["id"])
        client.post(f"/api/v1/orders/{order_id}/ship", headers=shop.headers, json={})
        client.post(f"/api/v1/orders/{order_id}/confirm-receipt", headers=buyer)

    def run(batch: str) -> list[tuple[int, int]]:
        response = client.post("/api/v1/ops/payouts/run", headers=ops, json={"batch": batch})
        assert response.status_code == 200, response.text
        return [(p["amount_minor"], p["netted_minor"]) for p in response.json()]

    sell(dear, "first")
    assert run("day-1") == [(9200, 0)]
    sell(cheap, "second")  # day-1's key now computes 4600: exists_with_different_amounts
    assert run("day-1") == []
    assert _balance(container, seller_payable(shop.seller_id)) == -4600
    assert run("day-2") == [(4600, 0)]
    assert_ledger_ok(container)
