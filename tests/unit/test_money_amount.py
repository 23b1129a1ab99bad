"""Money: integer minor units, one currency, exact parsing."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.kernel.errors import InvalidInput, LimitExceeded
from tradewind.money.amount import MAX_AMOUNT_MINOR, CurrencyMismatch, Money, sum_money

CURRENCIES = ["JPY", "KRW", "ILS", "USD", "EUR", "KWD", "BHD", "TND"]
amounts = st.integers(min_value=-(10**12), max_value=10**12)


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("12.34", "USD", 1234),
        ("12.3", "USD", 1230),
        ("12", "USD", 1200),
        ("12.340", "USD", 1234),  # trailing zeros lose nothing
        ("0.01", "EUR", 1),
        ("-7.50", "ILS", -750),
        ("+7.50", "ILS", 750),
        (" 12345 ", "JPY", 12345),
        ("12345.00", "JPY", 12345),
        ("1.234", "KWD", 1234),
        ("0.005", "BHD", 5),
        ("1234567.891", "TND", 1234567891),
        ("0", "KRW", 0),
    ],
)
def test_from_major_parses_exactly(text: str, currency: str, minor: int) -> None:
    assert Money.from_major(text, currency) == Money(minor, currency)


def test_from_major_takes_decimals() -> None:
    assert Money.from_major(Decimal("1.250"), "KWD") == Money(1250, "KWD")
    assert Money.from_major(Decimal("1E+3"), "JPY") == Money(1000, "JPY")
    assert Money.from_major(Decimal("0E-40"), "USD") == Money(0, "USD")
    assert Money.from_major(Decimal("100E-4"), "USD") == Money(1, "USD")


@pytest.mark.parametrize(
    ("value", "currency"),
    [
        ("12.345", "USD"),
        ("0.001", "EUR"),
        ("1.5", "JPY"),
        ("1.2345", "KWD"),
        (Decimal("0.0001"), "KWD"),
        (Decimal("1E-1000000"), "USD"),
    ],
)
def test_from_major_refuses_digits_below_the_minor_unit(
    value: str | Decimal, currency: str
) -> None:
    with pytest.raises(InvalidInput) as info:
        Money.from_major(value, currency)
    assert info.value.code == "too_many_decimals"


@pytest.mark.parametrize(
    "text", ["", "abc", "1e3", "NaN", "Infinity", ".5", "5.", "1,000", "1_000", "١٢", "1 2", "--1"]
)
def test_from_major_refuses_what_is_not_a_plain_decimal(text: str) -> None:
    with pytest.raises(InvalidInput) as info:
        Money.from_major(text, "USD")
    assert info.value.code == "invalid_amount"


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_from_major_refuses_non_finite_decimals(value: Decimal) -> None:
    with pytest.raises(InvalidInput):
        Money.from_major(value, "USD")


@pytest.mark.parametrize("value", [12.34, 12, True, None])
def test_from_major_refuses_floats_and_other_types(value: object) -> None:
    with pytest.raises(TypeError, match="must be a str or Decimal"):
        Money.from_major(value, "USD")  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [1.0, True, False, Decimal(1), "1", None])
def test_amount_minor_must_be_a_plain_int(value: object) -> None:
    with pytest.raises(TypeError, match="amount_minor must be an int"):
        Money(value, "USD")  # type: ignore[arg-type]


@pytest.mark.parametrize("currency", ["usd", "XXX", "ZZZ", ""])
def test_unknown_currency_is_refused(currency: str) -> None:
    with pytest.raises(InvalidInput):
        Money(1, currency)


def test_non_string_currency_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="currency must be a str"):
        Money(1, 840)  # type: ignore[arg-type]


def test_amounts_are_bounded() -> None:
    assert Money(MAX_AMOUNT_MINOR, "USD").amount_minor == MAX_AMOUNT_MINOR
    with pytest.raises(LimitExceeded) as info:
        Money(MAX_AMOUNT_MINOR + 1, "USD")
    assert info.value.code == "amount_out_of_range"
    with pytest.raises(LimitExceeded):
        Money(-MAX_AMOUNT_MINOR - 1, "USD")
    with pytest.raises(LimitExceeded):
        Money.from_major(Decimal("1E+1000000"), "USD")
    with pytest.raises(LimitExceeded):
        Money(MAX_AMOUNT_MINOR, "USD") + Money(1, "USD")


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (Money(1234, "USD"), "12.34"),
        (Money(-5, "USD"), "-0.05"),
        (Money(0, "EUR"), "0.00"),
        (Money(12345, "JPY"), "12345"),
        (Money(1, "KWD"), "0.001"),
        (Money(1234567, "BHD"), "1234.567"),
    ],
)
def test_to_decimal_has_exactly_the_iso_digits(money: Money, text: str) -> None:
    assert str(money.to_decimal()) == text
    assert str(money) == f"{text} {money.currency}"


def test_arithmetic_and_comparisons() -> None:
    a, b = Money(1050, "ILS"), Money(250, "ILS")
    assert a + b == Money(1300, "ILS")
    assert a - b == Money(800, "ILS")
    assert b - a == Money(-800, "ILS")
    assert -a == Money(-1050, "ILS")
    assert abs(Money(-3, "ILS")) == Money(3, "ILS")
    assert b.times(3) == Money(750, "ILS")
    assert b < a
    assert b <= a
    assert a > b
    assert a >= a
    assert max(a, b) == a
    assert Money(0, "KWD").is_zero()
    assert Money(1, "KWD").is_positive()
    assert Money(-1, "KWD").is_negative()
    assert Money.zero("JPY") == Money(0, "JPY")


@pytest.mark.parametrize("quantity", [1.5, True, "2"])
def test_times_needs_an_int(quantity: object) -> None:
    with pytest.raises(TypeError, match="quantity must be an int"):
        Money(1, "USD").times(quantity)  # type: ignore[arg-type]


def test_mixing_currencies_raises_a_typed_error() -> None:
    usd, eur = Money(100, "USD"), Money(100, "EUR")
    for operation in (
        lambda: usd + eur,
        lambda: usd - eur,
        lambda: usd < eur,
        lambda: usd <= eur,
        lambda: usd > eur,
        lambda: usd >= eur,
    ):
        with pytest.raises(CurrencyMismatch) as info:
            operation()
        assert info.value.code == "currency_mismatch"
        assert isinstance(info.value, InvalidInput)


def test_equality_across_currencies_is_false_not_an_error() -> None:
    assert Money(0, "USD") != Money(0, "EUR")
    assert len({Money(1, "USD"), Money(1, "USD"), Money(1, "EUR")}) == 2


def test_combining_with_other_types_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="cannot combine Money with int"):
        Money(1, "USD") + 1  # type: ignore[operator]


def test_sum_money() -> None:
    items = [Money(1, "KWD"), Money(2, "KWD"), Money(-10, "KWD")]
    assert sum_money(items, "KWD") == Money(-7, "KWD")
    assert sum_money([], "JPY") == Money(0, "JPY")
    with pytest.raises(CurrencyMismatch):
        sum_money([Money(1, "KWD"), Money(1, "BHD")], "KWD")
    with pytest.raises(CurrencyMismatch):
        sum_money([Money(1, "KWD")], "BHD")


def test_money_is_immutable() -> None:
    money = Money(1, "USD")
    with pytest.raises(AttributeError):
        money.amount_minor = 2  # type: ignore[misc]


@given(amount_minor=amounts, currency=st.sampled_from(CURRENCIES))
def test_major_text_round_trips(amount_minor: int, currency: str) -> None:
    money = Money(amount_minor, currency)
    assert Money.from_major(str(money.to_decimal()), currency) == money
    assert Money.from_major(money.to_decimal(), currency) == money


@given(a=amounts, b=amounts, c=amounts)
def test_addition_is_exact_integer_addition(a: int, b: int, c: int) -> None:
    x, y, z = Money(a, "EUR"), Money(b, "EUR"), Money(c, "EUR")
    assert (x + y) + z == x + (y + z)
    assert x + y - y == x
    assert type((x + y).amount_minor) is int
    assert sum_money([x, y, z], "EUR").amount_minor == a + b + c
