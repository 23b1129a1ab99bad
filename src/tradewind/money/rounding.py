"""The one place where a Decimal becomes an integer amount of minor units.

Why one place: rounding is where money is created or lost. Every conversion (FX, tax rates,
commission) computes an *exact* Decimal first and rounds it exactly once, here, with one mode.

Why ROUND_HALF_EVEN (banker's rounding): rates such as 8%, 50% or 12.5% of integer amounts land
on exact halves often. Rounding halves up would move the platform's commission (and every other
rate) upward by half a minor unit on each such tie, a bias that compounds across millions of
postings; half-even rounds half the ties up and half down, so the expected error is zero. It is
also the default of IEEE 754, of Python's ``round`` and of ``decimal``, so nobody is surprised.
It is symmetric: ``f(-x) == -f(x)``, so a refund rounds exactly like the charge it reverses.
Where a law prescribes another mode for a tax line, that is a customs rule to model as dated
configuration, not a second rounding function here.

Exactness: the products computed before rounding run in :data:`EXACT` — a context with ample
precision that *traps* ``Inexact``, so an intermediate step can never round silently (which
would be a second rounding).
"""

from __future__ import annotations

from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    Rounded,
)

from tradewind.money.currency import minor_unit_digits

ROUNDING_MODE = ROUND_HALF_EVEN
BPS_PER_UNIT = 10_000  # basis points in 100%
MAX_RATE = Decimal(1_000_000)  # above any FX rate in use (LBP, IRR per USD are < 10^6)
MAX_RATE_DIGITS = 40  # significant digits; with amounts of <= 18 digits, products stay exact
_PRECISION = 80  # digits: amounts (<= 18) times rates (<= 40) times spread factors (5) fit

EXACT = Context(
    prec=_PRECISION,
    rounding=ROUNDING_MODE,
    traps=[Inexact, Rounded, InvalidOperation, DivisionByZero, Overflow],
)
"""Context for arithmetic that must be exact; any rounding in it raises ``decimal.Inexact``."""

_ROUNDING = Context(prec=_PRECISION, rounding=ROUNDING_MODE, traps=[InvalidOperation, Overflow])


def round_to_minor(value: Decimal, currency: str) -> int:
    """Round an amount in MAJOR units of ``currency`` to integer minor units, half to even.

    ``round_to_minor(Decimal("12.345"), "USD") == 1234`` (a tie, to even),
    ``round_to_minor(Decimal("12.3451"), "USD") == 1235``, ``round_to_minor(Decimal("0.5"),
    "JPY") == 0`` and ``round_to_minor(Decimal("1.0005"), "KWD") == 1000``.
    """
    _require_finite_decimal(value, "value")
    return _round_half_even(value, minor_unit_digits(currency))


def apply_rate(amount_minor: int, rate: Decimal, currency: str) -> int:
    """``amount_minor * rate`` rounded once to minor units of ``currency``.

    For tax and percentage arithmetic: VAT 18% on 12345 agorot is
    ``apply_rate(12345, Decimal("0.18"), "ILS") == 2222`` (exactly 2222.1).
    """
    _require_int(amount_minor, "amount_minor")
    _require_rate(rate)
    digits = minor_unit_digits(currency)
    exact_major = EXACT.scaleb(EXACT.multiply(Decimal(amount_minor), rate), -digits)
    return round_to_minor(exact_major, currency)


def apply_bps(amount_minor: int, rate_bps: int) -> int:
    """``amount_minor * rate_bps / 10000`` rounded once, half to even, in the same minor units.

    The currency does not matter here (minor units in, minor units out), which is why this
    door needs none; it rounds with the same step as :func:`round_to_minor`.
    """
    _require_int(amount_minor, "amount_minor")
    _require_int(rate_bps, "rate_bps")
    if not 0 <= rate_bps <= BPS_PER_UNIT:
        raise ValueError(f"rate_bps must be 0..{BPS_PER_UNIT}: {rate_bps}")
    exact_minor = EXACT.scaleb(EXACT.multiply(Decimal(amount_minor), Decimal(rate_bps)), -4)
    return _round_half_even(exact_minor, 0)


def bps_to_rate(rate_bps: int) -> Decimal:
    """Basis points as an exact Decimal fraction: 825 -> Decimal("0.0825")."""
    _require_int(rate_bps, "rate_bps")
    return EXACT.scaleb(Decimal(rate_bps), -4)


def _round_half_even(value: Decimal, digits: int) -> int:
    """The only rounding step: ``value`` to ``digits`` decimals, ties to even, as an integer
    count of ``10**-digits`` units. ``quantize`` rounds once however long ``value`` is."""
    rounded = value.quantize(Decimal(1).scaleb(-digits), rounding=ROUNDING_MODE, context=_ROUNDING)
    return int(EXACT.scaleb(rounded, digits))


def _require_finite_decimal(value: object, name: str) -> None:
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{name} must be finite: {value}")


def _require_rate(rate: Decimal) -> None:
    _require_finite_decimal(rate, "rate")
    if not 0 <= rate <= MAX_RATE or len(rate.as_tuple().digits) > MAX_RATE_DIGITS:
        raise ValueError(
            f"rate must be 0..{MAX_RATE} with at most {MAX_RATE_DIGITS} digits: {rate}"
        )


def _require_int(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
