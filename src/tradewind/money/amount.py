"""``Money``: an integer number of ISO 4217 minor units in one currency.

Why integers: a float cannot hold 0.10 exactly, and a Decimal carries a precision that the
currency does not have. ``Money(1234, "USD")`` is 12.34 dollars, ``Money(1234, "JPY")`` is 1,234
yen and ``Money(1234, "KWD")`` is 1.234 dinars; the exponent comes from the ISO table in
:mod:`tradewind.money.currency`.

Arithmetic never mixes currencies: it raises :class:`CurrencyMismatch`. Equality does not raise
(``Money(0, "USD") != Money(0, "EUR")``) so that values can live in sets and dict keys.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from tradewind.kernel.errors import FieldError, InvalidInput, LimitExceeded
from tradewind.kernel.problems import ProblemCode
from tradewind.money.currency import minor_unit_digits
from tradewind.money.rounding import EXACT

MAX_AMOUNT_MINOR = 10**17  # |amount|; ~90x headroom under a signed 64-bit column for sums
MAX_MAJOR_TEXT_LEN = 40
_MAX_ADJUSTED_EXPONENT = 18  # a major amount of 10^19 or more is out of range in any currency
_MAJOR_RE = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?", re.ASCII)


class CurrencyMismatch(InvalidInput):
    """Two amounts in different currencies were combined; convert one through an FX quote."""

    code = ProblemCode.CURRENCY_MISMATCH
    title = "Currency mismatch"


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount: ``amount_minor`` minor units of ``currency`` (never a float)."""

    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount_minor, bool) or not isinstance(self.amount_minor, int):
            kind = type(self.amount_minor).__name__
            raise TypeError(f"amount_minor must be an int of minor units, not {kind}")
        if not isinstance(self.currency, str):
            raise TypeError(f"currency must be a str, not {type(self.currency).__name__}")
        minor_unit_digits(self.currency)
        _check_range(self.amount_minor)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def from_major(cls, value: str | Decimal, currency: str) -> Money:
        """Parse ``"12.34"`` (or a Decimal) in major units, exactly; never rounds.

        Trailing zeros are fine (``"12.340"`` is 1234 cents) but a digit beyond the minor unit
        that is not zero (``"12.345"`` USD, ``"1.5"`` JPY) is refused with code
        ``too_many_decimals``: silently rounding a price someone typed loses money. Floats are
        refused (they are already inexact), and so are ints, which are too easily minor units.
        """
        return cls(_exact_minor(_parse_major(value), minor_unit_digits(currency)), currency)

    def to_decimal(self) -> Decimal:
        """The amount in major units with exactly the currency's digits: 1234 USD -> 12.34."""
        digits = minor_unit_digits(self.currency)
        return Decimal(self.amount_minor).scaleb(-digits, context=EXACT)

    def is_zero(self) -> bool:
        return self.amount_minor == 0

    def is_positive(self) -> bool:
        return self.amount_minor > 0

    def is_negative(self) -> bool:
        return self.amount_minor < 0

    def times(self, quantity: int) -> Money:
        """Unit price times an integer quantity (exact; no rounding involved)."""
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise TypeError(f"quantity must be an int, not {type(quantity).__name__}")
        return Money(self.amount_minor * quantity, self.currency)

    def __add__(self, other: Money) -> Money:
        return Money(self.amount_minor + self._same(other).amount_minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount_minor - self._same(other).amount_minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount_minor, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount_minor), self.currency)

    def __lt__(self, other: Money) -> bool:
        return self.amount_minor < self._same(other).amount_minor

    def __le__(self, other: Money) -> bool:
        return self.amount_minor <= self._same(other).amount_minor

    def __gt__(self, other: Money) -> bool:
        return self.amount_minor > self._same(other).amount_minor

    def __ge__(self, other: Money) -> bool:
        return self.amount_minor >= self._same(other).amount_minor

    def __str__(self) -> str:
        """For logs and errors, not for people: ``12.34 USD``. Use ``display.format_money``."""
        return f"{self.to_decimal()} {self.currency}"

    def _same(self, other: Money) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} with {other.currency}")
        return other


def sum_money(items: Iterable[Money], currency: str) -> Money:
    """Sum of ``items``, all in ``currency``; an empty iterable sums to zero in ``currency``."""
    total = Money.zero(currency)
    for item in items:
        total = total + item
    return total


def _parse_major(value: str | Decimal) -> Decimal:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _invalid_amount(f"amount must be finite: {value}")
        return value
    if not isinstance(value, str):
        raise TypeError(f"amount must be a str or Decimal, not {type(value).__name__}")
    text = value.strip()
    if len(text) > MAX_MAJOR_TEXT_LEN or not _MAJOR_RE.fullmatch(text):
        raise _invalid_amount(f"not a decimal amount such as '12.34': {value!r}")
    return Decimal(text)


def _exact_minor(value: Decimal, digits: int) -> int:
    """``value`` (major units) as minor units, with integer arithmetic only; never rounds."""
    sign, digit_tuple, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite, checked by _parse_major
    coefficient = int("".join(map(str, digit_tuple)))
    if coefficient == 0:
        return 0
    if value.adjusted() > _MAX_ADJUSTED_EXPONENT:  # refuse before building a huge integer
        raise _out_of_range()
    shift = exponent + digits
    if -shift > len(digit_tuple):  # all digits lie below the minor unit: cannot be exact
        raise _too_many_decimals(value, digits)
    scale: int = 10 ** abs(shift)
    if shift >= 0:
        return -coefficient * scale if sign else coefficient * scale
    minor, remainder = divmod(coefficient, scale)
    if remainder:
        raise _too_many_decimals(value, digits)
    return -minor if sign else minor


def _too_many_decimals(value: Decimal, digits: int) -> InvalidInput:
    return InvalidInput(
        f"{value} has more decimals than the currency's {digits}",
        code=ProblemCode.TOO_MANY_DECIMALS,
        errors=[FieldError("amount", f"at most {digits} decimals", "too_many_decimals")],
    )


def _check_range(amount_minor: int) -> None:
    if abs(amount_minor) > MAX_AMOUNT_MINOR:
        raise _out_of_range()


def _out_of_range() -> LimitExceeded:
    return LimitExceeded(
        f"amount is beyond the limit of {MAX_AMOUNT_MINOR} minor units",
        code=ProblemCode.AMOUNT_OUT_OF_RANGE,
        errors=[FieldError("amount", "too large", "amount_out_of_range")],
    )


def _invalid_amount(detail: str) -> InvalidInput:
    return InvalidInput(
        detail,
        code=ProblemCode.INVALID_AMOUNT,
        errors=[FieldError("amount", detail, "invalid_amount")],
    )
