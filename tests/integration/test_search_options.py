"""Search options every shop has: sort, free shipping, typo corrections shown, facets that
keep their other values; through the API and the search page, on both databases."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from tests.integration.test_search_api import _ids
from tests.integration.test_search_api import market as market
from tradewind.bootstrap import Container
from tradewind.db.tables.catalog import offers
from tradewind.logistics.shipping import DEMO_RATE_CARDS, SERVICES, quote_parcel

pytestmark = pytest.mark.integration


def _get(client: TestClient, **params: Any) -> Any:
    response = client.get("/api/v1/search", params={"q": "laptop", **params})
    assert response.status_code == 200, response.text
    return response


def _postage_usd(origin: str, destination: str) -> int:
    code = "registered_small_packet"
    card = DEMO_RATE_CARDS[code]
    assert card.currency == "USD"
    return quote_parcel(SERVICES[code], card, 500, origin, destination)


def test_sort_by_price_delivered_adds_the_cheapest_postage(
    client: TestClient, market: dict[str, str]
) -> None:
    response = _get(client, sort="price", destination="IL")
    delivered = {
        "bag": 2500 + _postage_usd("DE", "IL"),
        "lock": 3000 + _postage_usd("US", "IL"),
        "notebook": 50000 + _postage_usd("CN", "IL"),
    }
    expected = sorted(delivered, key=lambda k: delivered[k])
    assert _ids(response, market) == expected
    items = response.json()["items"]
    assert [i["delivered_price_minor"] for i in items] == [delivered[k] for k in expected]
    # Without a destination the price is the item's alone, and relevance keeps its order.
    plain = _get(client)
    assert [i["delivered_price_minor"] for i in plain.json()["items"]] == [None, None, None]
    assert _ids(_get(client, sort="price"), market) == ["bag", "lock", "notebook"]


def test_sort_by_rating_puts_unrated_sellers_last(
    client: TestClient, market: dict[str, str]
) -> None:
    assert _ids(_get(client, sort="rating"), market) == ["notebook", "bag", "lock"]


def test_free_shipping_filter_and_delivered_price_without_postage(
    client: TestClient, container: Container, market: dict[str, str]
) -> None:
    with container.uow() as uow:
        uow.conn.execute(
            update(offers).where(offers.c.product_id == market["bag"]).values(free_shipping=True)
        )
        uow.commit()
    response = _get(client, free_shipping="true", destination="IL")
    assert _ids(response, market) == ["bag"]
    assert response.json()["items"][0]["delivered_price_minor"] == 2500
    assert response.json()["total"] == 1


def test_a_corrected_typo_is_reported(client: TestClient, market: dict[str, str]) -> None:
    assert _get(client, q="samsng 1 tb").json()["corrected"] == "samsung 1 tb"
    assert _get(client).json()["corrected"] is None


def test_a_chosen_facet_keeps_its_other_values(client: TestClient, market: dict[str, str]) -> None:
    body = _get(client, brand="Targus").json()
    assert [i["product_id"] for i in body["items"]] == [market["bag"]]
    facets = body["facets"]
    assert [(v["value"], v["count"]) for v in facets["brand"]] == [
        ("Kensington", 1),
        ("Lenovo", 1),
        ("Targus", 1),
    ]
    assert [(v["value"], v["count"]) for v in facets["category"]] == [("Bags and cases", 1)]
    assert facets["ship_from"] == [{"value": "DE", "count": 1}]


def test_the_search_page_has_sort_price_range_free_shipping_and_corrections(
    client: TestClient, market: dict[str, str]
) -> None:
    page = client.get("/search", params={"q": "laptop", "brand": "Targus", "sort": "rating"})
    assert page.status_code == 200
    assert '<option value="rating" selected>' in page.text
    assert "<bdi>Kensington</bdi> (1)</a>" in page.text  # the other brands stay listed
    assert "Free shipping only" in page.text
    typo = client.get("/search", params={"q": "samsng 1 tb"})
    assert 'Showing results for “<a href="/search?q=samsung+1+tb"><bdi>samsung 1 tb</bdi></a>”' in (
        typo.text
    )
    bad = client.get("/search", params={"q": "laptop", "min_price": "cheap", "max_price": "30"})
    assert bad.status_code == 200
    assert 'value="cheap" aria-invalid="true" aria-describedby="min_price-error"' in bad.text
    assert "Enter an amount in USD, like 25 or 25.50" in bad.text
    ranged = client.get("/search", params={"q": "laptop", "min_price": "25", "max_price": "30"})
    assert "2 products found" in ranged.text


def test_the_count_names_the_partial_matches_that_fill_the_list(
    client: TestClient, market: dict[str, str]
) -> None:
    response = _get(client, q="laptop bag", facets="false")
    found = response.json()
    assert (found["match"], found["total"], found["partial"]) == ("all", 1, 2)
    assert _ids(response, market) == ["bag", "lock", "notebook"]  # total + partial, in that order
    assert _get(client, q="laptop", facets="true").json()["partial"] == 0
    page = client.get("/search", params={"q": "laptop bag"})
    assert "1 product found (and 2 more matching some of your words)" in page.text
    assert page.text.count('<li class="card">') == 3


def test_facets_past_their_cap_say_so_and_the_total_stays_exact(
    client: TestClient, market: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    exact = _get(client).json()
    assert (exact["total"], exact["facets"]["approximate"]) == (3, False)
    assert sum(v["count"] for v in exact["facets"]["brand"]) == 3
    monkeypatch.setattr("tradewind.search._facets.FACET_CAP", 1)
    capped = _get(client).json()
    assert (capped["total"], capped["facets"]["approximate"]) == (3, True)
    assert sum(v["count"] for v in capped["facets"]["brand"]) == 2  # the first 1 + 1 products
    assert capped["items"] == exact["items"]  # ranking never reads the facets
