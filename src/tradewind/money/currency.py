"""Currencies and countries.

Minor units come from the ``iso4217`` package (the ISO table), never from Babel: CLDR's display
digits differ from ISO's for some currencies (e.g. it shows 0 digits for some that ISO gives 2).
Babel is used only for the territory -> currency default and for display.
"""

from __future__ import annotations

from functools import cache

from babel import Locale
from babel.numbers import get_territory_currencies
from iso4217 import Currency

from tradewind.kernel.errors import FieldError, InvalidInput


@cache
def minor_unit_digits(code: str) -> int:
    """ISO 4217 exponent: JPY 0, USD 2, KWD 3. Unknown or fund codes are refused."""
    try:
        exponent = Currency(code).exponent
    except ValueError:
        exponent = None
    if exponent is None or not code.isalpha() or not code.isupper():
        raise InvalidInput(
            f"unknown currency: {code!r}",
            errors=[FieldError("currency", "not an ISO 4217 currency", "currency")],
        )
    return int(exponent)


def validate_currency(code: str) -> str:
    minor_unit_digits(code)
    return code


# CLDR territories that are not countries: unknown region, EU, eurozone, UN, outlying Oceania.
_NOT_COUNTRIES = frozenset({"ZZ", "EU", "EZ", "UN", "QO"})


@cache
def _countries() -> frozenset[str]:
    codes = (str(c) for c in Locale("en").territories)
    return frozenset(
        c for c in codes if len(c) == 2 and c.isalpha() and c.isupper() and c not in _NOT_COUNTRIES
    )


def validate_country(code: str) -> str:
    if code not in _countries():
        raise InvalidInput(
            f"unknown country: {code!r}",
            errors=[FieldError("country", "not an ISO 3166-1 alpha-2 code", "country")],
        )
    return code


def currency_for_country(country: str) -> str:
    candidates = [c for c in get_territory_currencies(validate_country(country)) if _is_iso(c)]
    if not candidates:
        raise InvalidInput(f"no default currency for {country}; give one explicitly")
    return candidates[0]


def _is_iso(code: str) -> bool:
    try:
        minor_unit_digits(code)
    except InvalidInput:
        return False
    return True
