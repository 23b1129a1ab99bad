"""Dated customs rules: the *shape* of a country's import taxes; the figures live in data.

Thresholds, rates and regimes change by law on a given day (Israel changed its threshold three
times in two months), so nothing here is a constant in logic: a :class:`CustomsRule` is in force
for a half-open period ``[effective_from, effective_to)`` and the :class:`RuleBook` picks the one
in force on the order date. Built-in figures are in :mod:`tradewind.customs.rules_data`.

Percentages are ``Decimal`` percent (``Decimal("18")`` is 18 %), amounts are integer minor units
of the currency named next to them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from typing import Final

from tradewind.kernel.errors import FieldError, InvalidInput
from tradewind.kernel.i18n import N_
from tradewind.kernel.problems import ProblemCode
from tradewind.money.currency import validate_country, validate_currency

_HUNDRED: Final = Decimal(100)
_CHAPTER_RE: Final = re.compile(r"[0-9]{2}")
_HEADING_RE: Final = re.compile(r"[0-9]{4}")


class ValuationBasis(StrEnum):
    """CIF: goods + freight + insurance (EU, UK, IL, most). FOB: goods only (US, AU)."""

    CIF = "CIF"
    FOB = "FOB"


class ValueBase(StrEnum):
    """What a threshold is compared with."""

    GOODS = "goods"  # intrinsic value of the goods
    GOODS_AND_SHIPPING = "goods_and_shipping"  # goods + shipping + insurance


class Tax(StrEnum):
    DUTY = "duty"
    EXCISE = "excise"  # e.g. Israel's purchase tax
    VAT = "vat"


@dataclass(frozen=True, slots=True)
class Amount:
    """A configured amount in a stated currency (converted at quote time, never stored twice)."""

    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        validate_currency(self.currency)
        if isinstance(self.amount_minor, bool) or self.amount_minor < 0:
            raise _invalid("configured amounts are integers >= 0")


@dataclass(frozen=True, slots=True)
class DeMinimis:
    """At or below ``limit`` (compared with ``applies_to``), the taxes in ``exempts`` are zero."""

    limit: Amount
    applies_to: ValueBase
    exempts: frozenset[Tax]

    def __post_init__(self) -> None:
        if not self.exempts:
            raise _invalid("a de minimis rule must exempt at least one tax")


@dataclass(frozen=True, slots=True)
class LowValueRegime:
    """A point-of-sale VAT scheme for low-value consignments (EU IOSS, UK 135 GBP, AU LVG).

    At or below ``limit`` (intrinsic goods value) the marketplace is the deemed supplier and
    must charge VAT at checkout at the destination rate, whatever the seller's duty terms.
    ``flat_duty_per_subheading`` is the EU's EUR 3 per distinct 6-digit HS subheading.
    """

    name: str
    limit: Amount
    flat_duty_per_subheading: Amount | None = None


@dataclass(frozen=True, slots=True)
class DutyRate:
    percent: Decimal
    source: str  # "heading 8517", "chapter 61" or "default": shown to the buyer


@dataclass(frozen=True, slots=True)
class DutyTable:
    """Ad-valorem duty by HS heading (4 digits), else chapter (2 digits), else default."""

    default_percent: Decimal
    by_chapter: Mapping[str, Decimal] = field(default_factory=dict)
    by_heading: Mapping[str, Decimal] = field(default_factory=dict)
    extra_percent_by_origin: Mapping[str, Decimal] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_percent(self.default_percent, "default duty")
        _check_keys(self.by_chapter, _CHAPTER_RE, "chapter")
        _check_keys(self.by_heading, _HEADING_RE, "heading")
        for key, value in (*self.by_chapter.items(), *self.by_heading.items()):
            _check_percent(value, f"duty for {key}")
        for origin, value in self.extra_percent_by_origin.items():
            validate_country(origin)
            _check_percent(value, f"extra duty for origin {origin}")

    def rate_for(self, hs_code: str, origin: str) -> DutyRate:
        """Most specific rate for a 6-digit HS code, plus any origin surcharge."""
        if (percent := self.by_heading.get(hs_code[:4])) is not None:
            rate = DutyRate(percent, f"heading {hs_code[:4]}")
        elif (percent := self.by_chapter.get(hs_code[:2])) is not None:
            rate = DutyRate(percent, f"chapter {hs_code[:2]}")
        else:
            rate = DutyRate(self.default_percent, "default")
        extra = self.extra_percent_by_origin.get(origin)
        if extra is None:
            return rate
        return DutyRate(rate.percent + extra, f"{rate.source} + {extra}% origin {origin}")


@dataclass(frozen=True, slots=True)
class CustomsRule:
    """A destination's import-tax rules for ``[effective_from, effective_to)``.

    ``effective_to`` is exclusive: it is the first day the rule no longer applies, so
    consecutive rules share a date (``a.effective_to == b.effective_from``).
    """

    destination: str
    effective_from: date
    effective_to: date | None
    vat_percent: Decimal
    valuation: ValuationBasis
    duty: DutyTable
    de_minimis: tuple[DeMinimis, ...] = ()
    low_value_regime: LowValueRegime | None = None
    vat_name: str = N_("VAT")
    excise_percent: Decimal = Decimal(0)
    excise_name: str = N_("excise")
    goods_value_percent: Decimal = _HUNDRED  # JP taxes personal imports on 60 % of retail
    commercial_over: Amount | None = None  # above this goods value: a commercial import
    dap_clearance_fee: Amount | None = None  # carrier's fee for collecting taxes on delivery
    source: str = "configured; check current law"

    def __post_init__(self) -> None:
        validate_country(self.destination)
        if self.effective_to is not None and self.effective_to <= self.effective_from:
            raise _invalid(f"{self.rule_id}: effective_to must be after effective_from")
        _check_percent(self.vat_percent, f"{self.rule_id} VAT")
        _check_percent(self.excise_percent, f"{self.rule_id} excise")
        if not 0 < self.goods_value_percent <= _HUNDRED:
            raise _invalid(f"{self.rule_id}: goods_value_percent must be in (0, 100]")

    @property
    def rule_id(self) -> str:
        """Stable, human-readable id shown next to each figure: ``IL/2025-12-24``."""
        return f"{self.destination}/{self.effective_from.isoformat()}"

    def in_force_on(self, on_date: date) -> bool:
        return self.effective_from <= on_date and (
            self.effective_to is None or on_date < self.effective_to
        )


class RuleBook:
    """All rules, indexed by destination; refuses overlapping periods for one country."""

    def __init__(self, rules: Iterable[CustomsRule]) -> None:
        by_country: dict[str, list[CustomsRule]] = {}
        for rule in rules:
            by_country.setdefault(rule.destination, []).append(rule)
        for country_rules in by_country.values():
            country_rules.sort(key=lambda r: r.effective_from)
            _check_no_overlap(country_rules)
        self._rules = {country: tuple(rs) for country, rs in by_country.items()}

    @property
    def destinations(self) -> frozenset[str]:
        return frozenset(self._rules)

    def history(self, destination: str) -> tuple[CustomsRule, ...]:
        """Every rule for ``destination``, oldest first (for the operator console)."""
        return self._rules.get(destination, ())

    def rule_for(self, destination: str, on_date: date) -> CustomsRule:
        """The rule in force in ``destination`` on ``on_date`` (the destination's local date)."""
        for rule in self._rules.get(destination, ()):
            if rule.in_force_on(on_date):
                return rule
        raise InvalidInput(
            f"no customs rule for {destination} on {on_date.isoformat()}",
            code=ProblemCode.NO_CUSTOMS_RULE,
            errors=[FieldError("destination", "no customs rule in force", "no_customs_rule")],
        )


def _check_no_overlap(rules: list[CustomsRule]) -> None:
    for earlier, later in pairwise(rules):
        if earlier.effective_to is None or earlier.effective_to > later.effective_from:
            raise InvalidInput(
                f"customs rules {earlier.rule_id} and {later.rule_id} overlap",
                code=ProblemCode.CUSTOMS_RULES_OVERLAP,
                errors=[FieldError("effective_from", "periods overlap", "customs_rules_overlap")],
            )


def _invalid(detail: str) -> InvalidInput:
    """A malformed rule: operators edit rules, so this is their input error, not a crash."""
    return InvalidInput(detail, code=ProblemCode.INVALID_CUSTOMS_RULE)


def _check_percent(value: Decimal, what: str) -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or not 0 <= value <= _HUNDRED:
        raise _invalid(f"{what}: percent must be a finite Decimal from 0 to 100")


def _check_keys(table: Mapping[str, Decimal], pattern: re.Pattern[str], what: str) -> None:
    for key in table:
        if not pattern.fullmatch(key):
            raise _invalid(f"duty table {what} key {key!r} has the wrong number of digits")
