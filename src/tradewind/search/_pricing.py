"""Prices in the buyer's currency: per-currency bounds for filters, and display conversion.

A price filter is given in the buyer's currency, but offers are stored in each seller's
currency. Rather than convert every offer inside SQL (floating point, per row), each bound
is turned into an exact bound in every seller currency: the smallest and largest seller
price whose conversion (:func:`tradewind.money.fx.convert`, the checkout's own rounding) lands
inside the range. Conversion is monotonic in the price, so a binary search finds them, and
the SQL compares integers only.
"""

from __future__ import annotations

from dataclasses import dataclass

from tradewind.money.amount import Money
from tradewind.money.fx import FxQuote, convert

MAX_PRICE_MINOR = 10**12  # the catalog's ceiling on any listing


@dataclass(frozen=True, slots=True)
class PriceBounds:
    """Inclusive seller-currency bounds; ``None`` is open."""

    currency: str
    low_minor: int | None
    high_minor: int | None


def in_buyer_currency(price_minor: int, quote: FxQuote) -> int:
    return convert(Money(price_minor, quote.base), quote).amount_minor


def _first_at_least(quote: FxQuote, target: int) -> int:
    """Smallest seller price whose converted value is >= target (MAX+1 when none)."""
    low, high = 1, MAX_PRICE_MINOR + 1
    while low < high:
        mid = (low + high) // 2
        if in_buyer_currency(mid, quote) >= target:
            high = mid
        else:
            low = mid + 1
    return low


def seller_bounds(
    quote: FxQuote, min_minor: int | None, max_minor: int | None
) -> PriceBounds | None:
    """Bounds in ``quote.base`` for a buyer range in ``quote.quote``; None if nothing fits."""
    low = _first_at_least(quote, min_minor) if min_minor is not None else None
    high = _first_at_least(quote, max_minor + 1) - 1 if max_minor is not None else None
    if low is not None and low > MAX_PRICE_MINOR:
        return None
    if high is not None and (high < 1 or (low is not None and low > high)):
        return None
    return PriceBounds(quote.base, low, high)
