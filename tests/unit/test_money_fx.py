"""FX quotes and conversion: spread against the customer, one rounding, any minor units."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.kernel.errors import InvalidInput
from tradewind.money.amount import CurrencyMismatch, Money
from tradewind.money.fx import FxQuote, convert, cross

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def quote(base: str, to: str, rate: str, spread_bps: int = 0, **overrides: object) -> FxQuote:
    fields: dict[str, object] = {
        "base": base,
        "quote": to,
        "rate": Decimal(rate),
        "spread_bps": spread_bps,
        "source": "operator",
        "quoted_at": AT,
        "quote_id": "fxq_1",
    }
    fields.update(overrides)
    return FxQuote(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("money", "fx", "expected"),
    [
        # JPY (0 digits) -> ILS (2): 12345 * 0.0236 = 291.342 ILS
        (Money(12345, "JPY"), quote("JPY", "ILS", "0.0236"), Money(29134, "ILS")),
        # with 150 bps against the buyer: 291.342 * 1.015 = 295.71213 ILS
        (Money(12345, "JPY"), quote("JPY", "ILS", "0.0236", 150), Money(29571, "ILS")),
        # ILS (2) -> JPY (0): 12.34 * 42.37 = 522.8458 yen
        (Money(1234, "ILS"), quote("ILS", "JPY", "42.37"), Money(523, "JPY")),
        # USD (2) -> KWD (3): 100.00 * 0.3072 * 1.01 = 31.0272 KWD
        (Money(10000, "USD"), quote("USD", "KWD", "0.3072", 100), Money(31027, "KWD")),
        # KWD (3) -> JPY (0): 1.234 * 487.65 = 601.7601 yen
        (Money(1234, "KWD"), quote("KWD", "JPY", "487.65"), Money(602, "JPY")),
        # KWD (3) -> BHD (3)
        (Money(1000, "KWD"), quote("KWD", "BHD", "1.2263"), Money(1226, "BHD")),
        # ties go to even: 0.005 ILS = 0.5 agorot -> 0; 0.015 ILS = 1.5 agorot -> 2
        (Money(1, "JPY"), quote("JPY", "ILS", "0.005"), Money(0, "ILS")),
        (Money(3, "JPY"), quote("JPY", "ILS", "0.005"), Money(2, "ILS")),
        # a refund-sized negative amount converts symmetrically
        (Money(-12345, "JPY"), quote("JPY", "ILS", "0.0236", 150), Money(-29571, "ILS")),
        (Money(0, "USD"), quote("USD", "EUR", "0.92", 50), Money(0, "EUR")),
    ],
)
def test_convert(money: Money, fx: FxQuote, expected: Money) -> None:
    assert convert(money, fx) == expected


def test_customer_rate_adds_the_spread_exactly() -> None:
    assert quote("JPY", "ILS", "0.0236", 150).customer_rate == Decimal("0.023954")
    assert quote("JPY", "ILS", "0.0236").customer_rate == Decimal("0.0236")


def test_identity_quote_returns_the_same_money() -> None:
    same = quote("ILS", "ILS", "1", quote_id="identity", source="identity")
    assert convert(Money(1234, "ILS"), same) == Money(1234, "ILS")


def test_identity_quote_needs_rate_one_and_no_spread() -> None:
    with pytest.raises(InvalidInput) as info:
        quote("ILS", "ILS", "1.01")
    assert info.value.code == "same_currency"
    with pytest.raises(InvalidInput):
        quote("ILS", "ILS", "1", 10)


def test_convert_refuses_money_in_another_currency() -> None:
    with pytest.raises(CurrencyMismatch):
        convert(Money(100, "USD"), quote("JPY", "ILS", "0.0236"))


@pytest.mark.parametrize("rate", ["0", "-1", "NaN", "Infinity", "1E+10", "1E-10", "1." + "1" * 20])
def test_rate_must_be_positive_and_bounded(rate: str) -> None:
    with pytest.raises(InvalidInput):
        quote("USD", "EUR", rate)


def test_rate_must_be_a_decimal() -> None:
    with pytest.raises(TypeError, match="rate must be a Decimal"):
        FxQuote("USD", "EUR", 0.92, 0, "operator", AT, "fxq_1")  # type: ignore[arg-type]


@pytest.mark.parametrize("spread_bps", [-1, 2001])
def test_spread_is_0_to_2000_bps(spread_bps: int) -> None:
    with pytest.raises(InvalidInput):
        quote("USD", "EUR", "0.92", spread_bps)
    assert quote("USD", "EUR", "0.92", 2000).spread_bps == 2000


def test_spread_must_be_an_int() -> None:
    with pytest.raises(TypeError, match="spread_bps"):
        quote("USD", "EUR", "0.92", spread_bps=1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "moment",
    [datetime(2026, 3, 2, 9, 0), datetime(2026, 3, 2, 9, 0, tzinfo=timezone(timedelta(hours=2)))],
)
def test_quoted_at_must_be_aware_utc(moment: datetime) -> None:
    with pytest.raises(InvalidInput):
        quote("USD", "EUR", "0.92", quoted_at=moment)


@pytest.mark.parametrize(
    "overrides",
    [
        {"source": ""},
        {"source": " x"},
        {"source": "s" * 101},
        {"quote_id": ""},
        {"quote_id": "q" * 101},
    ],
)
def test_quote_fields_are_validated(overrides: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        quote("USD", "EUR", "0.92", **overrides)


def test_unknown_currencies_are_refused() -> None:
    with pytest.raises(InvalidInput):
        quote("XXX", "EUR", "0.92")
    with pytest.raises(InvalidInput):
        quote("USD", "usd", "0.92")


def test_cross_rate_from_a_common_pivot() -> None:
    older = AT - timedelta(hours=1)
    eur_usd = quote("EUR", "USD", "1.0825", source="ecb", quoted_at=older)
    eur_ils = quote("EUR", "ILS", "3.9871", source="ecb")
    usd_ils = cross(eur_usd, eur_ils, spread_bps=100, quote_id="fxq_x")
    assert (usd_ils.base, usd_ils.quote) == ("USD", "ILS")
    assert usd_ils.rate == Decimal("3.68323325635")  # 12 significant digits
    assert usd_ils.spread_bps == 100
    assert usd_ils.quoted_at == older
    assert usd_ils.source == "cross:ecb+ecb"
    assert convert(Money(10000, "USD"), usd_ils) == Money(37201, "ILS")  # 372.00655889


def test_cross_needs_a_common_pivot() -> None:
    with pytest.raises(CurrencyMismatch):
        cross(quote("EUR", "USD", "1.08"), quote("GBP", "ILS", "4.6"), spread_bps=0, quote_id="x")


CURRENCIES = ["JPY", "KRW", "ILS", "USD", "EUR", "KWD", "BHD", "TND"]
rates = st.decimals(min_value=Decimal("0.000001"), max_value=Decimal(1000), places=6)


@given(
    amount_minor=st.integers(min_value=-(10**9), max_value=10**9),
    pair=st.lists(st.sampled_from(CURRENCIES), min_size=2, max_size=2, unique=True),
    rate=rates,
    spread_bps=st.integers(min_value=0, max_value=2000),
)
def test_convert_is_exact_then_rounded_once(
    amount_minor: int, pair: list[str], rate: Decimal, spread_bps: int
) -> None:
    base, to = pair
    fx = quote(base, to, str(rate), spread_bps)
    result = convert(Money(amount_minor, base), fx)
    assert type(result.amount_minor) is int
    assert result.currency == to
    exact = Money(amount_minor, base).to_decimal() * fx.customer_rate
    half_unit = Decimal("0.5").scaleb(
        -{"JPY": 0, "KRW": 0, "KWD": 3, "BHD": 3, "TND": 3}.get(to, 2)
    )
    assert abs(result.to_decimal() - exact) <= half_unit
    assert convert(Money(-amount_minor, base), fx) == -result


@given(
    amount_minor=st.integers(min_value=0, max_value=10**9),
    rate=rates,
    spread_bps=st.integers(min_value=0, max_value=2000),
)
def test_the_spread_never_favours_the_customer(
    amount_minor: int, rate: Decimal, spread_bps: int
) -> None:
    mid = convert(Money(amount_minor, "JPY"), quote("JPY", "USD", str(rate)))
    charged = convert(Money(amount_minor, "JPY"), quote("JPY", "USD", str(rate), spread_bps))
    assert charged >= mid
