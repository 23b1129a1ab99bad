"""Showing money to people, per locale, with the ISO number of decimals.

Why not Babel's defaults: Babel takes the decimals from CLDR, which differ from ISO 4217 for some
currencies (CLDR shows IQD, IRR, LBP and others with 0 digits where ISO has 2 or 3). We store
ISO minor units, so we display them: the locale decides symbols, separators and sign placement;
the ISO table decides the number of fraction digits. Display is for people only; never parse it
back or store it.
"""

from __future__ import annotations

import copy
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.numbers import NumberPattern, format_currency

from tradewind.kernel.errors import FieldError, InvalidInput
from tradewind.kernel.problems import ProblemCode
from tradewind.money.amount import Money
from tradewind.money.currency import minor_unit_digits

MAX_LOCALE_LEN = 35  # BCP 47 tags in practice stay far below this


def format_money(money: Money, locale: str) -> str:
    """``Money(1234567, "KWD")`` in ``en_US`` is ``KWD1,234.567``; 12345 JPY is ``¥12,345``.

    ``locale`` may be written ``en_US`` or ``en-US``.
    """
    name = _normalize_locale(locale)
    return format_currency(
        money.to_decimal(),
        money.currency,
        format=_pattern(name, minor_unit_digits(money.currency)),
        locale=_locale(name),
        currency_digits=False,
        decimal_quantization=True,
    )


@cache
def _pattern(locale: str, digits: int) -> NumberPattern:
    """The locale's standard currency pattern with exactly ``digits`` fraction digits."""
    standard: NumberPattern = _locale(locale).currency_formats["standard"]
    pattern = copy.copy(standard)
    pattern.frac_prec = (digits, digits)
    return pattern


def _normalize_locale(locale: str) -> str:
    if not isinstance(locale, str) or not 1 <= len(locale) <= MAX_LOCALE_LEN:
        raise _unknown_locale(locale)
    return locale.replace("-", "_")


@cache
def _locale(locale: str) -> Locale:
    try:
        return Locale.parse(locale)
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise _unknown_locale(locale) from exc


def _unknown_locale(locale: object) -> InvalidInput:
    return InvalidInput(
        f"unknown locale: {locale!r}",
        code=ProblemCode.UNKNOWN_LOCALE,
        errors=[FieldError("locale", "not a known locale", "unknown_locale")],
    )
