"""Display: the locale picks symbols and separators, ISO 4217 picks the decimals."""

import pytest
from babel.numbers import format_currency

from tradewind.kernel.errors import InvalidInput
from tradewind.money.amount import Money
from tradewind.money.display import format_money

NBSP = "\xa0"
RLM = "\u200f"


@pytest.mark.parametrize(
    ("money", "locale", "text"),
    [
        (Money(1234567, "KWD"), "en_US", "KWD1,234.567"),
        (Money(1234567, "KWD"), "de_DE", f"1.234,567{NBSP}KWD"),
        (Money(5, "BHD"), "en_US", "BHD0.005"),
        (Money(12345, "JPY"), "en_US", "¥12,345"),
        (Money(12345, "JPY"), "ja_JP", "￥12,345"),
        (Money(12345, "JPY"), "de_DE", f"12.345{NBSP}¥"),
        (Money(123450, "ILS"), "en_US", "₪1,234.50"),
        (Money(-123450, "ILS"), "en_US", "-₪1,234.50"),
        (Money(123450, "ILS"), "he_IL", f"{RLM}1,234.50{NBSP}{RLM}₪"),
        (Money(0, "USD"), "en_US", "$0.00"),
        (Money(999, "EUR"), "fr_FR", f"9,99{NBSP}€"),
        (Money(999, "EUR"), "en-GB", "€9.99"),  # BCP 47 spelling works too
    ],
)
def test_format_money(money: Money, locale: str, text: str) -> None:
    assert format_money(money, locale) == text


@pytest.mark.parametrize(("currency", "babel_text"), [("IQD", "IQD1,235"), ("LBP", "LBP1")])
def test_iso_digits_win_where_cldr_differs(currency: str, babel_text: str) -> None:
    """CLDR shows IQD and LBP without decimals; ISO gives IQD 3 and LBP 2, and so do we."""
    money = Money(1234567 if currency == "IQD" else 100, currency)
    assert format_currency(money.to_decimal(), currency, locale="en_US") == babel_text
    expected = "IQD1,234.567" if currency == "IQD" else "LBP1.00"
    assert format_money(money, "en_US") == expected


@pytest.mark.parametrize("locale", ["xx_YY", "", "en__", "../etc/passwd", "e" * 36])
def test_unknown_locales_are_refused(locale: str) -> None:
    with pytest.raises(InvalidInput) as info:
        format_money(Money(1, "USD"), locale)
    assert info.value.code == "unknown_locale"
