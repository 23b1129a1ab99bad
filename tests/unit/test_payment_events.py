"""Webhook events are checked field by field; suspense builders balance."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tradewind.kernel.errors import InvalidInput
from tradewind.ledger import domain as ledger
from tradewind.money.amount import Money
from tradewind.payments.events import MAX_CLOCK_SKEW, MAX_EVENT_AGE, parse_event

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def event(**data: Any) -> dict[str, Any]:
    return {
        "id": "evt_1",
        "type": "payment.captured",
        "created": int(NOW.timestamp()),
        "data": {"payment_id": "pi_1", "reference": "chk_1", "currency": "USD", **data},
    }


def refused(raw: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        parse_event(raw, NOW)
    return caught.value


def test_a_good_capture_parses_and_stores_only_what_was_checked() -> None:
    raw = event(amount_minor=4443, extra={"nested": "ignored"})
    parsed = parse_event(raw, NOW)
    assert parsed.amount == Money(4443, "USD")
    assert parsed.created == NOW
    assert parsed.payload() == {
        "id": "evt_1",
        "type": "payment.captured",
        "created": int(NOW.timestamp()),
        "data": {
            "payment_id": "pi_1",
            "reference": "chk_1",
            "currency": "USD",
            "amount_minor": 4443,
        },
    }


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("abc", "not_an_integer"),
        (None, "not_an_integer"),
        (1e300, "not_an_integer"),
        (float("nan"), "not_an_integer"),
        (2**70, "out_of_range"),
        (10**17 + 1, "out_of_range"),
        (True, "not_an_integer"),
        (False, "not_an_integer"),
        ({}, "not_an_integer"),
        (-1, "amount_not_positive"),
        (0, "amount_not_positive"),
        (1.0, "not_an_integer"),
    ],
)
def test_junk_amounts_are_refused_with_a_field_code(value: object, code: str) -> None:
    error = refused(event(amount_minor=value))
    assert error.code == "bad_event"
    assert [(e.field, e.code) for e in error.errors] == [("data.amount_minor", code)]


@pytest.mark.parametrize("currency", ["XXX", "usd", "US", "USDD", 840, None, "US\x00", "XTS"])
def test_unknown_currencies_are_refused(currency: object) -> None:
    error = refused(event(amount_minor=1, currency=currency))
    assert [(e.field, e.code) for e in error.errors] == [("data.currency", "currency")]


@pytest.mark.parametrize(
    "created",
    [
        -62135596800,
        0,
        253402300799,
        int((NOW - MAX_EVENT_AGE).timestamp()) - 1,
        int((NOW + MAX_CLOCK_SKEW).timestamp()) + 1,
        "now",
        1.5,
        None,
        2**70,
    ],
)
def test_timestamps_out_of_range_are_refused(created: object) -> None:
    error = refused({**event(amount_minor=1), "created": created})
    assert [e.field for e in error.errors] == ["created"]


@pytest.mark.parametrize("kind", ["payment.refunded_all", "", None, 5, {"a": 1}])
def test_unknown_types_are_refused(kind: object) -> None:
    assert refused({**event(amount_minor=1), "type": kind}).code == "unknown_event_type"


def test_missing_and_wrongly_typed_fields_are_all_named() -> None:
    error = refused({"type": "refund.succeeded", "id": {"x": 1}, "created": 1, "data": {}})
    assert error.code == "bad_event"
    assert {e.field for e in error.errors} == {
        "id",
        "created",
        "data.payment_id",
        "data.reference",
        "data.currency",
        "data.amount_minor",
        "data.refund_id",
    }
    assert refused([event(amount_minor=1)]).errors[0].field == "body"
    assert refused({**event(amount_minor=1), "data": "x"}).errors[-1].field == "data"
    assert refused(event(amount_minor=1, payment_id="pi\x00")).errors[0].field == "data.payment_id"


def test_suspense_builders_balance_and_overdrawn_suspense_is_a_breach() -> None:
    held = ledger.unapplied_capture("pi_1", Money(1, "EUR"), "k1")
    assert {(p.account, p.amount_minor) for p in held.postings} == {
        ("psp:clearing:EUR", 1),
        ("platform:suspense:EUR", -1),
    }
    back = ledger.refund_unapplied("pi_1", Money(1, "EUR"), "k2")
    assert ledger.check_invariants([held, back]) == []
    assert ledger.check_invariants([back]) == [
        "platform:suspense:EUR (EUR) is overdrawn after k2: balance +1"
    ]
    with pytest.raises(InvalidInput):
        ledger.unapplied_capture("pi_1", Money(0, "EUR"), "k3")
