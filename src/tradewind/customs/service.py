"""Stored amendments and the rule book they produce (built-in rules plus amendments)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select

from tradewind.customs.amendments import Amendment, builtin_with
from tradewind.customs.rules import RuleBook
from tradewind.customs.rules_data import default_rule_book
from tradewind.db.tables.logistics import customs_rules
from tradewind.db.uow import UnitOfWork
from tradewind.kernel.ids import new_id
from tradewind.money.currency import validate_country

MAX_AMENDMENTS = 1000


def _amendment(row: Any) -> Amendment:
    data = row.rule
    return Amendment(
        destination=row.destination,
        effective_from=date.fromisoformat(row.effective_from),
        vat_percent=Decimal(data["vat_percent"]) if data.get("vat_percent") else None,
        de_minimis_minor=data.get("de_minimis_minor"),
        duty_default_percent=(
            Decimal(data["duty_default_percent"]) if data.get("duty_default_percent") else None
        ),
        note=data.get("note", ""),
    )


def amendments(uow: UnitOfWork) -> list[Amendment]:
    rows = uow.conn.execute(
        select(customs_rules)
        .order_by(customs_rules.c.effective_from, customs_rules.c.created_at)
        .limit(MAX_AMENDMENTS)
    )
    return [_amendment(r) for r in rows]


def rule_book(uow: UnitOfWork) -> RuleBook:
    """The rules in force: built-in data, plus every operator amendment in date order."""
    found = amendments(uow)
    return builtin_with(found) if found else default_rule_book()


def amend(uow: UnitOfWork, created_by: str, amendment: Amendment) -> dict[str, Any]:
    """Record an amendment (callers check the operator role); refused if the result would not
    be a valid rule book."""
    validate_country(amendment.destination)
    builtin_with([*amendments(uow), amendment])  # validates: raises on a bad amendment
    data = {
        "vat_percent": str(amendment.vat_percent) if amendment.vat_percent else None,
        "de_minimis_minor": amendment.de_minimis_minor,
        "duty_default_percent": (
            str(amendment.duty_default_percent) if amendment.duty_default_percent else None
        ),
        "note": amendment.note[:200],
    }
    values = {
        "id": new_id("cr"),
        "destination": amendment.destination,
        "effective_from": amendment.effective_from.isoformat(),
        "effective_to": None,
        "rule": data,
        "created_by": created_by,
        "created_at": uow.clock.now(),
    }
    uow.conn.execute(insert(customs_rules).values(**values))
    return values
