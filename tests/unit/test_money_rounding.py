"""The one rounding function: exact arithmetic first, then half-to-even once."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.kernel.errors import InvalidInput
from tradewind.money.rounding import (
    ROUNDING_MODE,
    apply_bps,
    apply_rate,
    bps_to_rate,
    round_to_minor,
)


def test_the_mode_is_bankers_rounding() -> None:
    assert ROUNDING_MODE == "ROUND_HALF_EVEN"


@pytest.mark.parametrize(
    ("value", "currency", "minor"),
    [
        ("12.345", "USD", 1234),  # tie -> even
        ("12.355", "USD", 1236),  # tie -> even
        ("12.3451", "USD", 1235),
        ("12.3449", "USD", 1234),
        ("-12.345", "USD", -1234),  # symmetric
        ("-12.3451", "USD", -1235),
        ("0.5", "JPY", 0),
        ("1.5", "JPY", 2),
        ("2.5", "JPY", 2),
        ("-2.5", "JPY", -2),
        ("12345.4999", "JPY", 12345),
        ("1.0005", "KWD", 1000),
        ("1.0015", "KWD", 1002),
        ("1.00051", "KWD", 1001),
        ("0.0004", "BHD", 0),
        ("1E+5", "JPY", 100000),
        ("12.34", "EUR", 1234),  # already exact: no rounding at all
    ],
)
def test_round_to_minor(value: str, currency: str, minor: int) -> None:
    result = round_to_minor(Decimal(value), currency)
    assert result == minor
    assert type(result) is int


def test_round_to_minor_keeps_precision_far_beyond_28_digits() -> None:
    # Python's default context has 28 digits; this value would round there first.
    value = Decimal("1234567890123.4449999999999999999999999999999")
    assert round_to_minor(value, "USD") == 123456789012344


def test_round_to_minor_rounds_once_however_long_the_value() -> None:
    assert round_to_minor(Decimal("0.00" + "4" * 200), "USD") == 0
    assert round_to_minor(Decimal("0.00" + "5" * 200), "USD") == 1
    assert round_to_minor(Decimal("0.005" + "0" * 200), "USD") == 0  # an exact tie


def test_apply_rate_limits_rate_digits() -> None:
    with pytest.raises(ValueError, match="digits"):
        apply_rate(100, Decimal("0." + "1" * 41), "USD")
    assert apply_rate(100, Decimal("0." + "1" * 40), "USD") == 11


@pytest.mark.parametrize("value", [1.5, 2, "1.5", True])
def test_round_to_minor_takes_only_decimals(value: object) -> None:
    with pytest.raises(TypeError, match="value must be a Decimal"):
        round_to_minor(value, "USD")  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "sNaN"])
def test_round_to_minor_refuses_non_finite(value: str) -> None:
    with pytest.raises(ValueError, match="finite"):
        round_to_minor(Decimal(value), "USD")


def test_round_to_minor_refuses_unknown_currency() -> None:
    with pytest.raises(InvalidInput):
        round_to_minor(Decimal(1), "XXX")


@pytest.mark.parametrize(
    ("amount_minor", "rate", "currency", "minor"),
    [
        (12345, "0.18", "ILS", 2222),  # Israeli VAT: 2222.10
        (12345, "0.17", "EUR", 2099),  # 2098.65
        (12345, "0.20", "EUR", 2469),
        (250, "0.18", "ILS", 45),
        (25, "0.5", "USD", 12),  # 12.5, tie -> even
        (35, "0.5", "USD", 18),  # 17.5, tie -> even
        (12345, "0.18", "JPY", 2222),  # 2222.1 yen
        (1005, "0.5", "KWD", 502),  # 502.5 fils, tie -> even
        (1234, "0.0825", "KWD", 102),  # 101.805 fils
        (-12345, "0.18", "ILS", -2222),
        (12345, "0", "ILS", 0),
        (12345, "1", "ILS", 12345),
    ],
)
def test_apply_rate(amount_minor: int, rate: str, currency: str, minor: int) -> None:
    assert apply_rate(amount_minor, Decimal(rate), currency) == minor


@pytest.mark.parametrize("rate", ["-0.01", "1000001", "NaN"])
def test_apply_rate_refuses_bad_rates(rate: str) -> None:
    with pytest.raises(ValueError, match="rate must be"):
        apply_rate(100, Decimal(rate), "USD")


@pytest.mark.parametrize(("amount_minor", "rate"), [(1.5, Decimal(1)), (100, 0.18), (True, 1)])
def test_apply_rate_refuses_floats(amount_minor: object, rate: object) -> None:
    with pytest.raises(TypeError, match=r"must be an? (int|Decimal)"):
        apply_rate(amount_minor, rate, "USD")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount_minor", "rate_bps", "minor"),
    [(10000, 800, 800), (12345, 825, 1018), (125, 2000, 25), (5, 1000, 0), (15, 1000, 2)],
)
def test_apply_bps(amount_minor: int, rate_bps: int, minor: int) -> None:
    assert apply_bps(amount_minor, rate_bps) == minor
    assert apply_bps(-amount_minor, rate_bps) == -minor


@pytest.mark.parametrize("rate_bps", [-1, 10001])
def test_apply_bps_range(rate_bps: int) -> None:
    with pytest.raises(ValueError, match="rate_bps"):
        apply_bps(100, rate_bps)


def test_bps_to_rate() -> None:
    assert bps_to_rate(825) == Decimal("0.0825")
    assert bps_to_rate(10000) == 1
    with pytest.raises(TypeError, match="rate_bps must be an int"):
        bps_to_rate(8.25)  # type: ignore[arg-type]


@given(
    amount_minor=st.integers(min_value=-(10**15), max_value=10**15),
    rate_bps=st.integers(min_value=0, max_value=10_000),
)
def test_apply_bps_matches_integer_half_even(amount_minor: int, rate_bps: int) -> None:
    exact_numerator = amount_minor * rate_bps
    result = apply_bps(amount_minor, rate_bps)
    # within half a unit of the exact value
    assert abs(result * 10_000 - exact_numerator) <= 5_000
    # and on an exact tie, the even neighbour
    if abs(result * 10_000 - exact_numerator) == 5_000:
        assert result % 2 == 0
    assert apply_rate(amount_minor, bps_to_rate(rate_bps), "USD") == result


@given(
    value=st.decimals(
        min_value=Decimal("-1E12"), max_value=Decimal("1E12"), allow_nan=False, places=6
    ),
    currency=st.sampled_from(["JPY", "USD", "KWD"]),
)
def test_round_to_minor_is_symmetric_and_close(value: Decimal, currency: str) -> None:
    digits = {"JPY": 0, "USD": 2, "KWD": 3}[currency]
    result = round_to_minor(value, currency)
    assert round_to_minor(-value, currency) == -result
    assert abs(Decimal(result).scaleb(-digits) - value) <= Decimal("0.5").scaleb(-digits)
