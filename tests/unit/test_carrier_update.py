"""Carrier updates are type-checked field by field before anything uses them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tradewind.kernel.errors import InvalidInput
from tradewind.logistics.carrier_update import MAX_EVENTS_PER_UPDATE, parse_update
from tradewind.logistics.tracking import TrackingEvent, check_event_time

SHIPPED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NOW = SHIPPED + timedelta(days=3)


def _event(**overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": "e1",
        "code": "EMA",
        "occurred_at": "2026-03-02T17:00:00+08:00",
        "location": "Shenzhen, CN",
    }
    event.update(overrides)
    return event


def _code(payload: object) -> tuple[str, list[str]]:
    with pytest.raises(InvalidInput) as caught:
        parse_update(payload)
    return caught.value.code, [e.field for e in caught.value.errors]


def test_a_good_update_is_canonical_and_in_utc() -> None:
    update = parse_update(
        {"tracking_number": "rr 473124829 gb", "reference": "shp_1", "events": [_event()]}
    )
    assert update.tracking_number == "RR473124829GB"
    assert update.reference == "shp_1"
    assert update.events[0].occurred_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert update.events[0].description == ""


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        ([], "bad_event", "body"),
        ({"events": []}, "bad_event", "tracking_number"),
        ({"tracking_number": ["RR473124829GB"], "events": []}, "bad_event", "tracking_number"),
        ({"tracking_number": "RR473124829GB", "events": "x"}, "bad_event", "events"),
        (
            {"tracking_number": "RR473124829GB", "reference": 5, "events": []},
            "bad_event",
            "reference",
        ),
        ({"tracking_number": "RR473124829GB", "events": [None]}, "bad_event", "events[0]"),
        (
            {"tracking_number": "RR473124829GB", "events": [_event(), _event(code=True)]},
            "bad_event",
            "events[1].code",
        ),
        (
            {
                "tracking_number": "RR473124829GB",
                "events": [_event(occurred_at="0001-01-01T00:00:00+05:00")],
            },
            "event_time_out_of_range",
            "events[0].occurred_at",
        ),
        (
            {"tracking_number": "RR473124829GB", "events": [_event(location="a\x00b")]},
            "control_characters",
            "events[0].location",
        ),
        (
            {"tracking_number": "RR473124829GB", "events": [_event(event_id="x" * 101)]},
            "invalid_input",
            "events[0].event_id",
        ),
    ],
)
def test_junk_is_refused_naming_the_field(payload: object, code: str, field: str) -> None:
    assert _code(payload) == (code, [field])


def test_batches_are_bounded() -> None:
    events = [_event(event_id=f"e{i}") for i in range(MAX_EVENTS_PER_UPDATE + 1)]
    assert _code({"tracking_number": "RR473124829GB", "events": events})[0] == "too_many_events"


@pytest.mark.parametrize(
    ("occurred_at", "code"),
    [
        (NOW + timedelta(minutes=11), "event_in_future"),
        (SHIPPED - timedelta(days=31), "event_before_shipment"),
    ],
)
def test_event_times_are_bounded_by_the_clock_and_the_shipment(
    occurred_at: datetime, code: str
) -> None:
    event = TrackingEvent("EMA", occurred_at, "", "", "e1")
    with pytest.raises(InvalidInput) as caught:
        check_event_time(event, SHIPPED, NOW)
    assert caught.value.code == code


def test_clock_skew_and_late_recording_are_tolerated() -> None:
    for occurred_at in (NOW + timedelta(minutes=9), SHIPPED - timedelta(days=29)):
        check_event_time(TrackingEvent("EMA", occurred_at, "", "", "e1"), SHIPPED, NOW)
