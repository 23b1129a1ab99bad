"""Postal tracking: UPU EDI event codes, normalized statuses and a parcel's timeline.

Carriers push events late, twice and out of order. The :class:`Timeline` is therefore a pure
function of the *set* of events it holds: the same events in any arrival order, with any number
of duplicates, give the same ordered history and the same status. That is what lets the service
layer rebuild it from stored rows and lets the postal simulator misbehave on purpose.

Status mapping decisions (aggregator convention; see docs/design/logistics-and-customs.md):

- ``EMA`` (posting/collection) is **InTransit**: the post physically holds the item.
  **InfoReceived** is reserved for electronic pre-advice (a label exists, nothing scanned); no UPU
  event in :data:`EVENT_CODES` produces it, and a timeline with no events is **Pending**.
- ``EME`` (held by import customs) is **Exception**: it usually needs the buyer (duties,
  documents). ``EDA`` (held at the inward office of exchange) is **InTransit**: it is a routine
  wait for customs presentation that almost every parcel gets, and alerting on it is noise.
- ``EDF`` (held at the delivery office) is **Exception**: delivery stopped for a reason the scan
  does not state (charges due, bad address, addressee's request). Readiness for collection has
  its own event, ``EDH`` -> **AvailableForPickup**.
- ``EMH`` is an unsuccessful delivery attempt -> **AttemptFail** (it is not an arrival).
- ``EDX``/``EXX`` (item terminated / export cancelled) -> **Exception**.
- **Delivered** (``EMI``) is terminal: no later or late-arriving event moves a parcel back.
- **Expired** is time-dependent, never stored: :meth:`Timeline.status_at` overlays it when no
  event happened for ``expiry_days`` (30 by default) and the parcel is not delivered.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final, NamedTuple

from tradewind.kernel.errors import FieldError, InvalidInput, LimitExceeded
from tradewind.kernel.i18n import N_
from tradewind.kernel.problems import ProblemCode

# The simulator's scripts live in tradewind.logistics.routes (placed on each parcel's route);
# SCENARIOS is the written script on its reference route, EMS from CN to IL.
from tradewind.logistics.routes import SCENARIOS as SCENARIOS
from tradewind.logistics.routes import ScriptStep as ScriptStep
from tradewind.logistics.text import check_text

EXPIRY_DAYS: Final = 30
MAX_EVENTS: Final = 500  # a real parcel has a few dozen; more means a looping carrier feed
EVENT_ID_MAX_LEN: Final = 100  # the width of tracking_events.event_id
LOCATION_MAX_LEN: Final = 100  # the width of tracking_events.location
DESCRIPTION_MAX_LEN: Final = 500
# Carrier clocks drift a little; an event further ahead than this was not scanned yet.
EVENT_CLOCK_SKEW: Final = timedelta(minutes=10)
# A seller may record the shipment some days after handing the parcel in, so scans may predate
# it; a scan more than this before the shipment belongs to an earlier parcel with the number.
EVENT_BEFORE_SHIPMENT_MAX: Final = timedelta(days=30)
MIN_EVENT_YEAR: Final = 2000  # also keeps UTC conversion of year-1 times from overflowing


class TrackingStatus(StrEnum):
    """Normalized statuses, spelled the way tracking aggregators spell them."""

    PENDING = "Pending"
    INFO_RECEIVED = "InfoReceived"
    IN_TRANSIT = "InTransit"
    OUT_FOR_DELIVERY = "OutForDelivery"
    ATTEMPT_FAIL = "AttemptFail"
    DELIVERED = "Delivered"
    AVAILABLE_FOR_PICKUP = "AvailableForPickup"
    EXCEPTION = "Exception"
    EXPIRED = "Expired"


class EventCode(NamedTuple):
    """One UPU EDI event code: what it means and the status it maps to."""

    status: TrackingStatus
    description: str


_S = TrackingStatus
EVENT_CODES: Final[Mapping[str, EventCode]] = MappingProxyType(
    {
        "EMA": EventCode(_S.IN_TRANSIT, N_("Posting/collection")),
        "EMB": EventCode(_S.IN_TRANSIT, N_("Arrival at outward office of exchange")),
        "EXA": EventCode(_S.IN_TRANSIT, N_("Item presented to export customs")),
        "EXB": EventCode(_S.IN_TRANSIT, N_("Item held by export customs")),
        "EXC": EventCode(_S.IN_TRANSIT, N_("Item returned from export customs")),
        "EXD": EventCode(_S.IN_TRANSIT, N_("Item held at outward office of exchange")),
        "EMC": EventCode(_S.IN_TRANSIT, N_("Departure from outward office of exchange")),
        "EMJ": EventCode(_S.IN_TRANSIT, N_("Arrival at transit office of exchange")),
        "EMK": EventCode(_S.IN_TRANSIT, N_("Departure from transit office of exchange")),
        "EMD": EventCode(_S.IN_TRANSIT, N_("Arrival at inward office of exchange")),
        "EDA": EventCode(_S.IN_TRANSIT, N_("Held at inward office of exchange")),
        "EDB": EventCode(_S.IN_TRANSIT, N_("Item presented to import customs")),
        "EME": EventCode(_S.EXCEPTION, N_("Held by import customs")),
        "EDC": EventCode(_S.IN_TRANSIT, N_("Item returned from customs")),
        "EMF": EventCode(_S.IN_TRANSIT, N_("Departure from inward office of exchange")),
        "EDD": EventCode(_S.IN_TRANSIT, N_("Item into sorting centre")),
        "EDE": EventCode(_S.IN_TRANSIT, N_("Item out of sorting centre")),
        "EMG": EventCode(_S.IN_TRANSIT, N_("Arrival at delivery office")),
        "EDF": EventCode(_S.EXCEPTION, N_("Item held at delivery office")),
        "EDG": EventCode(_S.OUT_FOR_DELIVERY, N_("Item out for delivery")),
        "EDH": EventCode(_S.AVAILABLE_FOR_PICKUP, N_("Item arrived at collection point")),
        "EMH": EventCode(_S.ATTEMPT_FAIL, N_("Unsuccessful (attempted) delivery")),
        "EMI": EventCode(_S.DELIVERED, N_("Delivered")),
        "EDX": EventCode(_S.EXCEPTION, N_("Item terminated (inward)")),
        "EXX": EventCode(_S.EXCEPTION, N_("Export cancelled")),
    }
)
del _S

ATTENTION_STATUSES: Final = frozenset({TrackingStatus.EXCEPTION, TrackingStatus.ATTEMPT_FAIL})


def status_for_code(code: str) -> TrackingStatus:
    """Map a UPU event code; unknown codes are refused so a new carrier code is noticed."""
    entry = EVENT_CODES.get(code)
    if entry is None:
        raise InvalidInput(
            f"unknown UPU event code {code!r}",
            code=ProblemCode.UNKNOWN_EVENT_CODE,
            errors=[FieldError("code", "not a known UPU EDI event code", "unknown_event_code")],
        )
    return entry.status


@dataclass(frozen=True, slots=True)
class TrackingEvent:
    """One carrier scan. ``event_id`` is the dedupe key (the carrier's id, or :func:`event_id_for`).

    ``occurred_at`` must be timezone-aware; it is normalized to UTC.
    """

    code: str
    occurred_at: datetime
    location: str
    description: str
    event_id: str

    def __post_init__(self) -> None:
        status_for_code(self.code)
        offset = self.occurred_at.utcoffset()
        if not MIN_EVENT_YEAR <= self.occurred_at.year < 9999:
            raise _bad_time(
                f"event time must be after {MIN_EVENT_YEAR}", ProblemCode.EVENT_TIME_OUT_OF_RANGE
            )
        if offset is None:
            raise InvalidInput(
                "event time must be timezone-aware",
                code=ProblemCode.NAIVE_DATETIME,
                errors=[
                    FieldError("occurred_at", "timezone-aware time required", "naive_datetime")
                ],
            )
        if offset:
            object.__setattr__(self, "occurred_at", self.occurred_at.astimezone(UTC))
        check_text("event_id", self.event_id, EVENT_ID_MAX_LEN, required=True)
        check_text("location", self.location, LOCATION_MAX_LEN, required=False)
        check_text("description", self.description, DESCRIPTION_MAX_LEN, required=False)

    @property
    def status(self) -> TrackingStatus:
        return status_for_code(self.code)


def event_id_for(code: str, occurred_at: datetime, location: str) -> str:
    """A deterministic dedupe key for carriers that send no event id of their own.

    Same scan, same key, however many times the carrier resends it.
    """
    key = f"{code}@{occurred_at.astimezone(UTC).isoformat()}@{location.strip()[:100]}"
    return key[:EVENT_ID_MAX_LEN]


@dataclass(frozen=True, slots=True)
class StatusTransition:
    """The derived status changed because ``event`` arrived: what callers act on."""

    previous: TrackingStatus
    current: TrackingStatus
    event: TrackingEvent

    @property
    def needs_attention(self) -> bool:
        """Notify buyer and seller: the parcel hit a problem (Exception, AttemptFail)."""
        return self.current in ATTENTION_STATUSES

    @property
    def starts_auto_confirm(self) -> bool:
        """Delivered: the service layer starts the buyer's auto-confirm timer."""
        return self.current is TrackingStatus.DELIVERED


class Timeline:
    """The ordered, de-duplicated history of one shipment and the status it implies.

    ``registered_at`` is when the tracking number was attached to the shipment; it is the start
    of the expiry clock while no event has arrived (a parcel that is never scanned expires).
    """

    def __init__(self, registered_at: datetime, events: Iterable[TrackingEvent] = ()) -> None:
        if registered_at.utcoffset() is None:
            raise ValueError("registered_at must be timezone-aware")
        self._registered_at = registered_at.astimezone(UTC)
        self._events: list[TrackingEvent] = []
        self._ids: set[str] = set()
        for event in events:
            self.add(event)

    @property
    def events(self) -> tuple[TrackingEvent, ...]:
        """Events by time; same-instant events by ``event_id`` so the order is reproducible."""
        return tuple(self._events)

    @property
    def registered_at(self) -> datetime:
        return self._registered_at

    def add(self, event: TrackingEvent) -> bool:
        """Insert ``event``; ``False`` if its ``event_id`` is already known (first one wins)."""
        if event.event_id in self._ids:
            return False
        if len(self._events) >= MAX_EVENTS:
            raise LimitExceeded(
                f"a shipment holds at most {MAX_EVENTS} tracking events",
                code=ProblemCode.TOO_MANY_TRACKING_EVENTS,
            )
        bisect.insort(self._events, event, key=_order_key)
        self._ids.add(event.event_id)
        return True

    def record(self, event: TrackingEvent) -> StatusTransition | None:
        """Like :meth:`add`, but report the status change (if any) the event caused."""
        before = self.status
        if not self.add(event):
            return None
        after = self.status
        return None if after is before else StatusTransition(before, after, event)

    @property
    def status(self) -> TrackingStatus:
        """Delivered if any delivery scan exists; else the latest event's status; else Pending."""
        if self.delivered_at is not None:
            return TrackingStatus.DELIVERED
        if not self._events:
            return TrackingStatus.PENDING
        return self._events[-1].status

    @property
    def delivered_at(self) -> datetime | None:
        """Time of the first delivery scan (repeat scans do not move it)."""
        for event in self._events:
            if event.status is TrackingStatus.DELIVERED:
                return event.occurred_at
        return None

    @property
    def last_event_at(self) -> datetime | None:
        return self._events[-1].occurred_at if self._events else None

    def expires_at(self, expiry_days: int = EXPIRY_DAYS) -> datetime | None:
        """When the parcel expires if nothing else happens; ``None`` once delivered.

        The durable timer for tracking expiry is scheduled at this instant (and rescheduled
        when a newer event arrives).
        """
        if expiry_days <= 0:
            raise ValueError("expiry_days must be positive")
        if self.delivered_at is not None:
            return None
        last = self.last_event_at
        start = self._registered_at if last is None else max(last, self._registered_at)
        return start + timedelta(days=expiry_days)

    def is_expired(self, now: datetime, expiry_days: int = EXPIRY_DAYS) -> bool:
        """No event for ``expiry_days`` (by event time) and not delivered."""
        deadline = self.expires_at(expiry_days)
        return deadline is not None and now >= deadline

    def status_at(self, now: datetime, expiry_days: int = EXPIRY_DAYS) -> TrackingStatus:
        """:attr:`status`, or Expired when :meth:`is_expired` says so."""
        if self.is_expired(now, expiry_days):
            return TrackingStatus.EXPIRED
        return self.status


def _order_key(event: TrackingEvent) -> tuple[datetime, str]:
    return (event.occurred_at, event.event_id)


def check_event_time(event: TrackingEvent, shipped_at: datetime, now: datetime) -> None:
    """Refuse scans from the future (beyond clock skew) or from before this parcel existed."""
    if event.occurred_at > now + EVENT_CLOCK_SKEW:
        raise _bad_time(
            f"event {event.event_id!r} is dated after the current time", ProblemCode.EVENT_IN_FUTURE
        )
    if event.occurred_at < shipped_at - EVENT_BEFORE_SHIPMENT_MAX:
        raise _bad_time(
            f"event {event.event_id!r} is dated long before the shipment: an earlier parcel's",
            ProblemCode.EVENT_BEFORE_SHIPMENT,
        )


def _bad_time(detail: str, code: ProblemCode) -> InvalidInput:
    return InvalidInput(detail, code=code, errors=[FieldError("occurred_at", detail, code)])
