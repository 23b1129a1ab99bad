"""FX quotes as operators set them: stored, listed, and looked up as of an instant.

A quote is never updated: a new rate is a new row with a later ``valid_from``, and an order keeps
the quote it was priced with, so historic amounts are never re-converted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select

from tradewind.audit import service as audit
from tradewind.db.tables.money import fx_quotes
from tradewind.db.uow import UnitOfWork
from tradewind.kernel.errors import Conflict, InvalidInput
from tradewind.kernel.ids import new_id
from tradewind.kernel.problems import ProblemCode
from tradewind.kernel.text import check_plain_text
from tradewind.money.fx import (
    FxQuote,
    check_valid_from,
    parse_rate,
    rate_text,
    validate_pair,
)

log = logging.getLogger(__name__)

IDENTITY_SOURCE = "identity"


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
    reason: str | None = None,
) -> dict[str, Any]:
    """Store a new quote. Callers check that ``created_by`` is an operator (None: seeding);
    an operator's quote is written to the audit log with ``reason``.

    The quote is built exactly as the read path builds it (:class:`FxQuote`, the same bounds)
    before anything is written, so a stored quote can always be priced with."""
    validate_pair(base, quote)
    now = uow.clock.now()
    checked = FxQuote(
        base=base,
        quote=quote,
        rate=parse_rate(rate),
        spread_bps=spread_bps,
        source=check_plain_text(source, "source", min_len=1, max_len=100),
        quoted_at=now if valid_from is None else check_valid_from(valid_from, now),
        quote_id=new_id("fxq"),
    )
    values = {
        "id": checked.quote_id,
        "base": checked.base,
        "quote": checked.quote,
        "rate": rate_text(checked.rate),
        "spread_bps": checked.spread_bps,
        "source": checked.source,
        "valid_from": checked.quoted_at,
        "created_by": created_by,
        "created_at": now,
    }
    uow.conn.execute(insert(fx_quotes).values(**values))
    if created_by is not None:
        audit.record(
            uow,
            actor_id=created_by,
            action="fx.add",
            subject_kind="fx_quote",
            subject_id=checked.quote_id,
            reason=reason or audit.NO_REASON,
            detail={k: str(values[k]) for k in ("base", "quote", "rate", "spread_bps")},
        )
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
                code=ProblemCode.FX_RATE_MISSING,
            )
        result[(base, quote)] = _readable(row, base, quote)
    return result


def quotes_into(
    uow: UnitOfWork, bases: Iterable[str], quote: str, at: datetime
) -> dict[str, FxQuote | None]:
    """The quote in force at ``at`` from each base into ``quote``, in one statement; None for
    a base without a usable rate (a reader that prices many offers skips those, never fails).
    """
    wanted = sorted(set(bases) - {quote})
    result: dict[str, FxQuote | None] = dict.fromkeys(wanted)
    if wanted:
        latest = (
            select(
                fx_quotes,
                func.row_number()
                .over(
                    partition_by=fx_quotes.c.base,
                    order_by=(fx_quotes.c.valid_from.desc(), fx_quotes.c.id.desc()),
                )
                .label("newest"),
            )
            .where(
                fx_quotes.c.base.in_(wanted),
                fx_quotes.c.quote == quote,
                fx_quotes.c.valid_from <= at,
            )
            .subquery()
        )
        for row in uow.conn.execute(select(latest).where(latest.c.newest == 1)):
            try:
                result[row.base] = _readable(row, row.base, quote)
            except Conflict:
                result[row.base] = None
    if quote in set(bases):
        result[quote] = identity_quote(quote, at)
    return result


def _readable(row: Any, base: str, quote: str) -> FxQuote:
    """The stored quote; one written before the bounds were checked on write (or edited in the
    database) answers ``fx_rate_invalid`` for its pair, with the reason in the log."""
    try:
        return _to_quote(row)
    except (InvalidInput, ArithmeticError, ValueError, TypeError) as exc:
        log.error("FX quote %s (%s->%s) is unusable: %s", row.id, base, quote, exc)
        raise Conflict(
            f"the FX rate from {base} to {quote} is unusable; an operator must set a new one",
            code=ProblemCode.FX_RATE_INVALID,
        ) from exc


def list_quotes(uow: UnitOfWork, *, limit: int, after: str | None) -> list[dict[str, Any]]:
    query = select(fx_quotes).order_by(fx_quotes.c.id).limit(limit)
    if after is not None:
        check_plain_text(after, "after", max_len=64)
        query = query.where(fx_quotes.c.id > after)
    return [dict(r._mapping) for r in uow.conn.execute(query)]
