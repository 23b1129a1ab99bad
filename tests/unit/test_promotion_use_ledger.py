"""A batch of checkouts taking coupon uses in memory: all or nothing, limits exact."""

from __future__ import annotations

from tradewind.kernel.errors import Conflict
from tradewind.kernel.problems import ProblemCode
from tradewind.promotions.domain import Counters, Use, UseLedger, merge_uses


def test_the_last_uses_go_to_the_first_checkouts_and_the_rest_are_refused() -> None:
    ledger = UseLedger({"c": Counters(10, 8, 1)}, {})
    results = [ledger.take(f"b{n}", [Use("c", 1, True)]) for n in range(5)]
    assert results[:2] == [None, None]
    assert all(isinstance(r, Conflict) for r in results[2:])
    assert {r.code for r in results[2:] if r is not None} == {ProblemCode.COUPON_EXHAUSTED}
    assert ledger.taken_total == {"c": 2}
    assert ledger.taken_by_buyer == {("c", "b0"): 1, ("c", "b1"): 1}


def test_a_buyer_at_their_limit_is_refused_and_nothing_of_the_checkout_is_taken() -> None:
    ledger = UseLedger({"a": Counters(None, 0, None), "z": Counters(None, 3, 2)}, {("z", "b"): 1})
    assert ledger.take("b", [Use("a", 1, True), Use("z", 1, True)]) is None
    refusal = ledger.take("b", [Use("a", 1, True), Use("z", 1, True)])
    assert isinstance(refusal, Conflict)
    assert refusal.code == ProblemCode.COUPON_LIMIT_REACHED
    assert ledger.taken_total == {"a": 1, "z": 1}
    assert ledger.taken_by_buyer == {("z", "b"): 1}


def test_giving_back_a_take_leaves_the_ledger_as_before() -> None:
    ledger = UseLedger({"c": Counters(1, 0, 1)}, {})
    assert ledger.take("b", [Use("c", 1, True)]) is None
    ledger.give_back("b", [Use("c", 1, True)])
    assert ledger.taken_total == {"c": 0}
    assert ledger.taken_by_buyer == {("c", "b"): 0}
    assert ledger.take("b2", [Use("c", 1, True)]) is None


def test_an_unknown_coupon_is_used_up_and_units_merge_per_promotion() -> None:
    ledger = UseLedger({}, {})
    refusal = ledger.take("b", [Use("gone", 1, True)])
    assert isinstance(refusal, Conflict)
    assert refusal.code == ProblemCode.COUPON_EXHAUSTED
    assert ledger.take("b", [Use("gone", 2, False)]) is None
    assert ledger.taken_total == {}
    assert merge_uses([Use("x", 2, False), Use("a", 1, True), Use("x", 3, True)]) == [
        Use("a", 1, True),
        Use("x", 5, True),
    ]
