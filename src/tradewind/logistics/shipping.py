"""Postal services, zones, rate cards and delivery windows, all as data.

Prices and transit times here are illustrative demo tariffs, not any post's real price list: an
operator loads real rate cards. What is fixed is the shape: a rate card prices a parcel by
*weight band* (inclusive upper bound in grams) and *zone*, in the card's own currency.

Zones are derived from the origin and destination countries' regions (see :data:`REGIONS`):

- zone 1: same region (e.g. CN -> JP);
- zone 2: neighbouring regions (see :data:`NEIGHBOURS`, e.g. Europe <-> Middle East);
- zone 3: everything else (e.g. CN -> US).

The international services refuse domestic mail (:func:`quote_shipping`); a parcel that stays
in one country is handed to the post's domestic network, with the card's domestic price and the
service's domestic transit times (:func:`quote_parcel`, :func:`transit_days`), and no customs.
Countries not in :data:`REGIONS` are not served.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import IntEnum, StrEnum
from itertools import pairwise
from types import MappingProxyType
from typing import Final

from tradewind.kernel.errors import FieldError, InvalidInput
from tradewind.kernel.i18n import N_
from tradewind.kernel.problems import ProblemCode
from tradewind.money.currency import validate_country, validate_currency

POSTAL_MAX_WEIGHT_G: Final = 30_000  # UPU ceiling for postal parcels and EMS
SMALL_PACKET_MAX_WEIGHT_G: Final = 2_000  # UPU letter-post small packet limit
MAX_TRANSIT_DAYS: Final = 120


class ServiceKind(StrEnum):
    """Express or surface: it picks the buyer's auto-confirm period (10 vs 30 days at Taobao)."""

    EXPRESS = "express"
    SURFACE = "surface"


class DutyTerms(StrEnum):
    """Who pays import duty and VAT.

    DDP (delivered duty paid): seller/marketplace pays; the buyer is charged at checkout.
    DAP (delivered at place): the buyer pays the carrier or customs on delivery.
    """

    DDP = "DDP"
    DAP = "DAP"


class Zone(IntEnum):
    SAME_REGION = 1
    NEIGHBOUR_REGION = 2
    REST_OF_WORLD = 3


@dataclass(frozen=True, slots=True)
class ShippingService:
    """A postal product. ``s10_service`` is the S10 prefix the origin post prints for it."""

    code: str
    name: str
    kind: ServiceKind
    transit_days_min: int
    transit_days_max: int
    duty_terms: DutyTerms  # the default; a seller may choose otherwise per listing
    max_weight_g: int
    s10_service: str
    # Within one country: no office of exchange, no customs, one post's network.
    domestic_days_min: int = 1
    domestic_days_max: int = 5

    def __post_init__(self) -> None:
        if not 0 < self.transit_days_min <= self.transit_days_max <= MAX_TRANSIT_DAYS:
            raise _invalid_data(f"{self.code}: transit days must satisfy 0 < min <= max <= 120")
        if not 0 < self.domestic_days_min <= self.domestic_days_max <= self.transit_days_max:
            raise _invalid_data(f"{self.code}: domestic days must satisfy 0 < min <= max")
        if not 0 < self.max_weight_g <= POSTAL_MAX_WEIGHT_G:
            raise _invalid_data(f"{self.code}: max weight must be 1 to {POSTAL_MAX_WEIGHT_G} g")


@dataclass(frozen=True, slots=True)
class RateBand:
    """Price per zone for parcels up to and including ``up_to_g`` grams."""

    up_to_g: int
    price_minor_by_zone: Mapping[Zone, int]
    domestic_minor: int | None = None  # None: a domestic parcel pays the same-region price


@dataclass(frozen=True, slots=True)
class RateCard:
    """One service's prices in one currency; bands sorted by weight, strictly increasing."""

    service_code: str
    currency: str
    bands: tuple[RateBand, ...]
    excluded_destinations: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        validate_currency(self.currency)
        if not self.bands:
            raise _invalid_data(f"rate card {self.service_code} has no weight bands")
        limits = [band.up_to_g for band in self.bands]
        if limits[0] <= 0 or any(a >= b for a, b in pairwise(limits)):
            raise _invalid_data(f"rate card {self.service_code}: bands must strictly increase")
        prices = [p for band in self.bands for p in band.price_minor_by_zone.values()]
        prices += [b.domestic_minor for b in self.bands if b.domestic_minor is not None]
        if any(isinstance(p, bool) or p < 0 for p in prices):
            raise _invalid_data(f"rate card {self.service_code}: prices must be >= 0")


def zone_for(origin: str, destination: str) -> Zone:
    """The pricing zone between two countries (see the module docstring)."""
    validate_country(origin)
    validate_country(destination)
    if origin == destination:
        raise _no_shipping(destination, "international postal services do not carry domestic mail")
    origin_region = REGIONS.get(origin)
    destination_region = REGIONS.get(destination)
    if origin_region is None:
        raise _no_shipping(destination, f"no postal services from {origin}")
    if destination_region is None:
        raise _no_shipping(destination, f"no postal services to {destination}")
    if origin_region == destination_region:
        return Zone.SAME_REGION
    if frozenset({origin_region, destination_region}) in NEIGHBOURS:
        return Zone.NEIGHBOUR_REGION
    return Zone.REST_OF_WORLD


def quote_shipping(
    service: ShippingService, rate_card: RateCard, weight_g: int, origin: str, destination: str
) -> int:
    """Price in minor units of ``rate_card.currency``: the lightest band that holds the parcel."""
    if rate_card.service_code != service.code:
        raise ValueError(f"rate card is for {rate_card.service_code}, not {service.code}")
    _check_weight(service, weight_g)
    if destination in rate_card.excluded_destinations:
        raise _no_shipping(destination, f"{service.name} does not ship to {destination}")
    zone = zone_for(origin, destination)
    for band in rate_card.bands:
        if weight_g <= band.up_to_g:
            price_minor = band.price_minor_by_zone.get(zone)
            if price_minor is None:
                raise _no_shipping(destination, f"{service.name} has no price for zone {zone}")
            return price_minor
    raise _too_heavy(f"{weight_g} g is above the heaviest band of this rate card")


def quote_parcel(
    service: ShippingService, rate_card: RateCard, weight_g: int, origin: str, destination: str
) -> int:
    """Like :func:`quote_shipping`, but a parcel that stays in one country is priced as well.

    International services refuse domestic mail, yet a marketplace seller also ships to buyers
    in its own country; the post hands those over as domestic parcels, at the band's domestic
    price (or, where a card has none, its same-region price).
    """
    if origin != destination:
        return quote_shipping(service, rate_card, weight_g, origin, destination)
    _check_weight(service, weight_g)
    validate_country(origin)
    for band in rate_card.bands:
        if weight_g <= band.up_to_g:
            if band.domestic_minor is not None:
                return band.domestic_minor
            return band.price_minor_by_zone[Zone.SAME_REGION]
    raise _too_heavy(f"{weight_g} g is above the heaviest band of this rate card")


def transit_days(service: ShippingService, origin: str, destination: str) -> tuple[int, int]:
    """Fewest and most days in the post: the domestic times when the parcel stays in one
    country, else the international ones."""
    if origin == destination:
        return service.domestic_days_min, service.domestic_days_max
    return service.transit_days_min, service.transit_days_max


def estimate_delivery_window(
    ship_by_date: date, service: ShippingService, origin: str, destination: str
) -> tuple[date, date]:
    """Earliest and latest delivery dates if handed to the post on ``ship_by_date``.

    Calendar days: postal transit times are published that way and weekends barely matter
    against a 10-to-30-day spread.
    """
    low, high = transit_days(service, origin, destination)
    return ship_by_date + timedelta(days=low), ship_by_date + timedelta(days=high)


def _check_weight(service: ShippingService, weight_g: int) -> None:
    if isinstance(weight_g, bool) or weight_g <= 0:
        raise InvalidInput(
            "weight must be a positive number of grams",
            code=ProblemCode.INVALID_WEIGHT,
            errors=[FieldError("weight_g", "must be > 0", "invalid_weight")],
        )
    if weight_g > service.max_weight_g:
        raise _too_heavy(f"{service.name} carries at most {service.max_weight_g} g")


def _invalid_data(detail: str) -> InvalidInput:
    """Operators load services and rate cards, so malformed ones are their input errors."""
    return InvalidInput(detail, code=ProblemCode.INVALID_SHIPPING_DATA)


def _too_heavy(detail: str) -> InvalidInput:
    return InvalidInput(
        detail,
        code=ProblemCode.PARCEL_TOO_HEAVY,
        errors=[FieldError("weight_g", detail, "parcel_too_heavy")],
    )


def _no_shipping(destination: str, detail: str) -> InvalidInput:
    return InvalidInput(
        detail,
        code=ProblemCode.NO_SHIPPING_TO_DESTINATION,
        errors=[FieldError("destination", detail, "no_shipping_to_destination")],
    )


# --- data ----------------------------------------------------------------------------------------

_REGION_MEMBERS: Final[Mapping[str, str]] = {
    "east_asia": "CN HK MO TW JP KR MN",
    "southeast_asia": "SG MY TH VN ID PH KH LA MM BN",
    "south_asia": "IN PK BD LK NP",
    "middle_east": "IL AE SA KW QA BH OM JO TR EG",
    "europe": (
        "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE "
        "GB NO CH IS UA RS"
    ),
    "north_america": "US CA MX",
    "south_america": "BR AR CL CO PE UY",
    "oceania": "AU NZ",
    "africa": "ZA NG KE MA GH",
}
REGIONS: Final[Mapping[str, str]] = MappingProxyType(
    {country: region for region, members in _REGION_MEMBERS.items() for country in members.split()}
)
NEIGHBOURS: Final = frozenset(
    frozenset(pair)
    for pair in (
        ("east_asia", "southeast_asia"),
        ("southeast_asia", "south_asia"),
        ("southeast_asia", "oceania"),
        ("south_asia", "middle_east"),
        ("middle_east", "europe"),
        ("middle_east", "africa"),
        ("europe", "africa"),
        ("north_america", "south_america"),
    )
)

REGISTERED_SMALL_PACKET: Final = ShippingService(
    code="registered_small_packet",
    name=N_("Registered small packet"),
    kind=ServiceKind.SURFACE,
    transit_days_min=10,
    transit_days_max=30,
    duty_terms=DutyTerms.DAP,
    max_weight_g=SMALL_PACKET_MAX_WEIGHT_G,
    s10_service="RB",
    domestic_days_min=3,
    domestic_days_max=7,
)
ECOMMERCE_PARCEL: Final = ShippingService(
    code="ecommerce_parcel",
    name=N_("E-commerce parcel"),
    kind=ServiceKind.SURFACE,
    transit_days_min=7,
    transit_days_max=20,
    duty_terms=DutyTerms.DDP,
    max_weight_g=POSTAL_MAX_WEIGHT_G,
    s10_service="HA",
    domestic_days_min=2,
    domestic_days_max=5,
)
EMS: Final = ShippingService(
    code="ems",
    name="EMS",
    kind=ServiceKind.EXPRESS,
    transit_days_min=3,
    transit_days_max=8,
    duty_terms=DutyTerms.DAP,
    max_weight_g=POSTAL_MAX_WEIGHT_G,
    s10_service="EE",
    domestic_days_min=1,
    domestic_days_max=2,
)
SERVICES: Final[Mapping[str, ShippingService]] = MappingProxyType(
    {s.code: s for s in (REGISTERED_SMALL_PACKET, ECOMMERCE_PARCEL, EMS)}
)


def _band(up_to_g: int, domestic: int, zone1: int, zone2: int, zone3: int) -> RateBand:
    prices = {Zone.SAME_REGION: zone1, Zone.NEIGHBOUR_REGION: zone2, Zone.REST_OF_WORLD: zone3}
    return RateBand(up_to_g, MappingProxyType(prices), domestic)


# Demo tariffs in USD cents, roughly the shape of origin-post e-commerce prices: per weight
# band the domestic price, then zones 1 to 3.
DEMO_RATE_CARDS: Final[Mapping[str, RateCard]] = MappingProxyType(
    {
        "registered_small_packet": RateCard(
            "registered_small_packet",
            "USD",
            (
                _band(100, 200, 350, 450, 550),
                _band(250, 250, 450, 600, 750),
                _band(500, 400, 650, 900, 1150),
                _band(1_000, 600, 1000, 1450, 1900),
                _band(2_000, 1000, 1700, 2500, 3300),
            ),
        ),
        "ecommerce_parcel": RateCard(
            "ecommerce_parcel",
            "USD",
            (
                _band(500, 500, 800, 1100, 1400),
                _band(1_000, 650, 1100, 1600, 2100),
                _band(2_000, 1000, 1700, 2500, 3400),
                _band(5_000, 1900, 3200, 4800, 6500),
                _band(10_000, 3300, 5500, 8500, 11500),
                _band(30_000, 7200, 12000, 19000, 26000),
            ),
        ),
        "ems": RateCard(
            "ems",
            "USD",
            (
                _band(500, 1200, 2000, 2600, 3200),
                _band(1_000, 1550, 2600, 3400, 4300),
                _band(2_000, 2300, 3800, 5000, 6500),
                _band(5_000, 4200, 7000, 9500, 12500),
                _band(10_000, 7200, 12000, 16500, 22000),
                _band(30_000, 18000, 30000, 42000, 56000),
            ),
        ),
    }
)
