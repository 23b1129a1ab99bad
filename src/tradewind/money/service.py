"""FX quotes as operators set them: stored, listed, and looked up as of an instant.

A quote is never updated: a new rate is a new row with a later ``valid_from``, and an order keeps
the quote it was priced with, so historic amounts are never re-converted.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import insert, select

from tradewind.db.tables.money import fx_quotes
from tradewind.db.uow import UnitOfWork
from tradewind.kernel.errors import Conflict, FieldError, InvalidInput
from tradewind.kernel.ids import new_id
from tradewind.money.currency import validate_currency
from tradewind.money.fx import FxQuote

MAX_RATE_DIGITS = 20
IDENTITY_SOURCE = "identity"


def parse_rate(raw: str) -> Decimal:
    try:
        rate = Decimal(raw)
    except InvalidOperation as exc:
        raise InvalidInput(
            "rate must be a decimal number such as '3.6712'",
            errors=[FieldError("rate", "not a decimal", "invalid_rate")],
        ) from exc
    if not rate.is_finite() or rate <= 0 or len(rate.as_tuple().digits) > MAX_RATE_DIGITS:
        raise InvalidInput(
            "rate must be a positive decimal with at most 20 digits",
            errors=[FieldError("rate", "out of range", "invalid_rate")],
        )
    return rate


def record_quote(
    uow: UnitOfWork,
    created_by: str | None,
    *,
    base: str,
    quote: str,
    rate: str,
    spread_bps: int,
    source: str,
    valid_from: datetime | None = None,
) -> dict[str, Any]:
    """Store a new quote. Callers check that ``created_by`` is an operator (None: seeding)."""
    validate_currency(base)
    validate_currency(quote)
    if base == quote:
        raise InvalidInput("base and quote currencies must differ", code="same_currency")
    if not 0 <= spread_bps <= 2000:
        raise InvalidInput(
            "spread must be 0 to 2000 basis points",
            errors=[FieldError("spread_bps", "out of range")],
        )
    now = uow.clock.now()
    values = {
        "id": new_id("fxq"),
        "base": base,
        "quote": quote,
        "rate": str(parse_rate(rate)),
        "spread_bps": spread_bps,
        "source": source[:100],
        "valid_from": valid_from or now,
        "created_by": created_by,
        "created_at": now,
    }
    uow.conn.execute(insert(fx_quotes).values(**values))
    return values


def _to_quote(row: Any) -> FxQuote:
    return FxQuote(
        base=row.base,
        quote=row.quote,
        rate=Decimal(row.rate),
        spread_bps=row.spread_bps,
        source=row.source,
        quoted_at=row.valid_from,
        quote_id=row.id,
    )


def identity_quote(currency: str, at: datetime) -> FxQuote:
    return FxQuote(
        base=currency,
        quote=currency,
        rate=Decimal(1),
        spread_bps=0,
        source=IDENTITY_SOURCE,
        quoted_at=at,
        quote_id="identity",
    )


def quotes_for(
    uow: UnitOfWork, pairs: Iterable[tuple[str, str]], at: datetime
) -> dict[tuple[str, str], FxQuote]:
    """The quote in force at ``at`` for each (base, quote) pair; Conflict if one is missing."""
    result: dict[tuple[str, str], FxQuote] = {}
    for base, quote in set(pairs):
        if base == quote:
            result[(base, quote)] = identity_quote(base, at)
            continue
        row = uow.conn.execute(
            select(fx_quotes)
            .where(
                fx_quotes.c.base == base, fx_quotes.c.quote == quote, fx_quotes.c.valid_from <= at
            )
            .order_by(fx_quotes.c.valid_from.desc(), fx_quotes.c.id.desc())
            .limit(1)
        ).first()
        if row is None:
            raise Conflict(
                f"no FX rate from {base} to {quote} is set; an operator must add one",
                code="fx_rate_missing",
            )
        result[(base, quote)] = _to_quote(row)
    return result


def list_quotes(uow: UnitOfWork, *, limit: int, after: str | None) -> list[dict[str, Any]]:
    query = select(fx_quotes).order_by(fx_quotes.c.id).limit(limit)
    if after:
        query = query.where(fx_quotes.c.id > after)
    return [dict(r._mapping) for r in uow.conn.execute(query)]
