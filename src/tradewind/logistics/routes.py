"""Where and when a parcel is scanned: the postal-network simulator's scripts, on each route.

A scenario (the happy path, a customs hold, a failed delivery...) is written once as *roles*:
where on the route each UPU scan happens (the origin office, the outward office of exchange, a
transit office, the inward office, the sorting centre, the delivery office). :func:`route_script`
places it on one parcel's route and times it by the parcel's service:

- the origin country's own offices post and export it, the destination's import and deliver it
  (a parcel from London is never scanned in Shenzhen);
- a transit office of exchange only between regions that are not neighbours;
- a parcel that stays in one country skips exports, customs and offices of exchange;
- the written hours are EMS across a border (3 to 8 days); a slower service stretches the
  transport part of the script to its own window (surface mail takes weeks), while time at the
  far end (14 days at a collection point) stays as written.

Pure: no I/O. The simulator (``tradewind.fulfilment.postal_sim``) stores each parcel's route.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, NamedTuple

from tradewind.logistics.shipping import NEIGHBOURS, REGIONS, ShippingService, transit_days


class ScriptStep(NamedTuple):
    """One scripted scan for the postal-network simulator: code, hours after posting, place."""

    code: str
    offset_hours: int
    location: str


_ORIGIN, _OUTWARD, _TRANSIT, _INWARD = "origin", "outward", "transit", "inward"
_SORTING, _DELIVERY, _PICKUP = "sorting", "delivery", "pickup"

_EXPORT: Final = (
    ScriptStep("EMA", 0, _ORIGIN),
    ScriptStep("EMB", 10, _OUTWARD),
    ScriptStep("EXA", 14, _OUTWARD),
    ScriptStep("EXC", 20, _OUTWARD),
    ScriptStep("EMC", 30, _OUTWARD),
    ScriptStep("EMJ", 50, _TRANSIT),
    ScriptStep("EMK", 56, _TRANSIT),
    ScriptStep("EMD", 80, _INWARD),
)
_TO_DELIVERY_OFFICE: Final = (
    ScriptStep("EMF", 110, _INWARD),
    ScriptStep("EDD", 116, _SORTING),
    ScriptStep("EDE", 120, _SORTING),
    ScriptStep("EMG", 130, _DELIVERY),
    ScriptStep("EDG", 150, _DELIVERY),
)
_CLEARED: Final = (ScriptStep("EDB", 84, _INWARD), ScriptStep("EDC", 100, _INWARD))

ROLE_SCRIPTS: Final[Mapping[str, tuple[ScriptStep, ...]]] = MappingProxyType(
    {
        # Every leg; Delivered after 156 h on the reference route.
        "happy_path": (
            *_EXPORT,
            *_CLEARED,
            *_TO_DELIVERY_OFFICE,
            ScriptStep("EMI", 156, _DELIVERY),
        ),
        # Customs holds the item (Exception) for four days, then releases it (InTransit again).
        "held_by_customs": (
            *_EXPORT,
            ScriptStep("EDB", 84, _INWARD),
            ScriptStep("EME", 90, _INWARD),
            ScriptStep("EDC", 186, _INWARD),
            *(step._replace(offset_hours=step.offset_hours + 96) for step in _TO_DELIVERY_OFFICE),
            ScriptStep("EMI", 252, _DELIVERY),
        ),
        # Nobody home (AttemptFail), parked at a collection point, collected two days later.
        "failed_delivery_then_pickup": (
            *_EXPORT,
            *_CLEARED,
            *_TO_DELIVERY_OFFICE,
            ScriptStep("EMH", 156, _DELIVERY),
            ScriptStep("EDH", 160, _PICKUP),
            ScriptStep("EMI", 208, _PICKUP),
        ),
        # Never collected: after 14 days at the collection point the item is terminated
        # (returned to sender); ends Exception.
        "returned_to_sender": (
            *_EXPORT,
            *_CLEARED,
            *_TO_DELIVERY_OFFICE,
            ScriptStep("EMH", 156, _DELIVERY),
            ScriptStep("EDH", 160, _PICKUP),
            ScriptStep("EDX", 160 + 14 * 24, _PICKUP),
        ),
        # Scanned out of the origin country, then nothing: Expired 30 days after the last scan.
        "lost_in_transit": _EXPORT[:5],
        # Never scanned at all: Expired 30 days after the tracking number was registered.
        "silent": (),
    }
)

# Scans only a border makes; a domestic parcel has none of them.
CROSS_BORDER_CODES: Final = frozenset(
    {"EMB", "EXA", "EXB", "EXC", "EXD", "EMC", "EMJ", "EMK", "EMD", "EDA", "EDB", "EME", "EDC"}
    | {"EMF"}
)
_TRANSIT_CODES: Final = frozenset({"EMJ", "EMK"})
_ARRIVAL: Final = frozenset({"EMG"})  # arrival at the delivery office
_SCRIPT_DAYS: Final = 3 + 8  # the written hours are EMS across a border: 3 to 8 days
_PIVOT_H: Final = 130  # arrival at the delivery office: transport ends, the far end begins
# A domestic parcel: posted, sorted, at the delivery office after 18 h (EMS, 1 to 2 days);
# what follows keeps its distance from the delivery office's arrival.
_DOMESTIC_SCRIPT_DAYS: Final = 1 + 2
_DOMESTIC_PIVOT_H: Final = 18
_DOMESTIC_HOURS: Final[Mapping[str, int]] = MappingProxyType(
    {"EMA": 0, "EDD": 6, "EDE": 10, "EMG": _DOMESTIC_PIVOT_H}
)


class PostOffices(NamedTuple):
    """A national post on a demo route: the city items are posted and delivered in, its
    international gateway (the office of exchange) and its main sorting centre."""

    city: str
    gateway: str
    sorting: str


POST_OFFICES: Final[Mapping[str, PostOffices]] = MappingProxyType(
    {
        "CN": PostOffices("Shenzhen", "Guangzhou", "Guangzhou"),
        "IL": PostOffices("Tel Aviv-Yafo", "Ben Gurion Airport", "Modiin"),
        "US": PostOffices("New York", "New York JFK", "Queens"),
        "GB": PostOffices("London", "London Heathrow", "Mount Pleasant"),
        "DE": PostOffices("Berlin", "Frankfurt", "Berlin-Schoenefeld"),
        "FR": PostOffices("Paris", "Roissy-Charles de Gaulle", "Wissous"),
        "JP": PostOffices("Tokyo", "Tokyo International", "Shin-Tokyo"),
        "KW": PostOffices("Kuwait City", "Kuwait Airport", "Shuwaikh"),
        "AE": PostOffices("Dubai", "Dubai Airport", "Dubai"),
        "HK": PostOffices("Hong Kong", "Hong Kong Air Mail Centre", "Kowloon"),
    }
)
# Transit offices of exchange between distant regions: the first whose region is neither end's.
TRANSIT_HUBS: Final = (
    ("europe", "Frankfurt", "DE"),
    ("middle_east", "Dubai", "AE"),
    ("east_asia", "Hong Kong", "HK"),
)


def _offices(country: str) -> PostOffices:
    return POST_OFFICES.get(country, PostOffices("Central", "International", "National"))


def _places(origin: str, destination: str) -> dict[str, str]:
    start, end = _offices(origin), _offices(destination)
    region_ends = (REGIONS.get(origin), REGIONS.get(destination))
    hub = next((h for h in TRANSIT_HUBS if h[0] not in region_ends), TRANSIT_HUBS[0])
    return {
        _ORIGIN: f"{start.city}, {origin}",
        _OUTWARD: f"{start.gateway} outward office of exchange, {origin}",
        _TRANSIT: f"{hub[1]} transit office of exchange, {hub[2]}",
        _INWARD: f"{end.gateway} inward office of exchange, {destination}",
        _SORTING: f"{end.sorting} sorting centre, {destination}",
        _DELIVERY: f"{end.city} delivery office, {destination}",
        _PICKUP: f"{end.city} collection point, {destination}",
    }


def _needs_transit(origin: str, destination: str) -> bool:
    ends = (REGIONS.get(origin), REGIONS.get(destination))
    return ends[0] != ends[1] and frozenset(ends) not in NEIGHBOURS


def _timed(hours: int, factor: float, pivot: int) -> int:
    return round(min(hours, pivot) * factor) + max(0, hours - pivot)


def route_script(
    scenario: str, origin: str, destination: str, service: ShippingService
) -> tuple[ScriptStep, ...]:
    """The scans of one parcel: ``scenario`` placed on its route and timed by its service."""
    steps = ROLE_SCRIPTS[scenario]
    low, high = transit_days(service, origin, destination)
    places = _places(origin, destination)
    if origin == destination:
        places[_ORIGIN] = f"{_offices(origin).city} mail centre, {origin}"
        # What follows the delivery office's arrival keeps its distance from that arrival.
        arrival = next((s.offset_hours for s in steps if s.code in _ARRIVAL), _PIVOT_H)
        steps = tuple(
            s._replace(
                offset_hours=_DOMESTIC_HOURS.get(
                    s.code, _DOMESTIC_PIVOT_H + s.offset_hours - arrival
                )
            )
            for s in steps
            if s.code not in CROSS_BORDER_CODES
        )
        factor, pivot = (low + high) / _DOMESTIC_SCRIPT_DAYS, _DOMESTIC_PIVOT_H
    else:
        if not _needs_transit(origin, destination):
            steps = tuple(s for s in steps if s.code not in _TRANSIT_CODES)
        factor, pivot = (low + high) / _SCRIPT_DAYS, _PIVOT_H
    return tuple(
        ScriptStep(s.code, _timed(s.offset_hours, factor, pivot), places[s.location]) for s in steps
    )


# The written scripts on their reference route (EMS, CN -> IL), as the simulator plays them.
REFERENCE_ROUTE: Final = ("CN", "IL", "ems")
SCENARIOS: Final[Mapping[str, tuple[ScriptStep, ...]]] = MappingProxyType(
    {
        name: tuple(s._replace(location=_places(*REFERENCE_ROUTE[:2])[s.location]) for s in steps)
        for name, steps in ROLE_SCRIPTS.items()
    }
)
