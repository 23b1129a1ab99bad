"""Landed cost: worked figures per destination and date, rule book checks, input checks."""

import dataclasses
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.customs.landed_cost import (
    MAX_LINES,
    CustomsLine,
    LandedCostQuote,
    percent_of,
    quote_landed_cost,
    round_minor,
)
from tradewind.customs.rules import (
    Amount,
    CustomsRule,
    DeMinimis,
    DutyTable,
    RuleBook,
    Tax,
    ValuationBasis,
    ValueBase,
)
from tradewind.customs.rules_data import BUILTIN_RULES, EU_VAT_HISTORY, default_rule_book
from tradewind.kernel.errors import InvalidInput, LimitExceeded
from tradewind.logistics.shipping import DutyTerms
from tradewind.money.currency import minor_unit_digits

DDP, DAP = DutyTerms.DDP, DutyTerms.DAP
RATES = {
    ("USD", "ILS"): Decimal("3.70"),
    ("EUR", "USD"): Decimal("1.10"),
    ("EUR", "ILS"): Decimal("4.00"),
    ("USD", "EUR"): Decimal("0.90"),
}


def fx(amount_minor: int, source: str, target: str) -> int:
    """A fake converter with fixed rates, rounding half-even once (as the real one must)."""
    rate = RATES[(source, target)]
    scale = Decimal(10) ** (minor_unit_digits(target) - minor_unit_digits(source))
    exact = Decimal(amount_minor) * rate * scale
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def no_fx(amount_minor: int, source: str, target: str) -> int:
    raise AssertionError(f"no conversion expected, got {source}->{target}")


def line(hs_code: str, value_minor: int, origin: str = "CN") -> CustomsLine:
    return CustomsLine(hs_code, origin, value_minor)


def quote(
    lines: list[CustomsLine],
    shipping_minor: int,
    currency: str,
    destination: str,
    on: date,
    *,
    insurance_minor: int = 0,
    terms: DutyTerms = DAP,
    rules: RuleBook | None = None,
) -> LandedCostQuote:
    converter = fx if any(k[1] == currency for k in RATES) else no_fx
    return quote_landed_cost(
        lines,
        shipping_minor,
        insurance_minor,
        currency,
        destination,
        on,
        terms,
        converter,
        rules=rules,
    )


def assert_consistent(q: LandedCostQuote) -> None:
    assert sum(c.amount_minor for c in q.components) == q.total_minor
    assert [c.name for c in q.components] == [
        "goods",
        "shipping",
        "insurance",
        "duty",
        "excise",
        "vat",
        "fees",
    ]
    assert all(c.rule_id == q.rule_id for c in q.components)


# --- Israel: the threshold history --------------------------------------------------------------

USD_100 = [line("851830", 10_000)]  # headphones, chapter 85


@pytest.mark.parametrize(
    ("on", "rule_id", "vat_minor"),
    [
        (date(2025, 12, 1), "IL/2025-01-01", 1_980),  # threshold USD 75: taxed
        (date(2025, 12, 23), "IL/2025-01-01", 1_980),
        (date(2025, 12, 24), "IL/2025-12-24", 0),  # USD 150: exempt
        (date(2026, 1, 10), "IL/2025-12-24", 0),
        (date(2026, 2, 23), "IL/2026-02-23", 1_980),  # cancelled, back to USD 75: taxed
        (date(2026, 2, 24), "IL/2026-02-23", 1_980),
        (date(2026, 2, 25), "IL/2026-02-25", 0),  # USD 130: exempt
        (date(2026, 3, 1), "IL/2026-02-25", 0),
    ],
)
def test_israel_usd_100_parcel_across_threshold_changes(
    on: date, rule_id: str, vat_minor: int
) -> None:
    q = quote(USD_100, 1_000, "USD", "IL", on)
    # Over the threshold: 18 % of goods + shipping + insurance = 0.18 x 110.00 = 19.80.
    assert q.rule_id == rule_id
    assert (q.duty_minor, q.excise_minor, q.vat_minor) == (0, 0, vat_minor)
    assert q.total_minor == 11_000 + vat_minor
    assert not q.commercial_import
    assert_consistent(q)


def test_israel_explains_why_a_parcel_is_exempt() -> None:
    q = quote(USD_100, 1_000, "USD", "IL", date(2026, 1, 10))
    vat = q.component("vat")
    assert vat.basis == "no VAT: goods value 100.00 USD is at or below 150.00 USD"
    assert vat.rule_effective_from == date(2025, 12, 24)
    taxed = quote(USD_100, 1_000, "USD", "IL", date(2025, 12, 1)).component("vat")
    assert taxed.basis == "VAT 18% on customs value + duty + excise 110.00 USD"


def test_israel_vat_was_17_percent_before_2025() -> None:
    q = quote(USD_100, 1_000, "USD", "IL", date(2024, 12, 31))
    assert q.vat_minor == 1_870


def test_israel_threshold_is_inclusive_and_on_goods_only() -> None:
    at_limit = quote([line("851830", 7_500)], 5_000, "USD", "IL", date(2025, 12, 1))
    assert at_limit.vat_minor == 0  # shipping does not count towards the threshold
    # One cent over: 0.18 x (75.01 + 50.00) = 22.5018 -> 22.50
    over = quote([line("851830", 7_501)], 5_000, "USD", "IL", date(2025, 12, 1))
    assert over.vat_minor == 2_250


def test_israel_in_shekels_converts_the_usd_threshold() -> None:
    ils_370 = [line("851830", 37_000)]  # ILS 370.00 = USD 100 at 3.70
    taxed = quote(ils_370, 3_700, "ILS", "IL", date(2025, 12, 1))
    assert taxed.vat_minor == 7_326  # 0.18 x 407.00
    exempt = quote(ils_370, 3_700, "ILS", "IL", date(2026, 1, 10))
    assert exempt.vat_minor == 0
    assert "150.00 USD = 555.00 ILS" in exempt.component("vat").basis


def test_israel_500_to_1000_adds_duty_and_purchase_tax() -> None:
    rule = default_rule_book().rule_for("IL", date(2026, 3, 1))
    book = RuleBook([dataclasses.replace(rule, excise_percent=Decimal(15))])
    q = quote(
        [line("610910", 70_000)],
        2_000,
        "USD",
        "IL",
        date(2026, 3, 1),
        insurance_minor=500,
        rules=book,
    )
    # customs value 725.00; duty 12 % (chapter 61) = 87.00; purchase tax 15 % x 812.00 = 121.80;
    # VAT 18 % x 933.80 = 168.084 -> 168.08
    assert q.customs_value_minor == 72_500
    assert (q.duty_minor, q.excise_minor, q.vat_minor) == (8_700, 12_180, 16_808)
    assert q.total_minor == 110_188
    assert q.component("excise").basis.startswith("purchase tax 15%")
    assert q.component("duty").basis == "duty 12% (chapter 61) on customs value 725.00 USD"
    assert_consistent(q)


def test_israel_default_purchase_tax_is_zero_and_duty_free_up_to_500() -> None:
    q = quote([line("610910", 70_000)], 2_000, "USD", "IL", date(2026, 3, 1), insurance_minor=500)
    assert (q.duty_minor, q.excise_minor, q.vat_minor) == (8_700, 0, 14_616)
    assert q.component("excise").basis == "no purchase tax configured"
    at_500 = quote([line("610910", 50_000)], 2_000, "USD", "IL", date(2026, 3, 1))
    assert at_500.duty_minor == 0
    assert at_500.vat_minor == 9_360  # 0.18 x 520.00


def test_israel_over_1000_is_flagged_commercial() -> None:
    assert quote([line("851830", 100_001)], 0, "USD", "IL", date(2026, 3, 1)).commercial_import
    assert not quote([line("851830", 100_000)], 0, "USD", "IL", date(2026, 3, 1)).commercial_import


# --- European Union: IOSS and the EUR 3 flat duty -----------------------------------------------

EU_PARCEL = [line("610910", 2_000), line("420292", 1_500), line("610910", 500)]


def test_de_ioss_parcel_before_the_flat_duty() -> None:
    q = quote(EU_PARCEL, 500, "EUR", "DE", date(2026, 6, 30))
    # no duty (<= EUR 150); VAT 19 % x 45.00 = 8.55, collected at checkout even though DAP
    assert (q.duty_minor, q.vat_minor, q.total_minor) == (0, 855, 5_355)
    assert q.regime == "EU IOSS"
    assert q.collect_at_checkout
    assert not q.is_estimate
    assert "collected at checkout (EU IOSS)" in q.component("vat").basis
    assert_consistent(q)


def test_de_ioss_parcel_after_the_flat_duty_pays_3_eur_per_subheading() -> None:
    q = quote(EU_PARCEL, 500, "EUR", "DE", date(2026, 7, 1))
    # two distinct subheadings (610910, 420292): EUR 6.00; VAT 19 % x (45.00 + 6.00) = 9.69
    assert (q.duty_minor, q.vat_minor, q.total_minor) == (600, 969, 6_069)
    assert q.rule_id == "DE/2026-07-01"
    assert "3.00 EUR x 2 HS subheading(s) (EU IOSS)" in q.component("duty").basis
    assert_consistent(q)


def test_flat_duty_is_converted_once_into_the_order_currency() -> None:
    usd_parcel = [line("610910", 2_200), line("420292", 1_650)]
    q = quote(usd_parcel, 550, "USD", "DE", date(2026, 7, 1))
    # EUR 6.00 -> USD 6.60; VAT 19 % x (44.00 + 6.60) = 9.614 -> 9.61
    assert (q.duty_minor, q.vat_minor) == (660, 961)


def test_eu_parcel_over_150_pays_ad_valorem_duty_at_the_border() -> None:
    q = quote([line("610910", 20_000)], 1_000, "EUR", "DE", date(2026, 7, 1))
    # duty 12 % x 210.00 = 25.20; VAT 19 % x 235.20 = 44.688 -> 44.69; no flat duty
    assert (q.duty_minor, q.vat_minor) == (2_520, 4_469)
    assert q.regime is None
    assert not q.collect_at_checkout
    assert q.is_estimate
    assert quote(
        [line("610910", 20_000)], 1_000, "EUR", "DE", date(2026, 7, 1), terms=DDP
    ).collect_at_checkout


def test_eu_intrinsic_value_limit_is_inclusive() -> None:
    assert quote([line("610910", 15_000)], 900, "EUR", "FR", date(2026, 7, 1)).regime == "EU IOSS"
    assert quote([line("610910", 15_001)], 900, "EUR", "FR", date(2026, 7, 1)).regime is None


def test_eu_heading_rates_beat_chapter_rates() -> None:
    q = quote([line("847130", 20_000), line("850440", 10_000)], 0, "EUR", "NL", date(2026, 8, 1))
    # laptop heading 8471: 0 %; chapter 85: 2 % -> duty 2 % x 100.00 = 2.00
    assert q.duty_minor == 200
    assert [(d.hs_code, d.percent, d.source) for d in q.line_duties] == [
        ("847130", Decimal(0), "heading 8471"),
        ("850440", Decimal(2), "chapter 85"),
    ]


EU_STANDARD_VAT_2026_11 = {
    "AT": "20", "BE": "21", "BG": "20", "HR": "25", "CY": "19", "CZ": "21", "DK": "25",
    "EE": "24", "FI": "25.5", "FR": "20", "DE": "19", "GR": "24", "HU": "27", "IE": "23",
    "IT": "22", "LV": "21", "LT": "21", "LU": "17", "MT": "18", "NL": "21", "PL": "23",
    "PT": "23", "RO": "21", "SK": "23", "SI": "22", "ES": "21", "SE": "25",
}  # fmt: skip


def test_all_27_member_states_have_their_standard_rate() -> None:
    assert set(EU_VAT_HISTORY) == set(EU_STANDARD_VAT_2026_11)
    book = default_rule_book()
    for country, percent in EU_STANDARD_VAT_2026_11.items():
        rule = book.rule_for(country, date(2026, 11, 15))
        assert rule.vat_percent == Decimal(percent), country
        assert rule.low_value_regime is not None
        assert rule.low_value_regime.flat_duty_per_subheading == Amount(300, "EUR")


@pytest.mark.parametrize(
    ("country", "on", "percent"),
    [
        ("EE", date(2023, 12, 31), "20"),
        ("EE", date(2024, 1, 1), "22"),
        ("EE", date(2025, 7, 1), "24"),
        ("FI", date(2024, 8, 31), "24"),
        ("FI", date(2024, 9, 1), "25.5"),
        ("LU", date(2023, 6, 1), "16"),
        ("RO", date(2025, 7, 31), "19"),
        ("RO", date(2025, 8, 1), "21"),
        ("SK", date(2024, 12, 31), "20"),
        ("SK", date(2025, 1, 1), "23"),
    ],
)
def test_eu_vat_changes_are_dated(country: str, on: date, percent: str) -> None:
    assert default_rule_book().rule_for(country, on).vat_percent == Decimal(percent)


def test_hungary_27_percent_worked() -> None:
    q = quote([line("950300", 5_000)], 700, "EUR", "HU", date(2026, 3, 1))
    assert q.vat_minor == 1_539  # 0.27 x 57.00


# --- United States: no de minimis since 2025-08-29 ----------------------------------------------


def test_us_parcel_after_suspension_pays_duty_on_fob() -> None:
    q = quote([line("610910", 5_000)], 1_200, "USD", "US", date(2025, 9, 1), insurance_minor=100)
    # FOB: customs value = goods only; duty 16 % (chapter 61) x 50.00 = 8.00; no VAT
    assert q.customs_value_minor == 5_000
    assert q.customs_value_basis == "FOB: goods only"
    assert (q.duty_minor, q.vat_minor, q.total_minor) == (800, 0, 7_100)
    assert q.component("vat").basis == "no federal VAT (none)"
    assert_consistent(q)


def test_us_de_minimis_applied_until_2025_08_28() -> None:
    q = quote([line("610910", 5_000)], 1_200, "USD", "US", date(2025, 8, 28))
    assert q.duty_minor == 0
    assert q.component("duty").basis.startswith("no duty: goods value 50.00 USD")
    assert quote([line("610910", 5_000)], 0, "USD", "US", date(2025, 8, 29)).duty_minor == 800


def test_origin_surcharges_are_configurable() -> None:
    rule = default_rule_book().rule_for("US", date(2026, 1, 1))
    duty = dataclasses.replace(rule.duty, extra_percent_by_origin={"CN": Decimal(25)})
    book = RuleBook([dataclasses.replace(rule, duty=duty)])
    from_cn = quote([line("610910", 5_000, "CN")], 0, "USD", "US", date(2026, 1, 1), rules=book)
    from_vn = quote([line("610910", 5_000, "VN")], 0, "USD", "US", date(2026, 1, 1), rules=book)
    assert (from_cn.duty_minor, from_vn.duty_minor) == (2_050, 800)
    assert from_cn.line_duties[0].source == "chapter 61 + 25% origin CN"


# --- Kuwait (3 decimals), Japan (0 decimals), United Kingdom -------------------------------------


def test_kuwait_three_decimal_duty_rounds_half_even() -> None:
    q = quote([line("851830", 150_000)], 5_250, "KWD", "KW", date(2026, 3, 1))
    # duty 5 % x 155.250 = 7.7625 -> 7.762 (half-even); no VAT
    assert (q.duty_minor, q.vat_minor, q.total_minor) == (7_762, 0, 163_012)
    assert q.component("duty").basis == "duty 5% (default) on customs value 155.250 KWD"
    assert quote([line("851830", 100_000)], 5_250, "KWD", "KW", date(2026, 3, 1)).duty_minor == 0


def test_japan_taxes_60_percent_of_retail_plus_shipping() -> None:
    q = quote([line("392690", 20_000)], 1_500, "JPY", "JP", date(2026, 3, 1))
    # customs value 0.6 x 20,000 + 1,500 = 13,500; duty 5 % = 675;
    # consumption tax 10 % x 14,175 = 1,417.5 -> 1,418 (half-even)
    assert q.customs_value_minor == 13_500
    assert q.customs_value_basis == "CIF: 60% of goods + shipping + insurance"
    assert (q.duty_minor, q.vat_minor, q.total_minor) == (675, 1_418, 23_593)


def test_japan_waives_both_taxes_up_to_10000_yen_taxable_value() -> None:
    q = quote([line("392690", 14_000)], 1_500, "JPY", "JP", date(2026, 3, 1))  # 8,400 + 1,500
    assert (q.duty_minor, q.vat_minor) == (0, 0)
    basis = q.component("vat").basis
    assert basis == (
        "no consumption tax: taxable value (60% of goods + shipping) 9900 JPY "
        "is at or below 10000 JPY"
    )


def test_uk_low_value_vat_at_sale_and_no_duty() -> None:
    q = quote([line("851830", 10_000)], 1_000, "GBP", "GB", date(2026, 3, 1))
    assert (q.duty_minor, q.vat_minor) == (0, 2_200)
    assert q.collect_at_checkout
    over = quote([line("851830", 20_000)], 1_000, "GBP", "GB", date(2026, 3, 1))
    # duty 2 % x 210.00 = 4.20; VAT 20 % x 214.20 = 42.84; buyer pays on delivery (DAP)
    assert (over.duty_minor, over.vat_minor, over.collect_at_checkout) == (420, 4_284, False)


def test_dap_clearance_fee_only_when_taxes_are_due_on_delivery() -> None:
    rule = default_rule_book().rule_for("IL", date(2026, 3, 1))
    book = RuleBook([dataclasses.replace(rule, dap_clearance_fee=Amount(500, "USD"))])
    due = quote([line("851830", 20_000)], 0, "USD", "IL", date(2026, 3, 1), rules=book)
    assert due.fees_minor == 500
    assert due.taxes_minor == due.vat_minor + 500
    ddp = quote([line("851830", 20_000)], 0, "USD", "IL", date(2026, 3, 1), terms=DDP, rules=book)
    exempt = quote([line("851830", 10_000)], 0, "USD", "IL", date(2026, 3, 1), rules=book)
    assert (ddp.fees_minor, exempt.fees_minor) == (0, 0)


# --- rounding ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "rounded"),
    [("0.5", 0), ("1.5", 2), ("2.5", 2), ("7762.5", 7762), ("1417.5", 1418), ("1.4999", 1)],
)
def test_round_minor_is_half_even(value: str, rounded: int) -> None:
    assert round_minor(Decimal(value)) == rounded


def test_percent_of() -> None:
    assert percent_of(11_000, Decimal(18)) == 1_980
    assert percent_of(8_501, Decimal(18)) == 1_530
    assert percent_of(1, Decimal("25.5")) == 0


# --- rule book ----------------------------------------------------------------------------------


def _rule(start: date, end: date | None, country: str = "IL") -> CustomsRule:
    return CustomsRule(country, start, end, Decimal(18), ValuationBasis.CIF, DutyTable(Decimal(0)))


def test_builtin_book_has_no_overlaps_and_ids_are_unique() -> None:
    ids = [r.rule_id for r in BUILTIN_RULES]
    assert len(ids) == len(set(ids))
    assert {"IL", "US", "GB", "JP", "KW", "DE"} <= default_rule_book().destinations


def test_every_country_history_is_contiguous_and_open_ended() -> None:
    book = default_rule_book()
    for country in book.destinations:
        history = book.history(country)
        assert history[-1].effective_to is None, country
        for earlier, later in pairwise(history):
            assert earlier.effective_to == later.effective_from, country


@pytest.mark.parametrize(
    "rules",
    [
        [_rule(date(2025, 1, 1), date(2025, 6, 1)), _rule(date(2025, 5, 31), None)],
        [_rule(date(2025, 1, 1), None), _rule(date(2026, 1, 1), None)],
        [_rule(date(2025, 1, 1), date(2025, 6, 1)), _rule(date(2025, 1, 1), date(2025, 2, 1))],
    ],
)
def test_overlapping_periods_are_refused(rules: list[CustomsRule]) -> None:
    with pytest.raises(InvalidInput) as info:
        RuleBook(rules)
    assert info.value.code == "customs_rules_overlap"


def test_adjacent_periods_and_gaps_are_allowed_but_gaps_have_no_rule() -> None:
    book = RuleBook(
        [
            _rule(date(2025, 6, 1), None),
            _rule(date(2025, 1, 1), date(2025, 3, 1)),
            _rule(date(2025, 3, 1), date(2025, 4, 1)),
            _rule(date(2025, 1, 1), None, "KW"),
        ]
    )
    assert book.rule_for("IL", date(2025, 2, 28)).rule_id == "IL/2025-01-01"
    assert book.rule_for("IL", date(2025, 3, 1)).rule_id == "IL/2025-03-01"
    with pytest.raises(InvalidInput) as info:
        book.rule_for("IL", date(2025, 5, 1))
    assert info.value.code == "no_customs_rule"


@pytest.mark.parametrize(
    ("destination", "on"), [("CN", date(2026, 3, 1)), ("IL", date(2020, 12, 31))]
)
def test_no_rule_for_unconfigured_destinations_or_dates(destination: str, on: date) -> None:
    with pytest.raises(InvalidInput) as info:
        quote(USD_100, 0, "USD", destination, on)
    assert info.value.code == "no_customs_rule"


@pytest.mark.parametrize(
    "build",
    [
        lambda: _rule(date(2025, 1, 1), date(2025, 1, 1)),
        lambda: dataclasses.replace(_rule(date(2025, 1, 1), None), vat_percent=Decimal(101)),
        lambda: dataclasses.replace(_rule(date(2025, 1, 1), None), vat_percent=Decimal("NaN")),
        lambda: dataclasses.replace(_rule(date(2025, 1, 1), None), goods_value_percent=Decimal(0)),
        lambda: DutyTable(Decimal(5), by_chapter={"6": Decimal(1)}),
        lambda: DutyTable(Decimal(5), by_heading={"61091": Decimal(1)}),
        lambda: DutyTable(0.05),  # type: ignore[arg-type]
        lambda: Amount(-1, "USD"),
        lambda: DeMinimis(Amount(1, "USD"), ValueBase.GOODS, frozenset()),
    ],
)
def test_malformed_rules_are_refused(build: object) -> None:
    assert callable(build)
    with pytest.raises(InvalidInput) as info:
        build()
    assert info.value.code == "invalid_customs_rule"


def test_de_minimis_exempts_only_what_it_says() -> None:
    rule = dataclasses.replace(
        _rule(date(2025, 1, 1), None),
        duty=DutyTable(Decimal(10)),
        de_minimis=(
            DeMinimis(Amount(10_000, "USD"), ValueBase.GOODS_AND_SHIPPING, frozenset({Tax.DUTY})),
        ),
    )
    book = RuleBook([rule])
    within = quote([line("851830", 9_000)], 1_000, "USD", "IL", date(2026, 1, 1), rules=book)
    assert (within.duty_minor, within.vat_minor) == (0, 1_800)
    over = quote([line("851830", 9_000)], 1_001, "USD", "IL", date(2026, 1, 1), rules=book)
    assert over.duty_minor == 1_000  # 10 % x 100.01 = 10.001 -> 10.00


# --- input checks -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "hs_code",
    [
        "61091",
        "6109100",
        "6109.1",
        "61091a",
        "000000",
        "770000",
        "990000",
        "\uff16\uff11\uff10\uff19\uff11\uff10",
    ],
)
def test_hs_codes_must_be_six_digit_subheadings(hs_code: str) -> None:
    with pytest.raises(InvalidInput) as info:
        quote([line("851830", 100), line(hs_code, 100)], 0, "USD", "IL", date(2026, 3, 1))
    assert info.value.code == "invalid_hs_code"
    assert info.value.errors[0].field == "lines[1].hs_code"


def test_origin_must_be_a_country() -> None:
    with pytest.raises(InvalidInput) as info:
        quote([line("851830", 100, "XX")], 0, "USD", "IL", date(2026, 3, 1))
    assert info.value.errors[0].field == "lines[0].origin"


@pytest.mark.parametrize(
    ("lines", "shipping_minor", "insurance_minor"),
    [
        ([line("851830", -1)], 0, 0),
        ([line("851830", 10**15 + 1)], 0, 0),
        ([line("851830", 100)], -1, 0),
        ([line("851830", 100)], 0, -1),
        ([CustomsLine("851830", "CN", 1.5)], 0, 0),  # type: ignore[arg-type]
        ([line("851830", 100)], True, 0),
    ],
)
def test_amounts_must_be_non_negative_integers(
    lines: list[CustomsLine], shipping_minor: int, insurance_minor: int
) -> None:
    with pytest.raises(InvalidInput) as info:
        quote(lines, shipping_minor, "USD", "IL", date(2026, 3, 1), insurance_minor=insurance_minor)
    assert info.value.errors[0].code == "invalid_amount"


def test_lines_are_required_and_limited() -> None:
    with pytest.raises(InvalidInput) as empty:
        quote([], 0, "USD", "IL", date(2026, 3, 1))
    assert empty.value.code == "no_customs_lines"
    with pytest.raises(LimitExceeded):
        quote([line("851830", 1)] * (MAX_LINES + 1), 0, "USD", "IL", date(2026, 3, 1))


def test_currency_and_destination_are_validated() -> None:
    with pytest.raises(InvalidInput):
        quote(USD_100, 0, "usd", "IL", date(2026, 3, 1))
    with pytest.raises(InvalidInput):
        quote(USD_100, 0, "USD", "ISR", date(2026, 3, 1))


def test_order_date_must_be_a_local_date_not_an_instant() -> None:
    with pytest.raises(TypeError, match="destination's calendar"):
        quote(USD_100, 0, "USD", "IL", datetime(2026, 3, 1, 12, 0))


def test_converter_results_are_checked() -> None:
    def float_fx(amount_minor: int, source: str, target: str) -> int:
        return amount_minor * 3.7  # type: ignore[return-value]

    with pytest.raises(TypeError, match="fx converter"):
        quote_landed_cost(USD_100, 0, 0, "ILS", "IL", date(2026, 3, 1), DAP, float_fx)


def test_duty_terms_accept_their_string_values_only() -> None:
    q = quote_landed_cost(USD_100, 0, 0, "USD", "IL", date(2025, 12, 1), "DDP", no_fx)  # type: ignore[arg-type]
    assert q.duty_terms is DDP
    with pytest.raises(InvalidInput) as info:
        quote_landed_cost(USD_100, 0, 0, "USD", "IL", date(2025, 12, 1), "CIF", no_fx)  # type: ignore[arg-type]
    assert info.value.code == "invalid_duty_terms"


def test_converter_is_called_with_the_threshold_currency() -> None:
    calls: list[tuple[int, str, str]] = []

    def recording_fx(amount_minor: int, source: str, target: str) -> int:
        calls.append((amount_minor, source, target))
        return fx(amount_minor, source, target)

    quote_landed_cost(USD_100, 0, 0, "ILS", "IL", date(2026, 3, 1), DAP, recording_fx)
    assert (13_000, "USD", "ILS") in calls  # the USD 130 threshold
    assert all(source == "USD" and target == "ILS" for _, source, target in calls)


# --- properties -----------------------------------------------------------------------------------

DESTINATIONS = {
    "IL": "USD",
    "DE": "EUR",
    "HU": "EUR",
    "US": "USD",
    "GB": "GBP",
    "JP": "JPY",
    "KW": "KWD",
}
hs_codes = st.sampled_from(["610910", "620342", "420292", "851830", "847130", "950300", "392690"])


@given(
    st.sampled_from(sorted(DESTINATIONS)),
    st.lists(st.tuples(hs_codes, st.integers(0, 2_000_000)), min_size=1, max_size=8),
    st.integers(0, 100_000),
    st.integers(0, 10_000),
    st.dates(date(2025, 9, 1), date(2027, 12, 31)),
    st.sampled_from([DDP, DAP]),
)
def test_quotes_are_internally_consistent(
    destination: str,
    raw_lines: list[tuple[str, int]],
    shipping_minor: int,
    insurance_minor: int,
    on: date,
    terms: DutyTerms,
) -> None:
    currency = DESTINATIONS[destination]
    lines = [line(hs, value) for hs, value in raw_lines]
    q = quote_landed_cost(
        lines, shipping_minor, insurance_minor, currency, destination, on, terms, no_fx
    )
    assert_consistent(q)
    assert q.goods_minor == sum(v for _, v in raw_lines)
    assert min(q.duty_minor, q.excise_minor, q.vat_minor, q.fees_minor) >= 0
    assert q.total_minor >= q.goods_minor + shipping_minor + insurance_minor
    assert q.collect_at_checkout or terms is DAP
    rule = default_rule_book().rule_for(destination, on)
    base_minor = q.customs_value_minor + q.duty_minor + q.excise_minor
    assert q.vat_minor in (0, percent_of(base_minor, rule.vat_percent))
