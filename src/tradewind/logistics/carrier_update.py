"""A carrier's tracking update (webhook body or poll answer), checked field by field.

Carriers are outside parties: every field is type-checked before anything uses it, so an object
where a string belongs, a missing field, a year-1 time or a list of a million events is a clear
``InvalidInput`` (HTTP 422) and never reaches storage. Unknown extra fields are ignored: carriers
add fields over time and that must not break tracking.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from tradewind.kernel.errors import FieldError, InvalidInput
from tradewind.kernel.problems import ProblemCode
from tradewind.logistics.s10 import parse_s10
from tradewind.logistics.text import check_text
from tradewind.logistics.tracking import TrackingEvent

MAX_EVENTS_PER_UPDATE: Final = 100  # one parcel's whole history fits several times over
REFERENCE_MAX_LEN: Final = 64  # our shipment id, echoed back
CODE_MAX_LEN: Final = 8
TIME_MAX_LEN: Final = 40  # "2026-03-02T09:00:00.123456+05:30" is 32
BAD: Final = ProblemCode.BAD_EVENT


@dataclass(frozen=True, slots=True)
class CarrierUpdate:
    tracking_number: str  # canonical S10
    reference: str | None  # our shipment id when the carrier echoes it
    events: tuple[TrackingEvent, ...]


def parse_update(payload: object) -> CarrierUpdate:
    """Validate a decoded JSON body: ``tracking_number``, optional ``reference``, ``events``."""
    if not isinstance(payload, dict):
        raise _bad("body", "the update must be a JSON object")
    number = payload.get("tracking_number")
    if not isinstance(number, str):
        raise _bad("tracking_number", "tracking_number must be a string")
    canonical = str(parse_s10(number))
    reference = payload.get("reference")
    if reference is not None:
        if not isinstance(reference, str):
            raise _bad("reference", "reference must be a string")
        check_text("reference", reference, REFERENCE_MAX_LEN, required=True)
    raw_events = payload.get("events")
    if not isinstance(raw_events, list):
        raise _bad("events", "events must be a list")
    if len(raw_events) > MAX_EVENTS_PER_UPDATE:
        raise InvalidInput(
            f"at most {MAX_EVENTS_PER_UPDATE} events per update",
            code=ProblemCode.TOO_MANY_EVENTS,
            errors=[FieldError("events", "too many events", "too_many_events")],
        )
    events = tuple(parse_event(raw, f"events[{i}]") for i, raw in enumerate(raw_events))
    return CarrierUpdate(canonical, reference, events)


def parse_event(raw: object, where: str = "event") -> TrackingEvent:
    """One scan: ``event_id``, ``code``, ``occurred_at`` (ISO 8601 with offset), optional
    ``location`` and ``description``; all strings."""
    if not isinstance(raw, dict):
        raise _bad(where, "an event must be a JSON object")
    code = _string(raw, "code", where, CODE_MAX_LEN, required=True)
    occurred = _string(raw, "occurred_at", where, TIME_MAX_LEN, required=True)
    try:
        occurred_at = datetime.fromisoformat(occurred)
    except ValueError as exc:
        raise _bad(f"{where}.occurred_at", "occurred_at must be an ISO 8601 time") from exc
    location = _string(raw, "location", where, None, required=False)
    description = _string(raw, "description", where, None, required=False)
    event_id = _string(raw, "event_id", where, None, required=True)
    try:
        return TrackingEvent(code, occurred_at, location, description, event_id)
    except InvalidInput as exc:  # name the event the field belongs to
        errors = [FieldError(f"{where}.{e.field}", e.message, e.code) for e in exc.errors]
        raise InvalidInput(exc.detail, code=exc.code, errors=errors) from exc


def _string(
    raw: Mapping[str, Any], name: str, where: str, max_len: int | None, *, required: bool
) -> str:
    """A string field (length and control characters are checked by the event itself, except
    for the fields parsed here first, which get ``max_len``)."""
    value = raw.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise _bad(f"{where}.{name}", f"{name} must be a string")
    if max_len is not None:
        check_text(f"{where}.{name}", value, max_len, required=True)
    return value


def _bad(field: str, detail: str) -> InvalidInput:
    return InvalidInput(detail, code=BAD, errors=[FieldError(field, detail, BAD)])
