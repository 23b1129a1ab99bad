"""The simulator's scans follow the parcel's route and service: the origin country's own
offices, a transit office only between distant regions, no customs inside one country, and
surface mail slower than EMS, each delivered inside its service's window."""

from __future__ import annotations

import pytest

from tradewind.logistics.routes import CROSS_BORDER_CODES, ROLE_SCRIPTS, SCENARIOS, route_script
from tradewind.logistics.shipping import EMS, SERVICES, transit_days


def test_the_reference_route_plays_the_written_scripts() -> None:
    for name in ROLE_SCRIPTS:
        assert route_script(name, "CN", "IL", EMS) == SCENARIOS[name]
    assert SCENARIOS["happy_path"][0].location == "Shenzhen, CN"
    assert SCENARIOS["happy_path"][-1].offset_hours == 156


def test_a_london_parcel_is_posted_and_exported_in_london_not_shenzhen() -> None:
    steps = route_script("happy_path", "GB", "IL", EMS)
    places = [s.location for s in steps]
    assert places[0] == "London, GB"
    assert "London Heathrow outward office of exchange, GB" in places
    assert not any("CN" in p or "Shenzhen" in p for p in places)
    assert "EMJ" not in [s.code for s in steps]  # Europe and the Middle East are neighbours
    assert places[-1] == "Tel Aviv-Yafo delivery office, IL"


@pytest.mark.parametrize(("origin", "destination"), [("IL", "IL"), ("US", "US"), ("GB", "GB")])
def test_a_domestic_parcel_crosses_no_border(origin: str, destination: str) -> None:
    for service in SERVICES.values():
        steps = route_script("held_by_customs", origin, destination, service)
        assert not {s.code for s in steps} & CROSS_BORDER_CODES
        assert all(s.location.endswith(f", {origin}") for s in steps)
        low, high = transit_days(service, origin, destination)
        assert low * 24 <= steps[-1].offset_hours <= high * 24, service.code


@pytest.mark.parametrize(("origin", "destination"), [("CN", "IL"), ("US", "IL"), ("FR", "DE")])
def test_each_service_delivers_inside_its_window_and_surface_is_slower(
    origin: str, destination: str
) -> None:
    delivered = {}
    for code, service in SERVICES.items():
        steps = route_script("happy_path", origin, destination, service)
        low, high = transit_days(service, origin, destination)
        delivered[code] = steps[-1].offset_hours
        assert low * 24 <= delivered[code] <= high * 24, code
        offsets = [s.offset_hours for s in steps]
        assert offsets == sorted(offsets)
    assert delivered["ems"] < delivered["ecommerce_parcel"] < delivered["registered_small_packet"]
