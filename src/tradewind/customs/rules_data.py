"""Built-in customs rules: figures as data, each dated.

Status of these figures: **configured, check current law.** VAT rates, thresholds and regime dates
follow the project brief (checked November 2026) and public sources known to the authors; duty
tables are *illustrative* (a real deployment loads the national tariff). Operators replace or
extend this book; the engine only reads :class:`~tradewind.customs.rules.RuleBook`.

Not modelled (documented simplifications): origin-specific tariffs (e.g. US duties on goods of
Chinese origin; :class:`DutyTable` has ``extra_percent_by_origin`` for them but the data is empty),
excise by product, the US postal flat-duty transition, Japan's per-product duty exceptions, and
rules before each country's first configured date (those dates answer ``no_customs_rule``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from functools import cache
from types import MappingProxyType
from typing import Final

from tradewind.customs.rules import (
    Amount,
    CustomsRule,
    DeMinimis,
    DutyTable,
    LowValueRegime,
    RuleBook,
    Tax,
    ValuationBasis,
    ValueBase,
)
from tradewind.kernel.i18n import N_
from tradewind.money.currency import minor_unit_digits

D = Decimal
ALL_TAXES: Final = frozenset({Tax.DUTY, Tax.EXCISE, Tax.VAT})
DUTY_ONLY: Final = frozenset({Tax.DUTY})


def amount(units: int, currency: str) -> Amount:
    """``amount(75, "USD")`` is USD 75.00 (7500 minor units): thresholds read like the law."""
    return Amount(units * 10 ** minor_unit_digits(currency), currency)


def _duty(default: str, chapters: Mapping[str, str], headings: Mapping[str, str]) -> DutyTable:
    return DutyTable(
        D(default),
        MappingProxyType({k: D(v) for k, v in chapters.items()}),
        MappingProxyType({k: D(v) for k, v in headings.items()}),
    )


# --- Israel -------------------------------------------------------------------------------------
# VAT 17 % until 2024-12-31, 18 % from 2025-01-01. Personal-import exemption on goods value:
# USD 75; USD 150 from 2025-12-24; cancelled (back to USD 75) 2026-02-23; USD 130 from 2026-02-25.
# Over it, VAT on goods + shipping + insurance (CIF). Over USD 500 add duty and purchase tax.
# Over USD 1,000 the import is commercial (formal entry; flagged on the quote).
# Purchase tax is product-specific in law; here one configurable rate (0 by default).

IL_DUTY: Final = _duty("8", {"61": "12", "62": "12", "64": "12", "85": "0", "95": "0"}, {})
IL_PURCHASE_TAX_PERCENT: Final = D(0)


def _il(start: date, end: date | None, vat: str, threshold_usd: int) -> CustomsRule:
    return CustomsRule(
        destination="IL",
        effective_from=start,
        effective_to=end,
        vat_percent=D(vat),
        valuation=ValuationBasis.CIF,
        duty=IL_DUTY,
        de_minimis=(
            DeMinimis(amount(threshold_usd, "USD"), ValueBase.GOODS, ALL_TAXES),
            DeMinimis(amount(500, "USD"), ValueBase.GOODS, frozenset({Tax.DUTY, Tax.EXCISE})),
        ),
        excise_percent=IL_PURCHASE_TAX_PERCENT,
        excise_name=N_("purchase tax"),
        commercial_over=amount(1000, "USD"),
        source="Israel Tax Authority personal-import rules as configured; check current law",
    )


IL_RULES: Final = (
    _il(date(2021, 1, 1), date(2025, 1, 1), "17", 75),
    _il(date(2025, 1, 1), date(2025, 12, 24), "18", 75),
    _il(date(2025, 12, 24), date(2026, 2, 23), "18", 150),
    _il(date(2026, 2, 23), date(2026, 2, 25), "18", 75),
    _il(date(2026, 2, 25), None, "18", 130),
)

# --- European Union -----------------------------------------------------------------------------
# VAT from the first euro since 2021-07-01. IOSS: intrinsic value <= EUR 150, VAT at checkout at
# the destination's rate; customs duty relief <= EUR 150. From 2026-07-01 a flat EUR 3 duty per
# distinct tariff subheading (6-digit HS) in such low-value parcels.

EU_IOSS_START: Final = date(2021, 7, 1)
EU_FLAT_DUTY_START: Final = date(2026, 7, 1)
EU_DUTY: Final = _duty(
    "4",
    {"42": "3", "61": "12", "62": "12", "64": "8", "85": "2", "95": "0"},
    {"8471": "0", "8517": "0"},
)

# Standard VAT rate history from 2021-07-01: (first day, percent).
EU_VAT_HISTORY: Final[Mapping[str, tuple[tuple[date, str], ...]]] = MappingProxyType(
    {
        "AT": ((EU_IOSS_START, "20"),),
        "BE": ((EU_IOSS_START, "21"),),
        "BG": ((EU_IOSS_START, "20"),),
        "HR": ((EU_IOSS_START, "25"),),
        "CY": ((EU_IOSS_START, "19"),),
        "CZ": ((EU_IOSS_START, "21"),),
        "DK": ((EU_IOSS_START, "25"),),
        "EE": ((EU_IOSS_START, "20"), (date(2024, 1, 1), "22"), (date(2025, 7, 1), "24")),
        "FI": ((EU_IOSS_START, "24"), (date(2024, 9, 1), "25.5")),
        "FR": ((EU_IOSS_START, "20"),),
        "DE": ((EU_IOSS_START, "19"),),
        "GR": ((EU_IOSS_START, "24"),),
        "HU": ((EU_IOSS_START, "27"),),
        "IE": ((EU_IOSS_START, "23"),),
        "IT": ((EU_IOSS_START, "22"),),
        "LV": ((EU_IOSS_START, "21"),),
        "LT": ((EU_IOSS_START, "21"),),
        "LU": ((EU_IOSS_START, "17"), (date(2023, 1, 1), "16"), (date(2024, 1, 1), "17")),
        "MT": ((EU_IOSS_START, "18"),),
        "NL": ((EU_IOSS_START, "21"),),
        "PL": ((EU_IOSS_START, "23"),),
        "PT": ((EU_IOSS_START, "23"),),
        "RO": ((EU_IOSS_START, "19"), (date(2025, 8, 1), "21")),
        "SK": ((EU_IOSS_START, "20"), (date(2025, 1, 1), "23")),
        "SI": ((EU_IOSS_START, "22"),),
        "ES": ((EU_IOSS_START, "21"),),
        "SE": ((EU_IOSS_START, "25"),),
    }
)


def _ioss(on_date: date) -> LowValueRegime:
    flat = amount(3, "EUR") if on_date >= EU_FLAT_DUTY_START else None
    return LowValueRegime(N_("EU IOSS"), amount(150, "EUR"), flat_duty_per_subheading=flat)


def _eu_rules(country: str, vat_history: tuple[tuple[date, str], ...]) -> Iterable[CustomsRule]:
    """One rule per period in which neither the VAT rate nor the EU regime changes."""
    starts = sorted({start for start, _ in vat_history} | {EU_FLAT_DUTY_START})
    for start, end in zip(starts, [*starts[1:], None], strict=True):
        vat = next(p for since, p in reversed(vat_history) if since <= start)
        yield CustomsRule(
            destination=country,
            effective_from=start,
            effective_to=end,
            vat_percent=D(vat),
            valuation=ValuationBasis.CIF,
            duty=EU_DUTY,
            de_minimis=(DeMinimis(amount(150, "EUR"), ValueBase.GOODS, DUTY_ONLY),),
            low_value_regime=_ioss(start),
            source="EU VAT e-commerce package and customs reform as configured; check current law",
        )


EU_RULES: Final = tuple(
    rule for country, history in EU_VAT_HISTORY.items() for rule in _eu_rules(country, history)
)

# --- United States ------------------------------------------------------------------------------
# FOB valuation, no federal VAT. USD 800 de minimis (since 2016-03-10) suspended for all countries
# from 2025-08-29: every parcel is dutiable after that date.

US_DUTY: Final = _duty(
    "5", {"42": "8", "61": "16", "62": "16", "64": "12", "85": "2", "95": "0"}, {"8471": "0"}
)


def _us(start: date, end: date | None, de_minimis: tuple[DeMinimis, ...]) -> CustomsRule:
    return CustomsRule(
        destination="US",
        effective_from=start,
        effective_to=end,
        vat_percent=D(0),
        vat_name=N_("federal VAT (none)"),
        valuation=ValuationBasis.FOB,
        duty=US_DUTY,
        de_minimis=de_minimis,
        source="19 U.S.C. 1321 de minimis and its 2025 suspension as configured; check current law",
    )


US_RULES: Final = (
    _us(
        date(2016, 3, 10),
        date(2025, 8, 29),
        (DeMinimis(amount(800, "USD"), ValueBase.GOODS, ALL_TAXES),),
    ),
    _us(date(2025, 8, 29), None, ()),
)

# --- United Kingdom -----------------------------------------------------------------------------
# VAT 20 %. Consignments <= GBP 135: VAT charged at the point of sale by the seller/marketplace,
# no customs duty. Above: import VAT and duty at the border.

GB_RULES: Final = (
    CustomsRule(
        destination="GB",
        effective_from=date(2021, 1, 1),
        effective_to=None,
        vat_percent=D(20),
        valuation=ValuationBasis.CIF,
        duty=_duty("4", {"61": "12", "62": "12", "64": "8", "85": "2"}, {"8471": "0", "8517": "0"}),
        de_minimis=(DeMinimis(amount(135, "GBP"), ValueBase.GOODS, DUTY_ONLY),),
        low_value_regime=LowValueRegime(N_("UK point-of-sale VAT (GBP 135)"), amount(135, "GBP")),
        source="HMRC low-value imports (GBP 135) as configured; check current law",
    ),
)

# --- Japan --------------------------------------------------------------------------------------
# Consumption tax 10 % (7.8 national + 2.2 local) since 2019-10-01. Personal-use imports are valued
# at 60 % of the overseas retail price; simplified here to: goods value x 60 %, plus shipping and
# insurance (CIF). Duty and consumption tax are waived when that taxable value is <= JPY 10,000.

JP_RULES: Final = (
    CustomsRule(
        destination="JP",
        effective_from=date(2019, 10, 1),
        effective_to=None,
        vat_percent=D(10),
        vat_name=N_("consumption tax"),
        valuation=ValuationBasis.CIF,
        duty=_duty("5", {"61": "10", "62": "10", "85": "0"}, {}),
        de_minimis=(DeMinimis(amount(10_000, "JPY"), ValueBase.GOODS_AND_SHIPPING, ALL_TAXES),),
        goods_value_percent=D(60),
        source="Japan Customs personal-import valuation (60 %) as configured; check current law",
    ),
)

# --- Kuwait -------------------------------------------------------------------------------------
# No VAT. GCC common external tariff 5 %. Duty-free up to KWD 100 (configured, check current law).

KW_RULES: Final = (
    CustomsRule(
        destination="KW",
        effective_from=date(2021, 1, 1),
        effective_to=None,
        vat_percent=D(0),
        vat_name=N_("VAT (none)"),
        valuation=ValuationBasis.CIF,
        duty=DutyTable(D(5)),
        de_minimis=(DeMinimis(amount(100, "KWD"), ValueBase.GOODS, DUTY_ONLY),),
        source="GCC common customs law as configured; check current law",
    ),
)

BUILTIN_RULES: Final = (*IL_RULES, *EU_RULES, *US_RULES, *GB_RULES, *JP_RULES, *KW_RULES)


@cache
def default_rule_book() -> RuleBook:
    """The built-in rules, validated once (overlaps would raise here, at startup)."""
    return RuleBook(BUILTIN_RULES)
