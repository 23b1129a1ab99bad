"""Postal services, zones, rate cards and delivery windows."""

from datetime import date
from types import MappingProxyType

import pytest

from tradewind.kernel.errors import InvalidInput
from tradewind.logistics.s10 import issue_s10
from tradewind.logistics.shipping import (
    DEMO_RATE_CARDS,
    ECOMMERCE_PARCEL,
    EMS,
    REGIONS,
    REGISTERED_SMALL_PACKET,
    SERVICES,
    DutyTerms,
    RateBand,
    RateCard,
    ServiceKind,
    ShippingService,
    Zone,
    estimate_delivery_window,
    quote_shipping,
    zone_for,
)

SMALL = DEMO_RATE_CARDS["registered_small_packet"]
PARCEL = DEMO_RATE_CARDS["ecommerce_parcel"]


@pytest.mark.parametrize(
    ("origin", "destination", "zone"),
    [
        ("CN", "JP", Zone.SAME_REGION),
        ("DE", "FR", Zone.SAME_REGION),
        ("CN", "SG", Zone.NEIGHBOUR_REGION),
        ("DE", "IL", Zone.NEIGHBOUR_REGION),
        ("IL", "GB", Zone.NEIGHBOUR_REGION),
        ("CN", "IL", Zone.REST_OF_WORLD),
        ("CN", "US", Zone.REST_OF_WORLD),
        ("CN", "DE", Zone.REST_OF_WORLD),
    ],
)
def test_zones(origin: str, destination: str, zone: Zone) -> None:
    assert zone_for(origin, destination) is zone


def test_zones_are_symmetric() -> None:
    countries = sorted(REGIONS)
    for a in countries:
        for b in countries:
            if a != b:
                assert zone_for(a, b) is zone_for(b, a)


@pytest.mark.parametrize(("origin", "destination"), [("IL", "IL"), ("CN", "AQ"), ("AQ", "CN")])
def test_domestic_and_unserved_routes_are_refused(origin: str, destination: str) -> None:
    with pytest.raises(InvalidInput) as info:
        zone_for(origin, destination)
    assert info.value.code == "no_shipping_to_destination"
    assert info.value.errors[0].field == "destination"


def test_unknown_country_codes_are_refused() -> None:
    with pytest.raises(InvalidInput) as info:
        zone_for("CN", "XX")
    assert info.value.code == "invalid_input"


@pytest.mark.parametrize(
    ("weight_g", "price_minor"),
    [(1, 550), (100, 550), (101, 750), (250, 750), (251, 1150), (1_000, 1900), (2_000, 3300)],
)
def test_small_packet_price_by_band_inclusive_upper_bound(weight_g: int, price_minor: int) -> None:
    assert quote_shipping(REGISTERED_SMALL_PACKET, SMALL, weight_g, "CN", "IL") == price_minor


def test_price_depends_on_zone() -> None:
    prices = [
        quote_shipping(ECOMMERCE_PARCEL, PARCEL, 800, "CN", dest) for dest in ("JP", "SG", "IL")
    ]
    assert prices == [1100, 1600, 2100]


def test_small_packet_is_limited_to_2_kg() -> None:
    with pytest.raises(InvalidInput) as info:
        quote_shipping(REGISTERED_SMALL_PACKET, SMALL, 2_001, "CN", "IL")
    assert info.value.code == "parcel_too_heavy"
    assert info.value.errors[0].field == "weight_g"


def test_postal_parcels_are_limited_to_30_kg() -> None:
    assert quote_shipping(EMS, DEMO_RATE_CARDS["ems"], 30_000, "CN", "IL") == 56000
    with pytest.raises(InvalidInput) as info:
        quote_shipping(EMS, DEMO_RATE_CARDS["ems"], 30_001, "CN", "IL")
    assert info.value.code == "parcel_too_heavy"


def test_weight_above_the_cards_last_band_is_too_heavy() -> None:
    card = RateCard("ems", "USD", (RateBand(1_000, {Zone.REST_OF_WORLD: 100}),))
    with pytest.raises(InvalidInput) as info:
        quote_shipping(EMS, card, 1_001, "CN", "IL")
    assert info.value.code == "parcel_too_heavy"


@pytest.mark.parametrize("weight_g", [0, -5, True])
def test_weight_must_be_positive(weight_g: int) -> None:
    with pytest.raises(InvalidInput) as info:
        quote_shipping(EMS, DEMO_RATE_CARDS["ems"], weight_g, "CN", "IL")
    assert info.value.code == "invalid_weight"


def test_zone_without_a_price_and_excluded_destinations_are_not_served() -> None:
    card = RateCard(
        "ems",
        "USD",
        (RateBand(1_000, {Zone.SAME_REGION: 100}),),
        excluded_destinations=frozenset({"KR"}),
    )
    for destination in ("IL", "KR"):
        with pytest.raises(InvalidInput) as info:
            quote_shipping(EMS, card, 500, "CN", destination)
        assert info.value.code == "no_shipping_to_destination"
    assert quote_shipping(EMS, card, 500, "CN", "JP") == 100


def test_rate_card_must_match_the_service() -> None:
    with pytest.raises(ValueError, match="rate card is for"):
        quote_shipping(EMS, SMALL, 100, "CN", "IL")


def test_rate_card_in_a_three_decimal_currency() -> None:
    card = RateCard(
        "ems", "KWD", (RateBand(500, MappingProxyType({Zone.NEIGHBOUR_REGION: 4_250})),)
    )
    assert zone_for("DE", "KW") is Zone.NEIGHBOUR_REGION
    assert quote_shipping(EMS, card, 500, "DE", "KW") == 4_250


@pytest.mark.parametrize(
    "bands",
    [
        (),
        (RateBand(0, {Zone.SAME_REGION: 1}),),
        (RateBand(500, {Zone.SAME_REGION: 1}), RateBand(500, {Zone.SAME_REGION: 2})),
        (RateBand(500, {Zone.SAME_REGION: -1}),),
    ],
)
def test_malformed_rate_cards_are_refused(bands: tuple[RateBand, ...]) -> None:
    with pytest.raises(InvalidInput) as info:
        RateCard("ems", "USD", bands)
    assert info.value.code == "invalid_shipping_data"


def test_rate_card_currency_is_validated() -> None:
    with pytest.raises(InvalidInput):
        RateCard("ems", "XYZ", (RateBand(500, {Zone.SAME_REGION: 1}),))


@pytest.mark.parametrize(
    ("days_min", "days_max", "max_weight_g"), [(0, 5, 1000), (6, 5, 1000), (1, 5, 30_001)]
)
def test_malformed_services_are_refused(days_min: int, days_max: int, max_weight_g: int) -> None:
    with pytest.raises(InvalidInput):
        ShippingService(
            "x", "X", ServiceKind.EXPRESS, days_min, days_max, DutyTerms.DAP, max_weight_g, "EE"
        )


def test_builtin_services_and_cards_are_consistent() -> None:
    assert set(SERVICES) == set(DEMO_RATE_CARDS)
    for code, service in SERVICES.items():
        card = DEMO_RATE_CARDS[code]
        assert card.bands[-1].up_to_g == service.max_weight_g
        assert issue_s10(service.s10_service, 1, "CN").service_indicator == service.s10_service
    assert EMS.kind is ServiceKind.EXPRESS
    assert REGISTERED_SMALL_PACKET.kind is ServiceKind.SURFACE
    assert ECOMMERCE_PARCEL.duty_terms is DutyTerms.DDP


def test_delivery_window_in_calendar_days() -> None:
    assert estimate_delivery_window(date(2026, 3, 2), EMS, "CN", "IL") == (
        date(2026, 3, 5),
        date(2026, 3, 10),
    )
    assert estimate_delivery_window(date(2026, 12, 20), REGISTERED_SMALL_PACKET, "CN", "IL") == (
        date(2026, 12, 30),
        date(2027, 1, 19),
    )


def test_domestic_parcels_are_priced_at_the_domestic_rate() -> None:
    from tradewind.logistics.shipping import (
        DEMO_RATE_CARDS,
        REGISTERED_SMALL_PACKET,
        quote_parcel,
    )

    card = DEMO_RATE_CARDS["registered_small_packet"]
    assert quote_parcel(REGISTERED_SMALL_PACKET, card, 120, "US", "US") == 250  # zone 1: 450
    assert quote_parcel(REGISTERED_SMALL_PACKET, card, 120, "CN", "US") == quote_shipping(
        REGISTERED_SMALL_PACKET, card, 120, "CN", "US"
    )
