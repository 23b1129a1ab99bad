"""Landed cost: what the buyer pays at the border (or at checkout), figure by figure, with reasons.

Pipeline (one dated :class:`~tradewind.customs.rules.CustomsRule`, picked by the order date)::

    goods        sum of declared line values (order currency)
    assessed     goods x goods_value_percent  (100 %, or 60 % for JP personal imports)
    customs val. CIF: assessed + shipping + insurance | FOB: assessed
    de minimis   each threshold, converted into the order currency, may exempt duty/excise/VAT
    duty         sum(line rate x line share of customs value) [+ flat per HS subheading]
    excise       rate x (customs value + duty)
    VAT          rate x (customs value + duty + excise)

Money rules: integers in ISO 4217 minor units; Decimal only for rate arithmetic; **one rounding per
figure**, half-even, in :func:`round_minor`. Thresholds and flat amounts in other currencies are
converted by the injected ``fx`` callable, so this module does no FX itself.

Thresholds (de minimis) compare the *assessed* goods value (JP: 60 %); the low-value regime limit
and the commercial-import limit compare the declared (intrinsic) goods value.

Who pays: DDP, or any low-value regime in force (EU IOSS, UK 135 GBP, where the marketplace is
the deemed supplier), means the taxes are collected at checkout; otherwise (DAP) the quote is an
estimate of what the buyer pays on delivery.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Final

from tradewind.customs.rules import (
    Amount,
    CustomsRule,
    DeMinimis,
    RuleBook,
    Tax,
    ValuationBasis,
    ValueBase,
)
from tradewind.customs.rules_data import default_rule_book
from tradewind.kernel.errors import FieldError, InvalidInput, LimitExceeded
from tradewind.kernel.problems import ProblemCode
from tradewind.logistics.shipping import DutyTerms
from tradewind.money.currency import minor_unit_digits, validate_country, validate_currency

FxConverter = Callable[[int, str, str], int]
"""``fx(amount_minor, from_currency, to_currency) -> amount_minor``; it owns rates and rounding."""

MAX_LINES: Final = 100
MAX_AMOUNT_MINOR: Final = 10**15
_HUNDRED: Final = Decimal(100)
_HS_RE: Final = re.compile(r"[0-9]{6}")
_UNUSED_CHAPTERS: Final = frozenset({"00", "77", "98", "99"})  # reserved or national use


@dataclass(frozen=True, slots=True)
class CustomsLine:
    """One order line as customs sees it: 6-digit HS code, origin, value in the order currency."""

    hs_code: str
    origin: str
    declared_value_minor: int


@dataclass(frozen=True, slots=True)
class Component:
    """One figure of the quote and why: shown line by line in the checkout and order pages."""

    name: str
    amount_minor: int
    basis: str
    rule_id: str
    rule_effective_from: date


@dataclass(frozen=True, slots=True)
class LineDuty:
    """The duty rate that applied to one line and where it came from in the tariff."""

    hs_code: str
    origin: str
    percent: Decimal
    source: str


@dataclass(frozen=True, slots=True)
class LandedCostQuote:
    """All figures in minor units of ``currency``; ``components`` sum to ``total_minor``."""

    currency: str
    goods_minor: int
    shipping_minor: int
    insurance_minor: int
    customs_value_minor: int
    duty_minor: int
    excise_minor: int
    vat_minor: int
    fees_minor: int
    total_minor: int
    duty_terms: DutyTerms
    collect_at_checkout: bool
    commercial_import: bool
    regime: str | None
    rule_id: str
    customs_value_basis: str
    components: tuple[Component, ...]
    line_duties: tuple[LineDuty, ...]

    @property
    def taxes_minor(self) -> int:
        """Duty + excise + VAT + fees: what comes on top of goods and shipping."""
        return self.duty_minor + self.excise_minor + self.vat_minor + self.fees_minor

    @property
    def is_estimate(self) -> bool:
        """True when the buyer pays the carrier on delivery (DAP outside a low-value regime)."""
        return not self.collect_at_checkout

    def component(self, name: str) -> Component:
        return next(c for c in self.components if c.name == name)


def round_minor(value: Decimal) -> int:
    """The one rounding step of this module: half-even to a whole minor unit.

    Half-even because it is unbiased over many parcels and is the Decimal default; a figure is
    rounded exactly once, never an intermediate.
    """
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def percent_of(amount_minor: int, percent: Decimal) -> int:
    """``percent`` % of an amount, rounded once."""
    return round_minor(Decimal(amount_minor) * percent / _HUNDRED)


def quote_landed_cost(
    lines: Sequence[CustomsLine],
    shipping_minor: int,
    insurance_minor: int,
    currency: str,
    destination: str,
    order_date: date,
    duty_terms: DutyTerms,
    fx: FxConverter,
    *,
    rules: RuleBook | None = None,
) -> LandedCostQuote:
    """Quote duty, excise and VAT for one order (one seller's parcel) to ``destination``.

    ``order_date`` is a ``date`` in the destination's calendar: thresholds change at local
    midnight, so the caller converts the order instant with the destination's time zone.
    ``rules`` defaults to the built-in :func:`default_rule_book`.
    """
    _check_inputs(lines, shipping_minor, insurance_minor, currency, destination, order_date)
    terms = _check_terms(duty_terms)
    rule = (rules if rules is not None else default_rule_book()).rule_for(destination, order_date)
    with localcontext() as ctx:
        ctx.prec = 60  # exact for any sum of amounts below MAX_AMOUNT_MINOR x 100 lines
        return _Assessment(rule, lines, shipping_minor, insurance_minor, currency, fx).quote(terms)


class _Assessment:
    """The working state of one quote; each method computes one figure and its reason."""

    def __init__(
        self,
        rule: CustomsRule,
        lines: Sequence[CustomsLine],
        shipping_minor: int,
        insurance_minor: int,
        currency: str,
        fx: FxConverter,
    ) -> None:
        self.rule = rule
        self.lines = tuple(lines)
        self.shipping_minor = shipping_minor
        self.insurance_minor = insurance_minor
        self.currency = currency
        self.fx = fx
        self._converted: dict[Amount, int] = {}
        self.goods_minor = sum(line.declared_value_minor for line in lines)
        self.assessed_goods_minor = percent_of(self.goods_minor, rule.goods_value_percent)
        freight_minor = shipping_minor + insurance_minor
        cif = rule.valuation is ValuationBasis.CIF
        self.customs_value_minor = self.assessed_goods_minor + (freight_minor if cif else 0)
        self.exemptions = self._exemptions()
        self.regime = rule.low_value_regime if self._within_regime() else None

    def quote(self, duty_terms: DutyTerms) -> LandedCostQuote:
        duty = self._duty()
        excise = self._excise(duty.amount_minor)
        vat = self._vat(duty.amount_minor + excise.amount_minor)
        collect = duty_terms is DutyTerms.DDP or self.regime is not None
        taxes_minor = duty.amount_minor + excise.amount_minor + vat.amount_minor
        fees = self._fees(collect, taxes_minor)
        parts = (*self._carriage(), duty, excise, vat, fees)
        return LandedCostQuote(
            currency=self.currency,
            goods_minor=self.goods_minor,
            shipping_minor=self.shipping_minor,
            insurance_minor=self.insurance_minor,
            customs_value_minor=self.customs_value_minor,
            duty_minor=duty.amount_minor,
            excise_minor=excise.amount_minor,
            vat_minor=vat.amount_minor,
            fees_minor=fees.amount_minor,
            total_minor=sum(p.amount_minor for p in parts),
            duty_terms=duty_terms,
            collect_at_checkout=collect,
            commercial_import=self._is_commercial(),
            regime=None if self.regime is None else self.regime.name,
            rule_id=self.rule.rule_id,
            customs_value_basis=self._customs_value_basis(),
            components=parts,
            line_duties=self._line_duties(),
        )

    # --- thresholds -------------------------------------------------------------------------

    def convert(self, amount: Amount) -> int:
        """A configured amount in the order currency, via the injected converter.

        Memoized, so a threshold and its explanation always show the same converted figure.
        """
        if amount.currency == self.currency:
            return amount.amount_minor
        if amount not in self._converted:
            converted = self.fx(amount.amount_minor, amount.currency, self.currency)
            if type(converted) is not int or converted < 0:
                raise TypeError("fx converter must return a non-negative int of minor units")
            self._converted[amount] = converted
        return self._converted[amount]

    def _exemptions(self) -> dict[Tax, DeMinimis]:
        """Which taxes a de minimis waives, and the threshold that waived each (for the reason)."""
        exempt: dict[Tax, DeMinimis] = {}
        for rule in self.rule.de_minimis:
            if self._threshold_value(rule.applies_to) <= self.convert(rule.limit):
                for tax in rule.exempts:
                    exempt.setdefault(tax, rule)
        return exempt

    def _threshold_value(self, base: ValueBase) -> int:
        if base is ValueBase.GOODS:
            return self.assessed_goods_minor
        return self.assessed_goods_minor + self.shipping_minor + self.insurance_minor

    def _within_regime(self) -> bool:
        regime = self.rule.low_value_regime
        return regime is not None and self.goods_minor <= self.convert(regime.limit)

    def _is_commercial(self) -> bool:
        limit = self.rule.commercial_over
        return limit is not None and self.goods_minor > self.convert(limit)

    # --- figures ----------------------------------------------------------------------------

    def _carriage(self) -> tuple[Component, Component, Component]:
        count = len(self.lines)
        return (
            self._component("goods", self.goods_minor, f"declared value of {count} line(s)"),
            self._component("shipping", self.shipping_minor, "shipping charged to the buyer"),
            self._component("insurance", self.insurance_minor, "insurance charged to the buyer"),
        )

    def _duty(self) -> Component:
        ad_valorem_minor, ad_valorem_basis = self._ad_valorem_duty()
        flat_minor, flat_basis = self._flat_duty()
        basis = ad_valorem_basis if not flat_basis else f"{ad_valorem_basis}; {flat_basis}"
        return self._component("duty", ad_valorem_minor + flat_minor, basis)

    def _ad_valorem_duty(self) -> tuple[int, str]:
        if Tax.DUTY in self.exemptions:
            return 0, self._exempt_basis("duty", self.exemptions[Tax.DUTY])
        if self.goods_minor == 0:
            return 0, "no duty: goods declared at zero value"
        line_duties = self._line_duties()
        weighted = sum(
            Decimal(line.declared_value_minor) * duty.percent
            for line, duty in zip(self.lines, line_duties, strict=True)
        )
        # Each line's share of the customs value is proportional to its declared value; kept
        # exact (no per-line rounding) so the duty figure is rounded once.
        exact = weighted * self.customs_value_minor / (self.goods_minor * _HUNDRED)
        rates = "; ".join(sorted({f"{d.percent}% ({d.source})" for d in line_duties}))
        customs_value = self._fmt(self.customs_value_minor)
        return round_minor(exact), f"duty {rates} on customs value {customs_value}"

    def _flat_duty(self) -> tuple[int, str]:
        """The EU's flat duty per distinct 6-digit subheading in a low-value parcel."""
        regime = self.regime
        if regime is None or regime.flat_duty_per_subheading is None:
            return 0, ""
        flat = regime.flat_duty_per_subheading
        subheadings = len({line.hs_code for line in self.lines})
        total = Amount(flat.amount_minor * subheadings, flat.currency)
        each = _fmt_amount(flat.amount_minor, flat.currency)
        return self.convert(total), f"{each} x {subheadings} HS subheading(s) ({regime.name})"

    def _excise(self, duty_minor: int) -> Component:
        name = self.rule.excise_name
        if Tax.EXCISE in self.exemptions:
            return self._component(
                "excise", 0, self._exempt_basis(name, self.exemptions[Tax.EXCISE])
            )
        if not self.rule.excise_percent:
            return self._component("excise", 0, f"no {name} configured")
        base_minor = self.customs_value_minor + duty_minor
        basis = (
            f"{name} {self.rule.excise_percent}% on customs value + duty {self._fmt(base_minor)}"
        )
        return self._component("excise", percent_of(base_minor, self.rule.excise_percent), basis)

    def _vat(self, duty_and_excise_minor: int) -> Component:
        name = self.rule.vat_name
        if Tax.VAT in self.exemptions:
            return self._component("vat", 0, self._exempt_basis(name, self.exemptions[Tax.VAT]))
        if not self.rule.vat_percent:
            return self._component("vat", 0, f"no {name}")
        base_minor = self.customs_value_minor + duty_and_excise_minor
        where = f" collected at checkout ({self.regime.name})" if self.regime else ""
        basis = (
            f"{name} {self.rule.vat_percent}% on customs value + duty + excise "
            f"{self._fmt(base_minor)}{where}"
        )
        return self._component("vat", percent_of(base_minor, self.rule.vat_percent), basis)

    def _fees(self, collect_at_checkout: bool, taxes_minor: int) -> Component:
        fee = self.rule.dap_clearance_fee
        if collect_at_checkout or fee is None or taxes_minor == 0:
            return self._component("fees", 0, "no fees")
        return self._component(
            "fees", self.convert(fee), "carrier's fee for collecting taxes (DAP)"
        )

    # --- explanations -----------------------------------------------------------------------

    def _line_duties(self) -> tuple[LineDuty, ...]:
        rates = (self.rule.duty.rate_for(line.hs_code, line.origin) for line in self.lines)
        return tuple(
            LineDuty(line.hs_code, line.origin, rate.percent, rate.source)
            for line, rate in zip(self.lines, rates, strict=True)
        )

    def _customs_value_basis(self) -> str:
        goods = "goods"
        if self.rule.goods_value_percent != _HUNDRED:
            goods = f"{self.rule.goods_value_percent}% of goods"
        if self.rule.valuation is ValuationBasis.CIF:
            return f"CIF: {goods} + shipping + insurance"
        return f"FOB: {goods} only"

    def _exempt_basis(self, tax_name: str, rule: DeMinimis) -> str:
        compared = "goods value" if rule.applies_to is ValueBase.GOODS else "goods + shipping"
        if self.rule.goods_value_percent != _HUNDRED:
            compared = f"taxable value ({self.rule.goods_value_percent}% of {compared})"
        value = self._threshold_value(rule.applies_to)
        limit = _fmt_amount(rule.limit.amount_minor, rule.limit.currency)
        converted = self.convert(rule.limit)
        shown = (
            limit if rule.limit.currency == self.currency else f"{limit} = {self._fmt(converted)}"
        )
        return f"no {tax_name}: {compared} {self._fmt(value)} is at or below {shown}"

    def _component(self, name: str, amount_minor: int, basis: str) -> Component:
        rule = self.rule
        return Component(name, amount_minor, basis, rule.rule_id, rule.effective_from)

    def _fmt(self, amount_minor: int) -> str:
        return _fmt_amount(amount_minor, self.currency)


def _fmt_amount(amount_minor: int, currency: str) -> str:
    """Plain ``19.80 USD`` for explanations; pages format with Babel."""
    digits = minor_unit_digits(currency)
    return f"{Decimal(amount_minor).scaleb(-digits):f} {currency}"


# --- input checks -----------------------------------------------------------------------------


def _check_inputs(
    lines: Sequence[CustomsLine],
    shipping_minor: int,
    insurance_minor: int,
    currency: str,
    destination: str,
    order_date: date,
) -> None:
    validate_currency(currency)
    validate_country(destination)
    if isinstance(order_date, datetime) or not isinstance(order_date, date):
        raise TypeError("order_date must be a date in the destination's calendar")
    _check_amount("shipping_minor", shipping_minor)
    _check_amount("insurance_minor", insurance_minor)
    if not lines:
        raise InvalidInput(
            "a customs quote needs at least one line", code=ProblemCode.NO_CUSTOMS_LINES
        )
    if len(lines) > MAX_LINES:
        raise LimitExceeded(
            f"at most {MAX_LINES} lines per customs quote", code=ProblemCode.TOO_MANY_LINES
        )
    for index, line in enumerate(lines):
        _check_line(index, line)


def _check_terms(duty_terms: DutyTerms | str) -> DutyTerms:
    try:
        return DutyTerms(duty_terms)
    except ValueError:
        raise InvalidInput(
            f"duty terms must be DDP or DAP, not {duty_terms!r}",
            code=ProblemCode.INVALID_DUTY_TERMS,
            errors=[FieldError("duty_terms", "DDP or DAP", "invalid_duty_terms")],
        ) from None


def _check_line(index: int, line: CustomsLine) -> None:
    field = f"lines[{index}]"
    if not _HS_RE.fullmatch(line.hs_code) or line.hs_code[:2] in _UNUSED_CHAPTERS:
        raise InvalidInput(
            f"HS code {line.hs_code!r} is not a 6-digit subheading",
            code=ProblemCode.INVALID_HS_CODE,
            errors=[FieldError(f"{field}.hs_code", "six digits, chapter 01-97", "invalid_hs_code")],
        )
    try:
        validate_country(line.origin)
    except InvalidInput as exc:
        raise InvalidInput(
            exc.detail, errors=[FieldError(f"{field}.origin", "not a country code", "country")]
        ) from exc
    _check_amount(f"{field}.declared_value_minor", line.declared_value_minor)


def _check_amount(field: str, amount_minor: int) -> None:
    if type(amount_minor) is not int or not 0 <= amount_minor <= MAX_AMOUNT_MINOR:
        raise InvalidInput(
            f"{field} must be an integer from 0 to {MAX_AMOUNT_MINOR}",
            errors=[FieldError(field, "integer minor units >= 0", "invalid_amount")],
        )
