"""Search over a small seeded catalog, on SQLite (FTS5) and PostgreSQL (tsvector) alike.

Every assertion is exact and the same on both databases: the candidate sets here are far
below the candidate limit, so both backends hand the same products to the same ranking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select, update

from tradewind.bootstrap import Container
from tradewind.db.tables.catalog import offers, products, sellers
from tradewind.db.tables.search import search_stats, search_terms
from tradewind.identity import service as identity
from tradewind.identity.domain import Role
from tradewind.kernel.ids import new_id
from tradewind.money.service import record_quote
from tradewind.search import service as search

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Seller:
    country: str
    currency: str
    rating_sum: int
    rating_count: int


SELLERS = {
    "cn": Seller("CN", "CNY", 45, 10),  # 4.5
    "de": Seller("DE", "EUR", 30, 10),  # 3.0
    "us": Seller("US", "USD", 0, 0),  # unrated
}
# key: (title, brand, model, category)
PRODUCTS = {
    "notebook": (
        'Lenovo IdeaPad 3 notebook 39.6 cm (15.6") 8 GB',
        "Lenovo",
        "IdeaPad 3",
        "Laptops",
    ),
    "bag": ('Targus Classic laptop bag 15.6"', "Targus", "Classic laptop bag", "Bags and cases"),
    "lock": ("Kensington keyed laptop lock", "Kensington", "keyed laptop lock", "Other"),
    "gpu": ("MSI RTX3080 Gaming X graphics card 10 GB", "MSI", "RTX3080 Gaming X", "Graphics"),
    "ssd": ("Samsung 870 EVO 1TB SSD", "Samsung", "870 EVO", "Storage"),
    "hdd": ("WD Elements 2 terabyte external hard drive", "WD", "Elements", "Storage"),
}
# (product, seller, price_minor in the seller's currency, stock)
OFFERS = [
    ("notebook", "cn", 350_000, 5),  # CNY 3,500.00 -> USD 500.00
    ("notebook", "us", 52_000, 0),
    ("bag", "de", 2_300, 10),  # EUR 23.00 -> USD 25.00
    ("lock", "us", 3_000, 3),
    ("gpu", "de", 69_000, 2),  # EUR 690.00 -> USD 750.00
    ("ssd", "cn", 56_000, 0),  # CNY 560.00 -> USD 80.00
    ("hdd", "us", 7_900, 4),
]
RATES = {"CNY": "0.14285714", "EUR": "1.08695652"}  # USD per unit, no spread


def _seller(uow: Any, key: str, spec: Seller) -> str:
    account_id = identity.register_account(
        uow,
        identity.NewAccount(
            email=f"{key}@shops.test",
            password="seller-password-123",
            display_name=key,
            role=Role.SELLER,
            country=spec.country,
        ),
    )
    seller_id = new_id("slr")
    now = uow.clock.now()
    uow.conn.execute(
        insert(sellers).values(
            id=seller_id,
            account_id=account_id,
            name=f"Shop {key}",
            country=spec.country,
            currency=spec.currency,
            status="active",
            ship_from={"line1": "1 Road", "city": "City", "country": spec.country},
            handling_days=2,
            rating_sum=spec.rating_sum,
            rating_count=spec.rating_count,
            created_at=now,
            approved_at=now,
        )
    )
    return seller_id


def _product(uow: Any, title: str, brand: str, model: str, category: str) -> str:
    product_id = new_id("prd")
    uow.conn.execute(
        insert(products).values(
            id=product_id,
            brand=brand,
            title=title,
            model=model,
            description="",
            attributes={},
            category=category,
            hs_code="847130",
            origin_country="CN",
            weight_g=500,
            length_mm=0,
            width_mm=0,
            height_mm=0,
            created_at=uow.clock.now(),
        )
    )
    return product_id


@pytest.fixture
def market(container: Container) -> dict[str, str]:
    """Product ids by key; the index built by reindex_all, FX into USD set."""
    with container.uow() as uow:
        seller_ids = {k: _seller(uow, k, s) for k, s in SELLERS.items()}
        ids = {k: _product(uow, *spec) for k, spec in PRODUCTS.items()}
        now = uow.clock.now()
        for key, seller, price, stock in OFFERS:
            uow.conn.execute(
                insert(offers).values(
                    id=new_id("ofr"),
                    product_id=ids[key],
                    seller_id=seller_ids[seller],
                    price_minor=price,
                    currency=SELLERS[seller].currency,
                    stock=stock,
                    condition="new",
                    status="active",
                    shipping_services=["registered_small_packet"],
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
            )
        for base, rate in RATES.items():
            record_quote(
                uow,
                None,
                base=base,
                quote="USD",
                rate=rate,
                spread_bps=0,
                source="test",
                valid_from=now - timedelta(days=1),
            )
        assert search.reindex_all(uow) == len(PRODUCTS)
        uow.commit()
    return ids


def _ids(response: Any, market: dict[str, str]) -> list[str]:
    names = {v: k for k, v in market.items()}
    assert response.status_code == 200, response.text
    return [names[item["product_id"]] for item in response.json()["items"]]


def test_the_product_ranks_above_accessories_that_mention_it(
    client: TestClient, market: dict[str, str]
) -> None:
    # "notebook" is a synonym of "laptop" and the notebook's head noun, so it beats the
    # literal matches; between those, the shorter title wins (BM25 length normalization).
    response = client.get("/api/v1/search", params={"q": "laptop"})
    assert _ids(response, market) == ["notebook", "lock", "bag"]
    body = response.json()
    assert body["interpretation"] == [["laptop", "notebook"]]
    assert body["match"] == "all"
    assert body["total"] == 3


def test_every_clause_is_required_before_partial_matches(
    client: TestClient, market: dict[str, str]
) -> None:
    response = client.get("/api/v1/search", params={"q": "laptop bag", "facets": "false"})
    # The head noun is "bag" now: the notebook has no bonus, and its synonym match scores
    # less than the lock's literal "laptop".
    assert _ids(response, market) == ["bag", "lock", "notebook"]
    assert [i["matched_clauses"] for i in response.json()["items"]] == [2, 1, 1]


@pytest.mark.parametrize("text", ["RTX3080", "rtx 3080", "rtx-3080", "Rtx3080 graphics"])
def test_model_numbers_match_however_they_are_spaced(
    client: TestClient, market: dict[str, str], text: str
) -> None:
    assert _ids(client.get("/api/v1/search", params={"q": text}), market)[:1] == ["gpu"]


def test_units_normalize_and_typos_are_tolerated(
    client: TestClient, market: dict[str, str]
) -> None:
    # The product says "2 terabyte"; the buyer types "2TB" and misspells "drive".
    response = client.get("/api/v1/search", params={"q": "2TB hard drvie"})
    assert _ids(response, market) == ["hdd", "ssd"]  # the SSD only shares "tb"
    assert [i["matched_clauses"] for i in response.json()["items"]] == [4, 1]
    assert response.json()["interpretation"] == [["2"], ["tb"], ["hard"], ["drvie", "drive"]]
    typo = client.get("/api/v1/search", params={"q": "samsng 1 tb"})
    assert _ids(typo, market) == ["ssd", "hdd"]  # the drive only shares "tb"
    assert typo.json()["interpretation"][0] == ["samsng", "samsung"]


def test_facets_count_the_whole_match_set_in_the_buyers_currency(
    client: TestClient, market: dict[str, str]
) -> None:
    response = client.get("/api/v1/search", params={"q": "laptop", "limit": 1})
    body = response.json()
    assert _ids(response, market) == ["notebook"]
    assert body["next_cursor"] == "1"
    assert body["facets"] == {
        "brand": [
            {"value": "Kensington", "count": 1},
            {"value": "Lenovo", "count": 1},
            {"value": "Targus", "count": 1},
        ],
        "category": [
            {"value": "Bags and cases", "count": 1},
            {"value": "Laptops", "count": 1},
            {"value": "Other", "count": 1},
        ],
        "ship_from": [
            {"value": "US", "count": 2},
            {"value": "CN", "count": 1},
            {"value": "DE", "count": 1},
        ],
        "seller_rating": [
            {"value": "4", "count": 1},
            {"value": "3", "count": 2},
            {"value": "2", "count": 2},
        ],
        "in_stock": 3,
        "min_price_minor": 2500,
        "max_price_minor": 52000,
        "approximate": False,  # 3 matches, far under the facets' cap: exact counts
    }
    hit = body["items"][0]
    assert (hit["lowest_price_minor"], hit["currency"], hit["offer_count"]) == (50000, "USD", 2)
    second = client.get("/api/v1/search", params={"q": "laptop", "limit": 1, "after": "1"})
    assert _ids(second, market) == ["lock"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"brand": "targus"}, ["bag"]),
        ({"category": "Laptops"}, ["notebook"]),
        ({"ship_from": "DE"}, ["bag"]),
        ({"ship_from": ["DE", "CN"]}, ["notebook", "bag"]),
        ({"min_rating": 4}, ["notebook"]),
        ({"min_rating": 3}, ["notebook", "bag"]),
        ({"in_stock": "true"}, ["notebook", "lock", "bag"]),
        # USD 25.00 to 30.00: the bag (EUR 23.00 = USD 25.00 exactly) and the lock (USD 30.00)
        ({"min_price": 2500, "max_price": 3000}, ["lock", "bag"]),
        ({"min_price": 2501, "max_price": 2999}, []),
        ({"max_price": 50000}, ["notebook", "lock", "bag"]),
        # One offer must pass every offer filter: the US notebook offer is out of stock.
        ({"ship_from": "US", "in_stock": "true"}, ["lock"]),
    ],
)
def test_filters(
    client: TestClient, market: dict[str, str], params: dict[str, Any], expected: list[str]
) -> None:
    response = client.get("/api/v1/search", params={"q": "laptop", **params})
    assert _ids(response, market) == expected
    assert response.json()["total"] == len(expected)


def test_price_filter_converts_exactly_at_the_bounds(
    client: TestClient, market: dict[str, str]
) -> None:
    # EUR 690.00 at 1.08695652 is USD 749.999998... -> 750.00 after the one rounding.
    inside = client.get("/api/v1/search", params={"q": "rtx3080", "min_price": 75000})
    outside = client.get("/api/v1/search", params={"q": "rtx3080", "min_price": 75001})
    assert (_ids(inside, market), _ids(outside, market)) == (["gpu"], [])


def test_offer_changes_show_without_reindexing(
    client: TestClient, container: Container, market: dict[str, str]
) -> None:
    with container.uow() as uow:
        uow.conn.execute(update(offers).where(offers.c.product_id == market["bag"]).values(stock=0))
        uow.commit()
    response = client.get("/api/v1/search", params={"q": "laptop", "in_stock": "true"})
    assert _ids(response, market) == ["notebook", "lock"]


def test_a_new_product_is_found_once_indexed_and_counts_stay_exact(
    client: TestClient, container: Container, market: dict[str, str]
) -> None:
    with container.uow() as uow:
        new = _product(uow, "Logitech MX Keys keyboard", "Logitech", "MX Keys", "Keyboards")
        uow.commit()
    assert _ids(client.get("/api/v1/search", params={"q": "keyboard"}), market) == []
    with container.uow() as uow:
        assert search.index_products(uow, [new]) == 1
        assert search.index_products(uow, [new]) == 1  # re-indexing replaces, never doubles
        uow.commit()
    found = client.get("/api/v1/search", params={"q": "keyboard"}).json()["items"]
    assert [i["product_id"] for i in found] == [new]
    with container.uow(read_only=True) as uow:
        terms = dict(uow.conn.execute(select(search_terms.c.term, search_terms.c.documents)).all())
        stats = dict(uow.conn.execute(select(search_stats.c.name, search_stats.c.value)).all())
    assert (terms["keyboard"], terms["laptop"], terms["logitech"]) == (1, 2, 1)
    assert stats["documents"] == len(PRODUCTS) + 1


def test_suggestions_complete_the_last_word(client: TestClient, market: dict[str, str]) -> None:
    response = client.get("/api/v1/search/suggest", params={"q": "external har", "limit": 3})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["completions"] == ["external hard"]
    assert [p["product_id"] for p in body["products"]] == [market["hdd"]]
    typing = client.get("/api/v1/search/suggest", params={"q": "sams"}).json()
    assert typing["completions"] == ["samsung"]
    assert [p["product_id"] for p in typing["products"]] == [market["ssd"]]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/search", {"q": ""}, "q"),
        ("/api/v1/search", {"q": "x" * 201}, "q"),
        ("/api/v1/search", {"q": "laptop", "limit": 0}, "limit"),
        ("/api/v1/search", {"q": "laptop", "limit": 51}, "limit"),
        ("/api/v1/search", {"q": "laptop", "currency": "usd"}, "currency"),
        ("/api/v1/search", {"q": "laptop", "after": "abc"}, "after"),
        ("/api/v1/search", {"q": "laptop", "min_price": -1}, "min_price"),
        ("/api/v1/search", {"q": "laptop", "min_rating": 6}, "min_rating"),
        ("/api/v1/search", {"q": "laptop", "min_price": 10, "max_price": 5}, "min_price"),
        ("/api/v1/search", {"q": "laptop", "after": "500"}, "after"),
        ("/api/v1/search/suggest", {"q": "lap", "limit": 11}, "limit"),
    ],
)
def test_bad_parameters_are_422_problems(
    client: TestClient, market: dict[str, str], path: str, params: dict[str, Any], field: str
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]
