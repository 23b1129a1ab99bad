import pytest

from tradewind.kernel.errors import InvalidInput
from tradewind.money.currency import (
    currency_for_country,
    minor_unit_digits,
    validate_country,
)


@pytest.mark.parametrize(
    ("code", "digits"),
    [
        ("JPY", 0),
        ("KRW", 0),
        ("ILS", 2),
        ("USD", 2),
        ("EUR", 2),
        ("KWD", 3),
        ("BHD", 3),
        ("TND", 3),
    ],
)
def test_minor_units_follow_iso_4217(code: str, digits: int) -> None:
    assert minor_unit_digits(code) == digits


@pytest.mark.parametrize("code", ["usd", "XXX", "ZZZ", "US", ""])
def test_unknown_currencies_are_refused(code: str) -> None:
    with pytest.raises(InvalidInput):
        minor_unit_digits(code)


@pytest.mark.parametrize(
    ("country", "currency"),
    [("IL", "ILS"), ("CN", "CNY"), ("US", "USD"), ("DE", "EUR"), ("JP", "JPY"), ("KW", "KWD")],
)
def test_default_currency_per_country(country: str, currency: str) -> None:
    assert currency_for_country(country) == currency


@pytest.mark.parametrize("country", ["XX", "il", "ISR", "001"])
def test_unknown_countries_are_refused(country: str) -> None:
    with pytest.raises(InvalidInput):
        validate_country(country)
