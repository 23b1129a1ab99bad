"""Operators' amendments to the built-in customs rules, with effective dates.

An amendment says "from this date, in this country, VAT is 19 %" (or the de minimis threshold,
or the default duty rate). It splits the rule in force on that date: the old version ends the
day before, a copy with the changed figures runs from the date until the next scheduled rule.
Amendments are data rows, applied in date order on top of the built-in rules, so the rule book
of any past day can be rebuilt and an order keeps the rule that was in force when it was placed.

An amendment is scheduled for a later day (:func:`check_schedulable`): never today or the past,
which would rewrite rules that orders were already quoted with, and so an amendment can be
withdrawn until its day comes. A zero figure is a figure: ``vat_percent=Decimal(0)`` sets VAT to
0 %, ``None`` keeps the current one.

Writes validate with :func:`apply`, which raises on the first bad amendment. Reads use
:func:`apply_valid`, which skips (and reports) an amendment that no longer applies, so one bad
stored row can never make the rule book, and with it every checkout, fail for everyone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Final

from tradewind.customs.rules import Amount, CustomsRule, RuleBook
from tradewind.customs.rules_data import BUILTIN_RULES
from tradewind.kernel.errors import FieldError, InvalidInput
from tradewind.kernel.problems import ProblemCode
from tradewind.kernel.text import check_plain_text
from tradewind.money.currency import validate_country

MAX_NOTE_LEN: Final = 200
MAX_DE_MINIMIS_MINOR: Final = 10**12  # fits the JSON column and any configured threshold
MAX_PERCENT_PLACES: Final = 4  # 7.6923 % is precise enough; 1E-900 % is an attack
MAX_LEAD_DAYS: Final = 3660  # about ten years ahead: laws are announced months, not decades, ahead
_HUNDRED: Final = Decimal(100)


@dataclass(frozen=True, slots=True)
class Amendment:
    """From ``effective_from`` on, in ``destination``: the figures given (``None`` keeps one)."""

    destination: str
    effective_from: date
    vat_percent: Decimal | None = None
    de_minimis_minor: int | None = None  # in the threshold's own currency
    duty_default_percent: Decimal | None = None
    note: str = ""
    amendment_id: str = ""  # the stored row's id; empty until stored

    def __post_init__(self) -> None:
        try:
            validate_country(self.destination)
        except InvalidInput as exc:
            raise _refused("destination", exc.detail, ProblemCode.UNKNOWN_COUNTRY) from exc
        if not isinstance(self.effective_from, date):
            raise _refused("effective_from", "must be a date", ProblemCode.INVALID_EFFECTIVE_FROM)
        _check_amendment_percent(self.vat_percent, "vat_percent")
        _check_amendment_percent(self.duty_default_percent, "duty_default_percent")
        _check_de_minimis(self.de_minimis_minor)
        check_plain_text(self.note, "note", max_len=MAX_NOTE_LEN)
        if (self.vat_percent, self.de_minimis_minor, self.duty_default_percent) == (None,) * 3:
            raise InvalidInput(
                "an amendment must change at least one figure: VAT, de minimis or default duty",
                code=ProblemCode.EMPTY_AMENDMENT,
            )


def check_schedulable(amendment: Amendment, today: date) -> None:
    """New amendments start tomorrow at the earliest (UTC, the date checkouts are quoted on)
    and at most :data:`MAX_LEAD_DAYS` ahead; ``effective_from_out_of_range`` otherwise."""
    first, last = today + timedelta(days=1), today + timedelta(days=MAX_LEAD_DAYS)
    if not first <= amendment.effective_from <= last:
        raise _refused(
            "effective_from",
            f"effective_from must be from {first.isoformat()} to {last.isoformat()}: an "
            "amendment cannot change today's or past rules, which orders were quoted with",
            ProblemCode.EFFECTIVE_FROM_OUT_OF_RANGE,
        )


def in_effect(amendment: Amendment, today: date) -> bool:
    """True once the amendment's day has come: from then on it can no longer be withdrawn."""
    return amendment.effective_from <= today


def _check_amendment_percent(value: Decimal | None, field: str) -> None:
    if value is None:
        return
    if (
        not isinstance(value, Decimal)
        or not value.is_finite()
        or not 0 <= value <= _HUNDRED
        or int(value.as_tuple().exponent) < -MAX_PERCENT_PLACES
    ):
        raise _refused(
            field,
            f"{field} must be a number from 0 to 100 with at most "
            f"{MAX_PERCENT_PLACES} decimal places",
            ProblemCode.INVALID_PERCENT,
        )


def _check_de_minimis(value: int | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise _refused(
            "de_minimis_minor", "de_minimis_minor must be an integer", ProblemCode.INVALID_AMOUNT
        )
    if not 0 <= value <= MAX_DE_MINIMIS_MINOR:
        raise _refused(
            "de_minimis_minor",
            f"de_minimis_minor must be 0 to {MAX_DE_MINIMIS_MINOR} minor units",
            ProblemCode.INVALID_AMOUNT,
        )


def _refused(field: str, detail: str, code: ProblemCode) -> InvalidInput:
    return InvalidInput(detail, code=code, errors=[FieldError(field, detail, code)])


def apply(rules: Iterable[CustomsRule], amendments: Iterable[Amendment]) -> RuleBook:
    """The rule book with every amendment applied in date order; raises on a bad one."""
    current = list(rules)
    for amendment in _in_order(amendments):
        current = _amend(current, amendment)
    return RuleBook(current)


def apply_valid(
    rules: Iterable[CustomsRule], amendments: Iterable[Amendment]
) -> tuple[RuleBook, list[tuple[Amendment, InvalidInput]]]:
    """Like :func:`apply`, but an amendment that does not apply is skipped and returned with
    its reason, so the caller can report it while every reader keeps working."""
    current = list(rules)
    skipped: list[tuple[Amendment, InvalidInput]] = []
    for amendment in _in_order(amendments):
        try:
            current = _amend(current, amendment)
        except InvalidInput as exc:
            skipped.append((amendment, exc))
    return RuleBook(current), skipped


def _in_order(amendments: Iterable[Amendment]) -> list[Amendment]:
    # Stable: amendments of one day and country apply in the order they were stored.
    return sorted(amendments, key=lambda a: (a.effective_from, a.destination))


def _amend(rules: list[CustomsRule], amendment: Amendment) -> list[CustomsRule]:
    day = amendment.effective_from
    target = next(
        (r for r in rules if r.destination == amendment.destination and r.in_force_on(day)), None
    )
    if target is None:
        raise InvalidInput(
            f"no customs rule for {amendment.destination} on {day.isoformat()} to amend",
            code=ProblemCode.NO_CUSTOMS_RULE,
            errors=[FieldError("effective_from", "no rule in force", "no_customs_rule")],
        )
    changed = _changed(target, amendment)
    rest = [r for r in rules if r is not target]
    if target.effective_from == day:
        return [*rest, changed]
    return [*rest, dataclasses.replace(target, effective_to=day), changed]


def _changed(rule: CustomsRule, amendment: Amendment) -> CustomsRule:
    replaced = dataclasses.replace(
        rule,
        effective_from=amendment.effective_from,
        source=f"operator amendment: {amendment.note}"[:MAX_NOTE_LEN],
    )
    if amendment.vat_percent is not None:
        replaced = dataclasses.replace(replaced, vat_percent=amendment.vat_percent)
    if amendment.duty_default_percent is not None:
        replaced = dataclasses.replace(
            replaced,
            duty=dataclasses.replace(rule.duty, default_percent=amendment.duty_default_percent),
        )
    if amendment.de_minimis_minor is not None:
        if not rule.de_minimis:
            raise InvalidInput(
                f"{rule.rule_id} has no de minimis threshold to change",
                code=ProblemCode.NO_THRESHOLD,
            )
        first, *others = rule.de_minimis
        limit = Amount(amendment.de_minimis_minor, first.limit.currency)
        replaced = dataclasses.replace(
            replaced, de_minimis=(dataclasses.replace(first, limit=limit), *others)
        )
    return replaced


def builtin_with(amendments: Iterable[Amendment]) -> RuleBook:
    return apply(BUILTIN_RULES, amendments)
