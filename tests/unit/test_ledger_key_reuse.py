"""A used ledger key with a different transaction is named, TigerBeetle style; a repeat is not."""

from __future__ import annotations

import pytest

from tradewind.kernel.errors import Conflict
from tradewind.ledger.domain import (
    KeyReuse,
    LedgerKeyReused,
    LedgerTransaction,
    capture,
    credit,
    debit,
    key_reuse,
    order_escrow,
    psp_clearing,
    refund_from_escrow,
    release,
)
from tradewind.money.amount import Money


def usd(minor: int) -> Money:
    return Money(minor, "USD")


def test_an_exact_repeat_is_no_reuse() -> None:
    first = capture("ord_1", usd(10000), "capture:ord_1")
    assert key_reuse(first, capture("ord_1", usd(10000), "capture:ord_1")) is None


def test_postings_in_another_order_are_the_same_transaction() -> None:
    first = release("ord_1", "slr_1", usd(10000), 800, "release:ord_1")
    shuffled = LedgerTransaction(
        first.idempotency_key, first.kind, tuple(reversed(first.postings)), first.memo
    )
    assert key_reuse(first, shuffled) is None


def test_the_memo_is_not_compared() -> None:
    first = capture("ord_1", usd(10000), "k")
    reworded = LedgerTransaction(first.idempotency_key, first.kind, first.postings, "other")
    assert key_reuse(first, reworded) is None


@pytest.mark.parametrize(
    ("second", "reason"),
    [
        (refund_from_escrow("ord_1", usd(10000), "k"), KeyReuse.KIND),
        (capture("ord_1", Money(10000, "EUR"), "k"), KeyReuse.CURRENCY),
        (capture("ord_2", usd(10000), "k"), KeyReuse.ACCOUNTS),
        (capture("ord_1", usd(9999), "k"), KeyReuse.AMOUNTS),
    ],
)
def test_what_differs_is_named(second: LedgerTransaction, reason: KeyReuse) -> None:
    assert key_reuse(capture("ord_1", usd(10000), "k"), second) is reason


def test_kind_is_checked_before_amounts() -> None:
    first = capture("ord_1", usd(10000), "k")
    other = LedgerTransaction(
        "k",
        "reversal",
        (debit(psp_clearing("USD"), usd(5)), credit(order_escrow("ord_1"), usd(5))),
    )
    assert key_reuse(first, other) is KeyReuse.KIND


def test_amounts_moved_between_the_same_accounts_are_a_difference() -> None:
    # Same accounts, same multiset of absolute amounts, different signs.
    first = LedgerTransaction("k", "capture", (debit("a:x", usd(3)), credit("b:x", usd(3))))
    flipped = LedgerTransaction("k", "capture", (credit("a:x", usd(3)), debit("b:x", usd(3))))
    assert key_reuse(first, flipped) is KeyReuse.AMOUNTS


def test_the_error_is_a_409_conflict_with_a_stable_code() -> None:
    error = LedgerKeyReused("capture:ord_1", KeyReuse.AMOUNTS)
    assert isinstance(error, Conflict)
    assert error.code == "ledger_key_reused"
    assert error.reason is KeyReuse.AMOUNTS
    assert error.idempotency_key == "capture:ord_1"
    assert error.detail == "ledger key 'capture:ord_1': exists_with_different_amounts"


def test_reason_values_are_tigerbeetle_style_and_stable() -> None:
    assert [reason.value for reason in KeyReuse] == [
        "exists_with_different_kind",
        "exists_with_different_currency",
        "exists_with_different_accounts",
        "exists_with_different_amounts",
        "exists_with_different_references",
    ]
