"""Pure checks behind the customs and FX hardening (the HTTP tests are in tests/integration)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from tradewind.customs.amendments import Amendment, apply_valid, builtin_with, check_schedulable
from tradewind.customs.rules_data import BUILTIN_RULES
from tradewind.kernel.errors import InvalidInput
from tradewind.kernel.text import check_plain_text
from tradewind.money.fx import (
    MAX_RATE,
    MIN_RATE,
    check_valid_from,
    parse_rate,
    rate_text,
    validate_pair,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_a_zero_rate_is_a_rate() -> None:
    book = builtin_with([Amendment("IL", date(2027, 1, 1), vat_percent=Decimal(0))])
    assert book.rule_for("IL", date(2027, 1, 1)).vat_percent == 0
    assert book.rule_for("IL", date(2026, 12, 31)).vat_percent == 18


def test_reads_skip_an_amendment_that_does_not_apply_and_say_which() -> None:
    good = Amendment("IL", date(2027, 1, 1), vat_percent=Decimal(0), amendment_id="cr_good")
    orphan = Amendment("IL", date(1, 1, 1), vat_percent=Decimal(5), amendment_id="cr_year_one")
    book, skipped = apply_valid(BUILTIN_RULES, [orphan, good])
    assert [(a.amendment_id, e.code) for a, e in skipped] == [("cr_year_one", "no_customs_rule")]
    assert book.rule_for("IL", date(2027, 1, 2)).vat_percent == 0


@pytest.mark.parametrize(
    ("figures", "code"),
    [
        ({}, "empty_amendment"),
        ({"vat_percent": Decimal("1E-900")}, "invalid_percent"),
        ({"vat_percent": Decimal("NaN")}, "invalid_percent"),
        ({"duty_default_percent": Decimal("100.5")}, "invalid_percent"),
        ({"de_minimis_minor": -1}, "invalid_amount"),
        ({"de_minimis_minor": True}, "invalid_amount"),
        ({"vat_percent": Decimal(0), "note": "a\x00b"}, "control_characters"),
    ],
)
def test_amendments_are_checked_whole(figures: dict[str, object], code: str) -> None:
    with pytest.raises(InvalidInput) as info:
        Amendment("IL", date(2027, 1, 1), **figures)  # type: ignore[arg-type]
    assert info.value.code == code


@pytest.mark.parametrize("day", [date(1, 1, 1), date(2026, 12, 1), date(9999, 12, 31)])
def test_amendments_start_tomorrow_at_the_earliest(day: date) -> None:
    with pytest.raises(InvalidInput) as info:
        check_schedulable(Amendment("IL", day, vat_percent=Decimal(1)), NOW.date())
    assert info.value.code == "effective_from_out_of_range"
    check_schedulable(Amendment("IL", date(2026, 12, 2), vat_percent=Decimal(1)), NOW.date())


@pytest.mark.parametrize(
    "raw", ["1e400", "1e-10", "1000000001", "NaN", "-1", "0", "1_0", " 1", "\u0663", "1" * 41]
)
def test_rates_out_of_the_read_bounds_are_refused_on_write(raw: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_rate(raw)
    assert info.value.code == "invalid_rate"


def test_the_bounds_themselves_are_rates_and_are_stored_positionally() -> None:
    assert parse_rate(f"{MIN_RATE:f}") == MIN_RATE
    assert parse_rate(f"{MAX_RATE:f}") == MAX_RATE
    assert rate_text(parse_rate("1E-9")) == "0.000000001"


@pytest.mark.parametrize(
    ("base", "quote", "code"),
    [
        ("XXX", "USD", "unknown_currency"),
        ("USD", "usd", "unknown_currency"),
        ("USD", "USD", "same_currency"),
    ],
)
def test_pairs(base: str, quote: str, code: str) -> None:
    with pytest.raises(InvalidInput) as info:
        validate_pair(base, quote)
    assert info.value.code == code


def test_valid_from_is_near_now_and_never_overflows() -> None:
    for moment in (
        datetime(1, 1, 1, tzinfo=UTC) + timedelta(hours=1),
        datetime.max.replace(tzinfo=UTC),
        NOW - timedelta(days=2),
        NOW.replace(tzinfo=None),
    ):
        with pytest.raises(InvalidInput) as info:
            check_valid_from(moment, NOW)
        assert info.value.code == "valid_from_out_of_range"
    assert check_valid_from(NOW + timedelta(hours=1), NOW) == NOW + timedelta(hours=1)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("a\x00", "control_characters"),
        ("a\tb", "invalid_text"),
        ("a\nb", "invalid_text"),
        ("\x7f", "control_characters"),
        ("\u0085", "control_characters"),
        ("\ud800", "control_characters"),
    ],
)
def test_control_characters_are_refused(text: str, code: str) -> None:
    with pytest.raises(InvalidInput) as info:
        check_plain_text(text, "note", max_len=10)
    assert info.value.code == code
    assert check_plain_text("שלום\u200f", "note", max_len=10) == "שלום\u200f"
