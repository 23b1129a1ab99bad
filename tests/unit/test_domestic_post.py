"""A parcel that stays in one country: the card's domestic price, the service's domestic
transit times, and buyer protection that never ends inside the promised delivery window."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tradewind.escrow.domain import EscrowPolicy
from tradewind.logistics.shipping import (
    DEMO_RATE_CARDS,
    EMS,
    REGISTERED_SMALL_PACKET,
    SERVICES,
    estimate_delivery_window,
    quote_parcel,
    transit_days,
)


def test_a_domestic_parcel_pays_the_domestic_price_not_the_cross_border_one() -> None:
    card = DEMO_RATE_CARDS["ems"]
    assert quote_parcel(EMS, card, 200, "IL", "IL") == 1200  # domestic, 500 g band
    assert quote_parcel(EMS, card, 200, "IL", "AE") == 2000  # zone 1 across a border
    for code, service in SERVICES.items():
        for band in DEMO_RATE_CARDS[code].bands:
            weight = min(band.up_to_g, service.max_weight_g)
            domestic = quote_parcel(service, DEMO_RATE_CARDS[code], weight, "GB", "GB")
            assert domestic == band.domestic_minor
            assert domestic < quote_parcel(service, DEMO_RATE_CARDS[code], weight, "GB", "FR")


def test_domestic_transit_is_the_domestic_window_and_surface_is_slower_than_ems() -> None:
    assert transit_days(EMS, "IL", "IL") == (1, 2)
    assert transit_days(EMS, "CN", "IL") == (3, 8)
    assert transit_days(REGISTERED_SMALL_PACKET, "IL", "IL") == (3, 7)
    ship_by = date(2026, 12, 28)
    assert estimate_delivery_window(ship_by, EMS, "IL", "IL") == (
        date(2026, 12, 29),
        date(2026, 12, 30),
    )
    assert estimate_delivery_window(ship_by, REGISTERED_SMALL_PACKET, "CN", "IL") == (
        date(2027, 1, 7),
        date(2027, 1, 27),
    )
    for service in SERVICES.values():
        assert service.domestic_days_max < service.transit_days_max


@pytest.mark.parametrize(
    ("not_before", "expected"),
    [
        (None, datetime(2026, 12, 31, 9, tzinfo=UTC)),  # express: 10 days after shipment
        (datetime(2027, 1, 3, 12, tzinfo=UTC), datetime(2027, 1, 3, 12, tzinfo=UTC)),
        (datetime(2026, 12, 25, tzinfo=UTC), datetime(2026, 12, 31, 9, tzinfo=UTC)),
    ],
)
def test_auto_confirm_waits_for_the_end_of_the_delivery_window(
    not_before: datetime | None, expected: datetime
) -> None:
    shipped = datetime(2026, 12, 21, 9, tzinfo=UTC)
    policy = EscrowPolicy()
    assert policy.auto_confirm_at(shipped, "express", not_before=not_before) == expected
    assert expected - shipped >= timedelta(days=10)
