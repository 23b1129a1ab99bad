"""Tracking timelines: code mapping, dedupe, out-of-order events, Delivered terminal, expiry."""

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.kernel.errors import InvalidInput, LimitExceeded
from tradewind.logistics.tracking import (
    EVENT_CODES,
    MAX_EVENTS,
    SCENARIOS,
    ScriptStep,
    Timeline,
    TrackingEvent,
    TrackingStatus,
    event_id_for,
    status_for_code,
)

S = TrackingStatus
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def ev(code: str, hours: float, event_id: str | None = None, location: str = "X") -> TrackingEvent:
    at = T0 + timedelta(hours=hours)
    return TrackingEvent(
        code, at, location, EVENT_CODES[code].description, event_id or f"{code}-{hours}"
    )


def timeline(*events: TrackingEvent) -> Timeline:
    return Timeline(T0, events)


def replay(steps: tuple[ScriptStep, ...]) -> tuple[Timeline, list[S]]:
    """Feed a simulator script in order; return the timeline and every status it passed through."""
    line = Timeline(T0)
    seen = [line.status]
    for step in steps:
        change = line.record(ev(step.code, step.offset_hours, location=step.location))
        if change is not None:
            assert change.previous is seen[-1]
            seen.append(change.current)
    return line, seen


EXPECTED = {
    "EMA": S.IN_TRANSIT,
    "EMB": S.IN_TRANSIT,
    "EMC": S.IN_TRANSIT,
    "EXA": S.IN_TRANSIT,
    "EXB": S.IN_TRANSIT,
    "EXC": S.IN_TRANSIT,
    "EXD": S.IN_TRANSIT,
    "EMJ": S.IN_TRANSIT,
    "EMK": S.IN_TRANSIT,
    "EMD": S.IN_TRANSIT,
    "EDA": S.IN_TRANSIT,
    "EDB": S.IN_TRANSIT,
    "EME": S.EXCEPTION,
    "EDC": S.IN_TRANSIT,
    "EMF": S.IN_TRANSIT,
    "EDD": S.IN_TRANSIT,
    "EDE": S.IN_TRANSIT,
    "EMG": S.IN_TRANSIT,
    "EDF": S.EXCEPTION,
    "EDG": S.OUT_FOR_DELIVERY,
    "EDH": S.AVAILABLE_FOR_PICKUP,
    "EMH": S.ATTEMPT_FAIL,
    "EMI": S.DELIVERED,
    "EDX": S.EXCEPTION,
    "EXX": S.EXCEPTION,
}


@pytest.mark.parametrize(("code", "status"), sorted(EXPECTED.items()))
def test_every_brief_code_maps_to_the_documented_status(code: str, status: S) -> None:
    assert status_for_code(code) is status


def test_mapping_table_has_exactly_the_documented_codes() -> None:
    assert set(EVENT_CODES) == set(EXPECTED)


def test_unsuccessful_delivery_is_not_an_arrival() -> None:
    assert status_for_code("EMH") is S.ATTEMPT_FAIL


def test_status_values_follow_the_aggregator_spelling() -> None:
    assert [s.value for s in S] == [
        "Pending",
        "InfoReceived",
        "InTransit",
        "OutForDelivery",
        "AttemptFail",
        "Delivered",
        "AvailableForPickup",
        "Exception",
        "Expired",
    ]


@pytest.mark.parametrize("code", ["ZZZ", "emi", "", "EM"])
def test_unknown_codes_are_refused(code: str) -> None:
    with pytest.raises(InvalidInput) as info:
        TrackingEvent(code, T0, "X", "", "id-1")
    assert info.value.code == "unknown_event_code"


def test_naive_times_are_refused_and_offsets_normalized_to_utc() -> None:
    with pytest.raises(InvalidInput) as info:
        TrackingEvent("EMA", datetime(2026, 3, 2, 9, 0), "X", "", "id")
    assert info.value.code == "naive_datetime"
    israel = timezone(timedelta(hours=2))
    event = TrackingEvent("EMA", datetime(2026, 3, 2, 11, 0, tzinfo=israel), "X", "", "id")
    assert event.occurred_at == T0
    assert event.occurred_at.tzinfo is UTC


@pytest.mark.parametrize(
    ("event_id", "location", "description"),
    [
        ("", "X", ""),
        ("   ", "X", ""),
        ("x" * 201, "X", ""),
        ("id", "L" * 201, ""),
        ("id", "", "d" * 501),
    ],
)
def test_text_fields_are_bounded(event_id: str, location: str, description: str) -> None:
    with pytest.raises(InvalidInput):
        TrackingEvent("EMA", T0, location, description, event_id)


def test_empty_timeline_is_pending() -> None:
    line = Timeline(T0)
    assert line.status is S.PENDING
    assert line.events == ()
    assert line.delivered_at is None
    assert line.last_event_at is None


def test_naive_registration_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Timeline(datetime(2026, 3, 2))


def test_duplicates_are_ignored_by_event_id() -> None:
    line = timeline()
    first = ev("EMA", 0, "carrier-1")
    assert line.add(first) is True
    assert line.add(first) is False
    # Same id, different content: the first one wins (carriers resend with drifting text).
    assert line.add(ev("EMB", 5, "carrier-1")) is False
    assert line.events == (first,)


def test_out_of_order_events_are_kept_in_event_time_order() -> None:
    line = timeline(ev("EMG", 30), ev("EMA", 0), ev("EMD", 20), ev("EMC", 10))
    assert [e.code for e in line.events] == ["EMA", "EMC", "EMD", "EMG"]


def test_status_follows_the_latest_event_by_time_not_arrival() -> None:
    line = timeline(ev("EDG", 40))
    change = line.record(ev("EMG", 30))  # a late, earlier scan
    assert change is None
    assert line.status is S.OUT_FOR_DELIVERY


def test_same_instant_events_order_by_event_id_whatever_the_arrival_order() -> None:
    a, b = ev("EMD", 10, "a"), ev("EME", 10, "b")
    assert timeline(a, b).events == timeline(b, a).events == (a, b)
    assert timeline(b, a).status is S.EXCEPTION


def test_delivered_is_terminal_against_late_earlier_events() -> None:
    line = timeline(ev("EMA", 0), ev("EMI", 50))
    assert line.record(ev("EMH", 40)) is None
    assert line.record(ev("EME", 20)) is None
    assert line.status is S.DELIVERED


def test_delivered_is_terminal_against_later_scans_too() -> None:
    line = timeline(ev("EMI", 50))
    assert line.record(ev("EMH", 60)) is None
    assert line.status is S.DELIVERED
    assert line.delivered_at == T0 + timedelta(hours=50)


def test_delivered_at_is_the_first_delivery_scan() -> None:
    line = timeline(ev("EMI", 50, "d2"), ev("EMI", 48, "d1"))
    assert line.delivered_at == T0 + timedelta(hours=48)


def test_transitions_report_attention_and_auto_confirm() -> None:
    line = timeline(ev("EMA", 0))
    held = line.record(ev("EME", 10))
    assert held is not None
    assert (held.previous, held.current) == (S.IN_TRANSIT, S.EXCEPTION)
    assert held.needs_attention
    assert not held.starts_auto_confirm
    released = line.record(ev("EDC", 20))
    assert released is not None
    assert not released.needs_attention
    failed = line.record(ev("EMH", 30))
    assert failed is not None
    assert failed.needs_attention
    delivered = line.record(ev("EMI", 40))
    assert delivered is not None
    assert delivered.starts_auto_confirm
    assert delivered.event.code == "EMI"


def test_no_transition_when_the_status_does_not_change_or_on_duplicates() -> None:
    line = timeline(ev("EMA", 0, "a"))
    assert line.record(ev("EMB", 1)) is None
    assert line.record(ev("EMA", 0, "a")) is None


def test_expiry_counts_from_the_last_event_time() -> None:
    line = timeline(ev("EMA", 0), ev("EMC", 24))
    last = T0 + timedelta(hours=24)
    assert line.expires_at() == last + timedelta(days=30)
    assert not line.is_expired(last + timedelta(days=30) - timedelta(seconds=1))
    assert line.is_expired(last + timedelta(days=30))
    assert line.status_at(last + timedelta(days=30)) is S.EXPIRED
    assert line.status_at(last + timedelta(days=29)) is S.IN_TRANSIT
    assert line.is_expired(last + timedelta(days=10), expiry_days=10)


def test_silent_parcel_expires_from_registration() -> None:
    line = Timeline(T0)
    assert line.expires_at() == T0 + timedelta(days=30)
    assert line.status_at(T0 + timedelta(days=30)) is S.EXPIRED


def test_events_from_before_registration_do_not_expire_a_fresh_shipment() -> None:
    line = Timeline(T0 + timedelta(days=40), [ev("EMA", 0)])
    assert line.expires_at() == T0 + timedelta(days=70)


def test_a_new_event_pushes_expiry_back_and_delivered_never_expires() -> None:
    line = timeline(ev("EMA", 0))
    line.add(ev("EMD", 24 * 25))
    assert not line.is_expired(T0 + timedelta(days=40))
    line.add(ev("EMI", 24 * 26))
    assert line.expires_at() is None
    assert line.status_at(T0 + timedelta(days=400)) is S.DELIVERED


def test_expiry_days_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        Timeline(T0).expires_at(0)


def test_event_count_is_limited() -> None:
    line = Timeline(T0, [ev("EDD", i, f"e{i}") for i in range(MAX_EVENTS)])
    with pytest.raises(LimitExceeded) as info:
        line.add(ev("EDE", 1, "one-too-many"))
    assert info.value.code == "too_many_tracking_events"
    assert line.add(ev("EDD", 0, "e0")) is False  # duplicates are still fine at the limit


def test_derived_event_ids_are_stable_across_time_zones() -> None:
    israel = timezone(timedelta(hours=2))
    local = datetime(2026, 3, 2, 11, 0, tzinfo=israel)
    assert event_id_for("EMA", local, " Shenzhen ") == event_id_for("EMA", T0, "Shenzhen")
    assert event_id_for("EMA", T0, "A") != event_id_for("EMB", T0, "A")


# --- simulator scripts ---------------------------------------------------------------------------


def test_every_script_uses_known_codes_and_non_decreasing_offsets() -> None:
    for name, steps in SCENARIOS.items():
        offsets = [s.offset_hours for s in steps]
        assert offsets == sorted(offsets), name
        assert all(s.code in EVENT_CODES for s in steps), name


def test_happy_path_covers_every_leg_and_ends_delivered() -> None:
    line, seen = replay(SCENARIOS["happy_path"])
    codes = [e.code for e in line.events]
    for leg in ("EMA", "EXA", "EMB", "EMC", "EMJ", "EMD", "EDB", "EMG", "EDG", "EMI"):
        assert leg in codes
    assert seen == [S.PENDING, S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED]
    assert line.delivered_at == T0 + timedelta(hours=156)


def test_customs_hold_goes_through_exception_and_recovers() -> None:
    _, seen = replay(SCENARIOS["held_by_customs"])
    assert seen == [
        S.PENDING,
        S.IN_TRANSIT,
        S.EXCEPTION,
        S.IN_TRANSIT,
        S.OUT_FOR_DELIVERY,
        S.DELIVERED,
    ]


def test_failed_delivery_then_pickup() -> None:
    _, seen = replay(SCENARIOS["failed_delivery_then_pickup"])
    assert seen[-4:] == [S.OUT_FOR_DELIVERY, S.ATTEMPT_FAIL, S.AVAILABLE_FOR_PICKUP, S.DELIVERED]


def test_returned_to_sender_ends_in_exception_and_is_never_delivered() -> None:
    line, seen = replay(SCENARIOS["returned_to_sender"])
    assert seen[-1] is S.EXCEPTION
    assert line.events[-1].code == "EDX"
    assert line.delivered_at is None


def test_lost_and_silent_parcels_expire() -> None:
    lost, _ = replay(SCENARIOS["lost_in_transit"])
    assert lost.status is S.IN_TRANSIT
    last = lost.last_event_at
    assert last is not None
    assert lost.status_at(last + timedelta(days=30)) is S.EXPIRED
    silent, seen = replay(SCENARIOS["silent"])
    assert seen == [S.PENDING]
    assert silent.status_at(T0 + timedelta(days=30)) is S.EXPIRED


@given(
    st.sampled_from(sorted(SCENARIOS)),
    st.randoms(use_true_random=False),
    st.integers(min_value=0, max_value=5),
)
def test_any_arrival_order_with_duplicates_gives_the_same_timeline(
    name: str, rnd: random.Random, duplicates: int
) -> None:
    events = [ev(s.code, s.offset_hours, location=s.location) for s in SCENARIOS[name]]
    in_order = timeline(*events)
    shuffled = events + [rnd.choice(events) for _ in range(duplicates if events else 0)]
    rnd.shuffle(shuffled)
    scrambled = timeline(*shuffled)
    assert scrambled.events == in_order.events
    assert scrambled.status is in_order.status
    assert scrambled.delivered_at == in_order.delivered_at
