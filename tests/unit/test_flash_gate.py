"""The per-process gate refuses only on fresh, complete knowledge, and never refuses a retry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tradewind.flash import gate as gate_module
from tradewind.flash.claims import SaleState
from tradewind.flash.domain import NotStarted, SaleEnded, SoldOut
from tradewind.flash.gate import SaleGate, Verdict

NOW = datetime(2026, 11, 11, tzinfo=UTC)
SALE = "flash_1"


@pytest.fixture
def gate() -> SaleGate:
    gate = SaleGate()
    gate.track(SALE, NOW, NOW + timedelta(hours=1))
    return gate


def sold_out(claim_seq: int, keys: tuple[tuple[int, str], ...], upto: int) -> SaleState:
    return SaleState(SALE, 0, claim_seq, keys, upto)


def test_an_unknown_sale_must_be_loaded_first() -> None:
    assert SaleGate().check("flash_other", "k", NOW) is Verdict.LOAD


def test_times_are_answered_from_memory(gate: SaleGate) -> None:
    assert isinstance(gate.check(SALE, "k", NOW - timedelta(seconds=1)), NotStarted)
    assert isinstance(gate.check(SALE, "k", NOW + timedelta(hours=1)), SaleEnded)
    assert gate.check(SALE, "k", NOW) is Verdict.PASS


def test_sold_out_refuses_new_keys_but_lets_retries_through(gate: SaleGate) -> None:
    gate.observe(sold_out(2, ((1, "won-1"), (2, "won-2")), 2), at=1e12)
    assert isinstance(gate.check(SALE, "new", NOW), SoldOut)
    assert gate.check(SALE, "won-2", NOW) is Verdict.PASS
    assert gate.seen_seq(SALE) == 2


def test_the_flag_waits_until_every_key_is_known(gate: SaleGate) -> None:
    gate.observe(sold_out(3, ((1, "a"),), 1), at=1e12)  # keys only up to seq 1 of 3
    assert gate.check(SALE, "new", NOW) is Verdict.PASS
    gate.observe(sold_out(3, ((2, "b"), (3, "c")), 3), at=1e12)
    assert isinstance(gate.check(SALE, "new", NOW), SoldOut)


def test_an_old_flag_is_checked_again_and_older_news_never_wins() -> None:
    clock = [100.0]
    gate = SaleGate(monotonic=lambda: clock[0])
    gate.track(SALE, NOW, NOW + timedelta(hours=1))
    gate.observe(sold_out(0, (), 0), at=100.0)
    assert isinstance(gate.check(SALE, "new", NOW), SoldOut)
    clock[0] += gate_module.FRESH_S + 0.1
    assert gate.check(SALE, "new", NOW) is Verdict.LOAD  # units may have come back
    gate.observe(SaleState(SALE, 1, 1, (), 1), at=clock[0])  # they did
    gate.observe(sold_out(0, (), 0), at=50.0)  # a slow poll that started earlier
    assert gate.check(SALE, "new", NOW) is Verdict.PASS


def test_the_gate_forgets_the_least_used_sale_when_full(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gate_module, "MAX_SALES", 2)
    gate = SaleGate()
    for sale_id in ("s1", "s2", "s3"):
        gate.track(sale_id, NOW, NOW + timedelta(hours=1))
    assert gate.check("s1", "k", NOW) is Verdict.LOAD
    assert gate.check("s3", "k", NOW) is Verdict.PASS
