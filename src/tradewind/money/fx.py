"""FX quotes and conversion.

A quote says how many major units of ``quote`` one major unit of ``base`` buys at mid-market
(``rate``), plus the platform's ``spread_bps``. An order snapshots the quote it was priced with
and is never re-converted.

Conversion charges the spread against the customer: converting a price from the seller's
currency into the currency the buyer pays in uses ``rate * (1 + spread)``, so the buyer pays
more than mid-market and the difference stays with the platform (the ledger books it on the
``platform:fx`` accounts). The product is exact, then rounded once by
:func:`tradewind.money.rounding.round_to_minor`; differing minor units (JPY 0 -> ILS 2 -> KWD 3)
need no special case because the arithmetic runs in major units.

The bounds on a rate (:data:`MIN_RATE`, :data:`MAX_RATE`, :data:`MAX_RATE_DIGITS`) are defined
here once and checked by :func:`validate_rate`, both when an operator writes a quote
(:func:`parse_rate`) and whenever a stored quote is read back into an :class:`FxQuote`: a rate
that could not be priced with is refused at the door instead of breaking every price later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation

from tradewind.kernel.errors import FieldError, InvalidInput
from tradewind.kernel.problems import ProblemCode
from tradewind.kernel.text import check_plain_text
from tradewind.money.amount import CurrencyMismatch, Money
from tradewind.money.currency import validate_currency
from tradewind.money.rounding import BPS_PER_UNIT, EXACT, round_to_minor

MAX_SPREAD_BPS = 2_000
MAX_RATE_DIGITS = 20  # significant digits; keeps every product exact in rounding.EXACT
MAX_RATE = Decimal(10) ** 9
MIN_RATE = Decimal(10) ** -9
MAX_SOURCE_LEN = 100
MAX_QUOTE_ID_LEN = 100
CROSS_RATE_DIGITS = 12  # significant digits kept when a cross rate needs a division
MAX_RATE_TEXT_LEN = 40  # the stored column's width
MAX_VALID_FROM_PAST = timedelta(days=1)  # a rate may start "this morning", not last year
MAX_VALID_FROM_AHEAD = timedelta(days=366)
# Digits, an optional fraction and exponent; ASCII only (no signs, spaces, "_", "NaN", "Inf").
_RATE_TEXT = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?", re.ASCII)


@dataclass(frozen=True, slots=True)
class FxQuote:
    """A rate snapshot: ``rate`` units of ``quote`` per one major unit of ``base`` (mid).

    An identity quote (``base == quote``) is allowed only with rate 1 and no spread, so code
    that prices in the buyer's own currency can use the same path.
    """

    base: str
    quote: str
    rate: Decimal
    spread_bps: int
    source: str
    quoted_at: datetime
    quote_id: str

    def __post_init__(self) -> None:
        validate_currency(self.base)
        validate_currency(self.quote)
        validate_rate(self.rate)
        _check_spread(self.spread_bps)
        _check_text(self.source, "source", MAX_SOURCE_LEN)
        _check_text(self.quote_id, "quote_id", MAX_QUOTE_ID_LEN)
        _check_utc(self.quoted_at)
        if self.base == self.quote and (self.rate != 1 or self.spread_bps != 0):
            raise InvalidInput(
                "a quote from a currency to itself must have rate 1 and no spread",
                code=ProblemCode.SAME_CURRENCY,
            )

    @property
    def customer_rate(self) -> Decimal:
        """The rate the customer gets: mid plus the spread (exact, never rounded)."""
        markup = EXACT.scaleb(Decimal(BPS_PER_UNIT + self.spread_bps), -4)
        return EXACT.multiply(self.rate, markup)


def convert(money: Money, quote: FxQuote) -> Money:
    """``money`` (in ``quote.base``) in ``quote.quote`` at the customer rate, rounded once.

    JPY 12,345 at 0.0236 ILS/JPY with 150 bps: 12345 * 0.0236 * 1.015 = 295.71213 ILS -> 29571.
    """
    if money.currency != quote.base:
        raise CurrencyMismatch(
            f"quote {quote.quote_id} converts {quote.base}, not {money.currency}"
        )
    if quote.base == quote.quote:
        return money
    exact_major = EXACT.multiply(money.to_decimal(), quote.customer_rate)
    return Money(round_to_minor(exact_major, quote.quote), quote.quote)


def cross(
    pivot_to_base: FxQuote, pivot_to_quote: FxQuote, *, spread_bps: int, quote_id: str
) -> FxQuote:
    """Derive ``B -> Q`` from two mid quotes that share a base (``P -> B`` and ``P -> Q``).

    For rate sources that publish everything against one currency (the ECB quotes EUR -> X).
    The rate is ``rate(P->Q) / rate(P->B)``, a division, so it is kept to
    :data:`CROSS_RATE_DIGITS` significant digits (half to even); the spread is given afresh
    because the inputs' spreads are mids' metadata, not this pair's policy. The derived quote is
    as old as the older input.
    """
    if pivot_to_base.base != pivot_to_quote.base:
        raise CurrencyMismatch(
            f"cross needs two quotes from one pivot, got {pivot_to_base.base} "
            f"and {pivot_to_quote.base}"
        )
    context = Context(prec=CROSS_RATE_DIGITS, rounding=ROUND_HALF_EVEN)
    rate = context.divide(pivot_to_quote.rate, pivot_to_base.rate)
    source = f"cross:{pivot_to_base.source}+{pivot_to_quote.source}"[:MAX_SOURCE_LEN]
    return FxQuote(
        base=pivot_to_base.quote,
        quote=pivot_to_quote.quote,
        rate=rate,
        spread_bps=spread_bps,
        source=source,
        quoted_at=min(pivot_to_base.quoted_at, pivot_to_quote.quoted_at),
        quote_id=quote_id,
    )


def validate_rate(rate: Decimal) -> Decimal:
    """``rate`` if it is finite, in [:data:`MIN_RATE`, :data:`MAX_RATE`] and has at most
    :data:`MAX_RATE_DIGITS` significant digits; ``invalid_rate`` otherwise. The one check,
    on write and on read."""
    if not isinstance(rate, Decimal):
        raise TypeError(f"rate must be a Decimal, not {type(rate).__name__}")
    if (
        not rate.is_finite()
        or not MIN_RATE <= rate <= MAX_RATE
        or len(rate.as_tuple().digits) > MAX_RATE_DIGITS
    ):
        raise _bad_rate(
            f"rate must be a number from {MIN_RATE:f} to {MAX_RATE:f} with at most "
            f"{MAX_RATE_DIGITS} significant digits"
        )
    return rate


def parse_rate(raw: str) -> Decimal:
    """An operator's rate text, such as ``"3.6712"``, checked by :func:`validate_rate`."""
    if not isinstance(raw, str) or len(raw) > MAX_RATE_TEXT_LEN or not _RATE_TEXT.fullmatch(raw):
        raise _bad_rate("rate must be a plain positive decimal number such as '3.6712'")
    try:
        rate = Decimal(raw)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
        raise _bad_rate("rate must be a plain positive decimal number such as '3.6712'") from exc
    return validate_rate(rate)


def rate_text(rate: Decimal) -> str:
    """How a rate is stored: positional notation (``0.000000001``, never ``1E-9``)."""
    return format(validate_rate(rate), "f")


def validate_pair(base: str, quote: str) -> None:
    """Both ISO 4217 currencies with a minor unit (``unknown_currency``), and not the same
    one (``same_currency``): a quote from a currency to itself is implicit, never stored."""
    for field, code in (("base", base), ("quote", quote)):
        try:
            validate_currency(code)
        except InvalidInput as exc:
            raise InvalidInput(
                f"{field} must be an ISO 4217 currency code such as USD: {code!r} is not one",
                code=ProblemCode.UNKNOWN_CURRENCY,
                errors=[FieldError(field, "not an ISO 4217 currency", "unknown_currency")],
            ) from exc
    if base == quote:
        raise InvalidInput(
            "base and quote currencies must differ",
            code=ProblemCode.SAME_CURRENCY,
            errors=[FieldError("quote", "same as base", "same_currency")],
        )


def check_valid_from(valid_from: datetime, now: datetime) -> datetime:
    """``valid_from`` in UTC if it is from :data:`MAX_VALID_FROM_PAST` before ``now`` to
    :data:`MAX_VALID_FROM_AHEAD` after it; ``valid_from_out_of_range`` otherwise."""
    _check_utc(now)
    earliest, latest = now - MAX_VALID_FROM_PAST, now + MAX_VALID_FROM_AHEAD
    if valid_from.tzinfo is None or not earliest <= valid_from <= latest:
        detail = (
            f"valid_from must be a UTC time from {earliest.isoformat()} to {latest.isoformat()}"
        )
        raise InvalidInput(
            detail,
            code=ProblemCode.VALID_FROM_OUT_OF_RANGE,
            errors=[FieldError("valid_from", detail, "valid_from_out_of_range")],
        )
    return valid_from.astimezone(UTC)  # cannot overflow: it is within a year of now


def _bad_rate(detail: str) -> InvalidInput:
    return InvalidInput(
        detail, code=ProblemCode.INVALID_RATE, errors=[FieldError("rate", detail, "invalid_rate")]
    )


def _check_spread(spread_bps: int) -> None:
    if isinstance(spread_bps, bool) or not isinstance(spread_bps, int):
        raise TypeError(f"spread_bps must be an int, not {type(spread_bps).__name__}")
    if not 0 <= spread_bps <= MAX_SPREAD_BPS:
        raise InvalidInput(
            f"spread must be 0 to {MAX_SPREAD_BPS} basis points: {spread_bps}",
            code=ProblemCode.INVALID_SPREAD,
            errors=[FieldError("spread_bps", "out of range", "invalid_spread")],
        )


def _check_text(value: str, name: str, max_len: int) -> None:
    check_plain_text(value, name, min_len=1, max_len=max_len)
    if value != value.strip():
        raise InvalidInput(
            f"{name} must be 1 to {max_len} characters without surrounding spaces",
            code=ProblemCode.INVALID_TEXT,
            errors=[FieldError(name, "surrounding spaces", "invalid_text")],
        )


def _check_utc(moment: datetime) -> None:
    if not isinstance(moment, datetime):
        raise TypeError(f"quoted_at must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() != timedelta(0):
        raise InvalidInput(
            "quoted_at must be timezone-aware UTC",
            errors=[FieldError("quoted_at", "not UTC", "naive_datetime")],
        )
