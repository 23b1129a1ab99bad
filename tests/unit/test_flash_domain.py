"""Pure flash-sale rules: the claim decision never oversells or passes the limit, whatever the
batch; retries replay; the waitlist is served in order; terms and countdowns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.flash.domain import (
    MAX_UNITS_PER_CLAIM,
    Ask,
    BuyerLimitReached,
    Granted,
    NotStarted,
    Phase,
    Refused,
    Replay,
    SaleEnded,
    SoldOut,
    Terms,
    Waiting,
    Window,
    claimed_percent,
    decide_claims,
    phase,
    refusal,
    seconds_until,
    serve_waitlist,
    validate_terms,
)
from tradewind.kernel.errors import IdempotencyKeyReused, InvalidInput

NOW = datetime(2026, 11, 11, 0, 0, tzinfo=UTC)
LIVE = Window(NOW - timedelta(minutes=1), NOW + timedelta(hours=1), 10, 2)


def ask(buyer: str, key: str, quantity: int = 1, request_hash: str = "h") -> Ask:
    return Ask(buyer, quantity, key, request_hash)


def test_claims_take_units_in_arrival_order_until_the_pool_is_empty() -> None:
    window = Window(LIVE.starts_at, LIVE.ends_at, 3, 2)
    decided = decide_claims(
        window,
        {},
        [ask("a", "1", 2), ask("b", "1", 2), ask("c", "1"), ask("d", "1")],
        now=NOW,
        earlier={},
    )
    kinds = [type(d) for d in decided.decisions]
    assert kinds == [Granted, Refused, Granted, Refused]
    assert isinstance(decided.decisions[1], Refused)
    assert isinstance(decided.decisions[1].error, SoldOut)
    assert "only 1 units are left" in decided.decisions[1].error.detail
    assert decided.remaining_units == 0
    assert decided.units_by_buyer == {"a": 2, "c": 1}


def test_the_limit_counts_units_held_before_and_within_the_batch() -> None:
    decided = decide_claims(
        LIVE, {"a": 1}, [ask("a", "1"), ask("a", "2"), ask("b", "1", 3)], now=NOW, earlier={}
    )
    assert isinstance(decided.decisions[0], Granted)
    for refused in decided.decisions[1:]:
        assert isinstance(refused, Refused)
        assert isinstance(refused.error, BuyerLimitReached)
    assert decided.units_by_buyer == {"a": 2}


def test_a_retry_replays_and_a_reused_key_is_refused() -> None:
    earlier = {("a", "k"): "h1"}
    decided = decide_claims(
        LIVE,
        {"a": 1},
        [
            ask("a", "k", request_hash="h1"),  # retry of a stored claim
            ask("a", "k", request_hash="h2"),  # same key, different claim
            ask("b", "x"),
            ask("b", "x"),  # a twin in the same batch
            ask("b", "x", 2, "other"),
        ],
        now=NOW,
        earlier=earlier,
    )
    first, reused, granted, twin, reused_twin = decided.decisions
    assert first == Replay("k")
    assert isinstance(reused, Refused)
    assert isinstance(reused.error, IdempotencyKeyReused)
    assert granted == Granted(1)
    assert twin == Replay("x")
    assert isinstance(reused_twin, Refused)
    assert decided.remaining_units == 9


def test_before_the_start_and_after_the_end_nothing_is_taken() -> None:
    early = Window(NOW + timedelta(seconds=90), NOW + timedelta(hours=1), 10, 2)
    late = Window(NOW - timedelta(hours=2), NOW, 10, 2)
    for window, error in ((early, NotStarted), (late, SaleEnded)):
        decided = decide_claims(window, {}, [ask("a", "1")], now=NOW, earlier={})
        refused = decided.decisions[0]
        assert isinstance(refused, Refused)
        assert isinstance(refused.error, error)
        assert decided.remaining_units == 10


@given(
    pool=st.integers(min_value=0, max_value=40),
    limit=st.integers(min_value=1, max_value=5),
    held=st.dictionaries(st.sampled_from("abcdef"), st.integers(0, 5), max_size=6),
    asks=st.lists(
        st.tuples(
            st.sampled_from("abcdef"),
            st.integers(0, 8),
            st.integers(1, MAX_UNITS_PER_CLAIM),
            st.sampled_from(["h", "g"]),
        ),
        max_size=60,
    ),
)
def test_no_batch_oversells_or_passes_the_limit(
    pool: int, limit: int, held: dict[str, int], asks: list[tuple[str, int, int, str]]
) -> None:
    held = {b: min(u, limit) for b, u in held.items()}
    window = Window(LIVE.starts_at, LIVE.ends_at, pool, limit)
    batch = [ask(b, str(k), q, h) for b, k, q, h in asks]
    decided = decide_claims(window, held, batch, now=NOW, earlier={})
    granted: dict[str, int] = {}
    for a, d in zip(batch, decided.decisions, strict=True):
        if isinstance(d, Granted):
            assert d.quantity == a.quantity
            granted[a.buyer_id] = granted.get(a.buyer_id, 0) + d.quantity
    assert sum(granted.values()) == pool - decided.remaining_units
    assert decided.remaining_units >= 0
    for buyer, units in granted.items():
        assert held.get(buyer, 0) + units <= limit
        assert decided.units_by_buyer[buyer] == held.get(buyer, 0) + units
    keys = [(a.buyer_id, a.idempotency_key) for a in batch]
    assert len([d for d in decided.decisions if isinstance(d, Granted)]) <= len(set(keys))


def test_released_units_go_down_the_line_skipping_buyers_at_their_limit() -> None:
    line = [Waiting(1, "a"), Waiting(2, "b"), Waiting(3, "c"), Waiting(4, "d")]
    plan = serve_waitlist(2, line, {"a": 0, "b": 2}, limit=2)
    assert [w.entry_id for w in plan.served] == [1, 3]
    assert [w.entry_id for w in plan.skipped] == [2]
    assert plan.back_to_pool == 0
    rest = serve_waitlist(3, [Waiting(4, "d")], {}, limit=2)
    assert ([w.entry_id for w in rest.served], rest.back_to_pool) == ([4], 2)
    with pytest.raises(ValueError, match="negative"):
        serve_waitlist(-1, line, {}, limit=2)


def _terms(**change: object) -> Terms:
    base: dict[str, object] = {
        "price_minor": 999,
        "pool_units": 100,
        "per_buyer_limit": 2,
        "hold_s": 900,
        "starts_at": NOW,
        "ends_at": NOW + timedelta(hours=3),
    }
    return Terms(**(base | change))  # type: ignore[arg-type]


def test_terms_within_limits_pass_and_each_broken_rule_is_named() -> None:
    assert validate_terms(_terms(), now=NOW, offer_price_minor=1999) == _terms()
    cases = {
        "price_minor": _terms(price_minor=2000),
        "pool_units": _terms(pool_units=2_000_000),
        "per_buyer_limit": _terms(per_buyer_limit=101),
        "hold_s": _terms(hold_s=30),
        "starts_at": _terms(starts_at=NOW - timedelta(hours=1)),
        "ends_at": _terms(ends_at=NOW + timedelta(days=8)),
    }
    for field, terms in cases.items():
        with pytest.raises(InvalidInput) as caught:
            validate_terms(terms, now=NOW, offer_price_minor=1999)
        assert [e.field for e in caught.value.errors] == [field]


def test_phases_countdowns_and_percent_claimed() -> None:
    starts, ends = NOW + timedelta(seconds=10), NOW + timedelta(seconds=70)
    assert phase(NOW, starts, ends, 5) is Phase.SCHEDULED
    assert phase(starts, starts, ends, 5) is Phase.LIVE
    assert phase(starts, starts, ends, 0) is Phase.SOLD_OUT
    assert phase(ends, starts, ends, 5) is Phase.ENDED
    assert seconds_until(NOW, NOW + timedelta(milliseconds=1)) == 1
    assert seconds_until(NOW, NOW - timedelta(seconds=5)) == 0
    assert claimed_percent(3, 2) == 33.3
    assert claimed_percent(1000, 1) == 99.9  # 100.0 only when truly none is left
    assert claimed_percent(3, 0) == 100.0
    assert isinstance(refusal(NOW, starts, ends, sold_out=True), NotStarted)
    assert isinstance(refusal(starts, starts, ends, sold_out=True), SoldOut)
    assert refusal(starts, starts, ends, sold_out=False) is None
