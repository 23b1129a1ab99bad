"""Prices in the buyer's currency through the FX quote in force (one conversion per unit)."""

from __future__ import annotations

from typing import Any

from tradewind.money.amount import Money
from tradewind.money.fx import FxQuote, convert


def unit_price_for_buyer(price_minor: int, seller_currency: str, quote: FxQuote) -> int:
    """The unit price the buyer sees and pays. Line totals are this times the quantity, so the
    buyer's arithmetic on the page always adds up."""
    if quote.base == quote.quote:
        return price_minor
    return convert(Money(price_minor, seller_currency), quote).amount_minor


def fx_snapshot(quote: FxQuote) -> dict[str, Any]:
    return {
        "quote_id": quote.quote_id,
        "base": quote.base,
        "quote": quote.quote,
        "rate": str(quote.rate),
        "spread_bps": quote.spread_bps,
        "source": quote.source,
        "quoted_at": quote.quoted_at.isoformat(),
    }
