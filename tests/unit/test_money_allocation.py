"""Largest-remainder splits: parts always sum exactly to the total."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.kernel.errors import InvalidInput
from tradewind.money.allocation import MAX_PARTS, allocate, split_commission


@pytest.mark.parametrize(
    ("total", "weights", "parts"),
    [
        (100, [1, 1, 1], [34, 33, 33]),
        (-100, [1, 1, 1], [-34, -33, -33]),
        (101, [1, 1, 1], [34, 34, 33]),
        (0, [1, 2, 3], [0, 0, 0]),
        (100, [1], [100]),
        (100, [0, 1, 0], [0, 100, 0]),
        (10, [3, 0, 7], [3, 0, 7]),
        (5, [1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0]),  # ties to the lowest index
        (1, [1, 1], [1, 0]),
        (-1, [1, 1], [-1, 0]),
        (7, [1, 2], [2, 5]),  # 2.33 / 4.67: the larger remainder (.67) gets the unit
        (1000, [2999, 5999, 1002], [300, 600, 100]),
        (12345, [5000, 3000, 2000], [6173, 3703, 2469]),  # 6172.5, 3703.5: tie -> lowest index
    ],
)
def test_allocate(total: int, weights: list[int], parts: list[int]) -> None:
    assert allocate(total, weights) == parts


def test_allocate_refuses_all_zero_weights() -> None:
    with pytest.raises(InvalidInput) as info:
        allocate(100, [0, 0])
    assert info.value.code == "zero_weights"


@pytest.mark.parametrize(
    ("total", "weights", "error"),
    [
        (100, [], ValueError),
        (100, [1, -1], ValueError),
        (100, [1] * (MAX_PARTS + 1), ValueError),
        (100.0, [1], TypeError),
        (100, [1.5], TypeError),
        (True, [1], TypeError),
        (100, [True], TypeError),
    ],
)
def test_allocate_refuses_bad_arguments(
    total: object, weights: list[object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        allocate(total, weights)  # type: ignore[arg-type]


@given(
    total=st.integers(min_value=-(10**15), max_value=10**15),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30).filter(
        any
    ),
)
def test_allocate_sums_exactly_and_stays_within_one_of_the_exact_share(
    total: int, weights: list[int]
) -> None:
    parts = allocate(total, weights)
    assert sum(parts) == total
    assert len(parts) == len(weights)
    weight_total = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        assert type(part) is int
        assert abs(part - Fraction(total * weight, weight_total)) < 1
        if weight == 0:
            assert part == 0
    assert allocate(-total, weights) == [-p for p in parts]


@pytest.mark.parametrize(
    ("amount", "rate_bps", "seller", "commission"),
    [
        (10000, 800, 9200, 800),  # 100.00 USD at 8%: 92.00 + 8.00
        (12345, 825, 11327, 1018),  # 1018.4625 -> 1018
        (125, 2000, 100, 25),
        (25, 5000, 13, 12),  # 12.5 -> 12 (even)
        (35, 5000, 17, 18),  # 17.5 -> 18 (even)
        (999, 0, 999, 0),
        (999, 10000, 0, 999),
        (1, 800, 1, 0),
        (-10000, 800, -9200, -800),
    ],
)
def test_split_commission(amount: int, rate_bps: int, seller: int, commission: int) -> None:
    assert split_commission(amount, rate_bps) == (seller, commission)


@pytest.mark.parametrize("rate_bps", [-1, 10001])
def test_split_commission_rate_range(rate_bps: int) -> None:
    with pytest.raises(ValueError, match="rate_bps"):
        split_commission(100, rate_bps)


@given(
    amount=st.integers(min_value=-(10**15), max_value=10**15),
    rate_bps=st.integers(min_value=0, max_value=10_000),
)
def test_split_commission_parts_sum_exactly(amount: int, rate_bps: int) -> None:
    seller, commission = split_commission(amount, rate_bps)
    assert seller + commission == amount
    assert abs(commission - Fraction(amount * rate_bps, 10_000)) <= Fraction(1, 2)
