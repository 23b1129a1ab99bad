"""Stored amendments and the rule book they produce (built-in rules plus amendments).

Writes are validated completely before anything is stored, and serialized (one amendment
writer at a time), so the stored amendments always apply. Reads still skip, and log, a stored
amendment that does not decode or apply: a bad row must never make every checkout fail.
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import insert, select, text, update

from tradewind.audit import service as audit
from tradewind.customs.amendments import Amendment, apply_valid, check_schedulable, in_effect
from tradewind.customs.rules import RuleBook
from tradewind.customs.rules_data import BUILTIN_RULES, default_rule_book
from tradewind.db.tables.customs import customs_rules
from tradewind.db.uow import UnitOfWork
from tradewind.kernel.errors import Conflict, DomainError, LimitExceeded, NotFound
from tradewind.kernel.ids import new_id
from tradewind.kernel.problems import ProblemCode
from tradewind.kernel.text import check_plain_text

log = logging.getLogger(__name__)

MAX_AMENDMENTS: Final = 1000  # amendments in force or scheduled (withdrawn ones do not count)
_WRITER_LOCK_KEY: Final = 0x7457_4355  # PostgreSQL advisory lock: one amendment writer at a time


def _amendment(row: Any) -> Amendment:
    data = row.rule

    def percent(key: str) -> Decimal | None:
        return None if data.get(key) is None else Decimal(str(data[key]))

    return Amendment(
        destination=row.destination,
        effective_from=date.fromisoformat(row.effective_from),
        vat_percent=percent("vat_percent"),
        de_minimis_minor=data.get("de_minimis_minor"),
        duty_default_percent=percent("duty_default_percent"),
        note=data.get("note", ""),
        amendment_id=row.id,
    )


def _decoded(row: Any) -> Amendment | None:
    """The row as an amendment, or None (logged) if it is not one any more."""
    try:
        return _amendment(row)
    except (DomainError, ArithmeticError, ValueError, TypeError, AttributeError) as exc:
        log.error("customs amendment %s is unreadable and is skipped: %s", row.id, exc)
        return None


def _active_rows(uow: UnitOfWork) -> list[Any]:
    return list(
        uow.conn.execute(
            select(customs_rules)
            .where(customs_rules.c.withdrawn_at.is_(None))
            .order_by(customs_rules.c.effective_from, customs_rules.c.created_at)
            .limit(MAX_AMENDMENTS)
        )
    )


def amendments(uow: UnitOfWork) -> list[Amendment]:
    """Amendments that are not withdrawn, oldest day first (unreadable rows skipped)."""
    return [a for a in map(_decoded, _active_rows(uow)) if a is not None]


def rule_book(uow: UnitOfWork) -> RuleBook:
    """The rules in force: built-in data, plus every operator amendment in date order.

    An amendment that no longer applies is skipped and logged, never raised: this is read by
    every checkout."""
    found = amendments(uow)
    if not found:
        return default_rule_book()
    book, skipped = apply_valid(BUILTIN_RULES, found)
    for amendment, reason in skipped:
        log.error(
            "customs amendment %s (%s from %s) does not apply and is skipped: %s",
            amendment.amendment_id,
            amendment.destination,
            amendment.effective_from.isoformat(),
            reason.detail,
        )
    return book


def _lock_writers(uow: UnitOfWork) -> None:
    """SQLite writes already run one at a time (BEGIN IMMEDIATE); PostgreSQL takes a lock."""
    if not uow.is_sqlite:
        uow.conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _WRITER_LOCK_KEY})


def _rule_data(amendment: Amendment) -> dict[str, Any]:
    def decimal_text(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    return {
        "vat_percent": decimal_text(amendment.vat_percent),
        "de_minimis_minor": amendment.de_minimis_minor,
        "duty_default_percent": decimal_text(amendment.duty_default_percent),
        "note": amendment.note,
    }


def amend(uow: UnitOfWork, created_by: str, amendment: Amendment) -> dict[str, Any]:
    """Record an amendment (callers check the operator role). Refused, with nothing stored,
    unless it starts on a later day and the rule book stays valid with it."""
    now = uow.clock.now()
    check_schedulable(amendment, now.date())
    _lock_writers(uow)
    rows = _active_rows(uow)  # counted as rows: an unreadable row still takes a read slot
    stored = [a for a in map(_decoded, rows) if a is not None]
    if len(rows) >= MAX_AMENDMENTS:
        raise LimitExceeded(
            f"at most {MAX_AMENDMENTS} customs amendments may be scheduled or in force",
            code=ProblemCode.TOO_MANY_AMENDMENTS,
        )
    _, skipped = apply_valid(BUILTIN_RULES, [*stored, amendment])
    for refused, reason in skipped:
        if refused is amendment:  # stored rows that no longer apply do not block new ones
            raise reason
    amendment_id = new_id("cr")
    values = {
        "id": amendment_id,
        "destination": amendment.destination,
        "effective_from": amendment.effective_from.isoformat(),
        "effective_to": None,
        "rule": _rule_data(amendment),
        "created_by": created_by,
        "created_at": now,
    }
    uow.conn.execute(insert(customs_rules).values(**values))
    audit.record(
        uow,
        actor_id=created_by,
        action="customs.amend",
        subject_kind="customs_rule",
        subject_id=amendment_id,
        reason=amendment.note.strip() or audit.NO_REASON,
        detail={"destination": amendment.destination, "from": str(values["effective_from"])},
    )
    return {**values, "withdrawn_at": None, "withdrawn_by": None}


def withdraw(
    uow: UnitOfWork, withdrawn_by: str, amendment_id: str, reason: str | None = None
) -> dict[str, Any]:
    """Withdraw an amendment before its day (callers check the operator role). Idempotent:
    withdrawing a withdrawn amendment answers it again. The row is kept, marked withdrawn.

    One conditional UPDATE decides, so a withdrawal and the amendment's day cannot race."""
    now = uow.clock.now()
    _lock_writers(uow)
    withdrawn = uow.conn.execute(
        update(customs_rules)
        .where(
            customs_rules.c.id == amendment_id,
            customs_rules.c.withdrawn_at.is_(None),
            customs_rules.c.effective_from > now.date().isoformat(),
        )
        .values(withdrawn_at=now, withdrawn_by=withdrawn_by)
    ).rowcount
    if withdrawn:
        audit.record(
            uow,
            actor_id=withdrawn_by,
            action="customs.withdraw",
            subject_kind="customs_rule",
            subject_id=amendment_id,
            reason=reason or audit.NO_REASON,
        )
    row = uow.conn.execute(select(customs_rules).where(customs_rules.c.id == amendment_id)).first()
    if row is None:
        raise NotFound(f"no customs amendment {amendment_id}", code=ProblemCode.AMENDMENT_NOT_FOUND)
    if row.withdrawn_at is None:
        raise Conflict(
            f"amendment {amendment_id} took effect on {row.effective_from} and can no longer be "
            "withdrawn; schedule a new amendment for a later day instead",
            code=ProblemCode.AMENDMENT_IN_EFFECT,
        )
    return _listed(row, now.date())


def list_amendments(uow: UnitOfWork, *, limit: int, after: str | None) -> list[dict[str, Any]]:
    """Every stored amendment, withdrawn ones included, by id (creation order), with a status:
    ``scheduled`` (withdrawable), ``in_effect``, ``withdrawn`` or ``invalid`` (skipped)."""
    query = select(customs_rules).order_by(customs_rules.c.id).limit(limit)
    if after is not None:
        check_plain_text(after, "after", max_len=64)
        query = query.where(customs_rules.c.id > after)
    today = uow.clock.now().date()
    _, skipped = apply_valid(BUILTIN_RULES, amendments(uow))
    not_applied = {a.amendment_id for a, _ in skipped}
    return [_listed(row, today, not_applied) for row in uow.conn.execute(query)]


def _listed(
    row: Any, today: date, not_applied: frozenset[str] | set[str] = frozenset()
) -> dict[str, Any]:
    amendment = _decoded(row)
    if row.withdrawn_at is not None:
        status = "withdrawn"
    elif amendment is None or row.id in not_applied:
        status = "invalid"
    else:
        status = "in_effect" if in_effect(amendment, today) else "scheduled"
    data = row.rule if isinstance(row.rule, dict) else {}
    return {**dict(row._mapping), **{k: data.get(k) for k in _rule_keys()}, "status": status}


def _rule_keys() -> tuple[str, ...]:
    return ("vat_percent", "de_minimis_minor", "duty_default_percent", "note")
