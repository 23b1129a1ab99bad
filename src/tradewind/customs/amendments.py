"""Operators' amendments to the built-in customs rules, with effective dates.

An amendment says "from this date, in this country, VAT is 19 %" (or the de minimis threshold,
or the default duty rate). It splits the rule in force on that date: the old version ends the
day before, a copy with the changed figures runs from the date until the next scheduled rule.
Amendments are data rows, applied in date order on top of the built-in rules, so the rule book
of any past day can be rebuilt and an order keeps the rule that was in force when it was placed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tradewind.customs.rules import Amount, CustomsRule, RuleBook
from tradewind.customs.rules_data import BUILTIN_RULES
from tradewind.kernel.errors import FieldError, InvalidInput


@dataclass(frozen=True, slots=True)
class Amendment:
    destination: str
    effective_from: date
    vat_percent: Decimal | None = None
    de_minimis_minor: int | None = None  # in the threshold's own currency
    duty_default_percent: Decimal | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if (self.vat_percent, self.de_minimis_minor, self.duty_default_percent) == (None,) * 3:
            raise InvalidInput(
                "an amendment must change at least one figure", code="empty_amendment"
            )


def apply(rules: Iterable[CustomsRule], amendments: Iterable[Amendment]) -> RuleBook:
    current = list(rules)
    for amendment in sorted(amendments, key=lambda a: (a.effective_from, a.destination)):
        current = _amend(current, amendment)
    return RuleBook(current)


def _amend(rules: list[CustomsRule], amendment: Amendment) -> list[CustomsRule]:
    day = amendment.effective_from
    target = next(
        (r for r in rules if r.destination == amendment.destination and r.in_force_on(day)), None
    )
    if target is None:
        raise InvalidInput(
            f"no customs rule for {amendment.destination} on {day.isoformat()} to amend",
            code="no_customs_rule",
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
        source=f"operator amendment: {amendment.note}"[:200],
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
                f"{rule.rule_id} has no de minimis threshold to change", code="no_threshold"
            )
        first, *others = rule.de_minimis
        limit = Amount(amendment.de_minimis_minor, first.limit.currency)
        replaced = dataclasses.replace(
            replaced, de_minimis=(dataclasses.replace(first, limit=limit), *others)
        )
    return replaced


def builtin_with(amendments: Iterable[Amendment]) -> RuleBook:
    return apply(BUILTIN_RULES, amendments)
