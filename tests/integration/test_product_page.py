"""The product page ranks offers by what they cost delivered, links each shop's page, and tells
crawlers (JSON-LD, OpenGraph, read back with extruct) the same figures it shows people."""

from __future__ import annotations

import re
from typing import Any

import extruct
from fastapi.testclient import TestClient

from tests.support.market import list_product, open_shop, operator_headers
from tests.support.web import HTML
from tradewind.bootstrap import Container
from tradewind.catalog import service as catalog
from tradewind.db.tables.catalog import products


def _offer_ids(html: str) -> list[str]:
    return re.findall(r'<li class="offer" data-offer-id="([^"]+)"', html)


def _offer_to_product(client: TestClient, shop: Any, product_id: str, **body: Any) -> str:
    answer = client.post(
        "/api/v1/offers", headers=shop.headers, json={"product_id": product_id, **body}
    )
    assert answer.status_code == 201, answer.text
    offer_id: str = answer.json()["id"]
    return offer_id


def _market(client: TestClient, container: Container) -> dict[str, str]:
    """One product, three CN shops pricing in USD, seen by a visitor (a US buyer, in USD).

    cheap: item 9.00 but pays registered postage; free: item 10.50, free postage; fast: item
    11.00, free postage, sends by EMS too. Ratings: cheap 3.0, free 4.5 (2), fast 5.0 (1).
    """
    ops = operator_headers(client, container)
    cheap = open_shop(client, ops, "cheap@example.com", "CN", "USD")
    free = open_shop(client, ops, "free@example.com", "CN", "USD")
    fast = open_shop(client, ops, "fast@example.com", "CN", "USD")
    product_id, cheap_offer = list_product(
        client, cheap, price_minor=900, stock=5, title="Desk lamp", free_shipping=False
    )
    free_offer = _offer_to_product(
        client, free, product_id, price_minor=1050, stock=5, free_shipping=True
    )
    fast_offer = _offer_to_product(
        client,
        fast,
        product_id,
        price_minor=1100,
        stock=5,
        free_shipping=True,
        shipping_services=["registered_small_packet", "ems"],
    )
    with container.uow() as uow:
        catalog.add_seller_rating(uow, cheap.seller_id, 3)
        catalog.add_seller_rating(uow, free.seller_id, 4)
        catalog.add_seller_rating(uow, free.seller_id, 5)
        catalog.add_seller_rating(uow, fast.seller_id, 5)
        uow.conn.execute(
            products.update()
            .where(products.c.id == product_id)
            .values(
                description="A lamp for a desk.",
                image_url="http://images.example/lamp.jpg",
            )
        )
        uow.commit()
    return {
        "product": product_id,
        "cheap": cheap_offer,
        "free": free_offer,
        "fast": fast_offer,
        "cheap_shop": cheap.seller_id,
    }


def test_offers_rank_by_delivered_price_delivery_time_and_rating(
    client: TestClient, container: Container
) -> None:
    ids = _market(client, container)
    page = client.get(f"/products/{ids['product']}", headers=HTML)
    assert page.status_code == 200
    # Registered small packet CN -> US, 120 g (the 250 g band, zone 3): 7.50 postage; US duty
    # on HS 85 is 2 % of the goods (FOB), no VAT. Delivered: cheap 9.00 + 7.50 + 0.18 = 16.68,
    # free 10.50 + 0.21 = 10.71, fast 11.00 + 0.22 = 11.22.
    assert _offer_ids(page.text) == [ids["free"], ids["fast"], ids["cheap"]]
    delivered = re.findall(r'<strong class="delivered-price">([^<]+)</strong>', page.text)
    assert delivered == ["$10.71", "$11.22", "$16.68"]
    assert f'<a href="/shops/{ids["cheap_shop"]}">Shop cheap@example.com</a>' in page.text
    assert "rated 4.5 / 5 (2 ratings)" in page.text
    assert "rated 3 / 5 (1 rating)" in page.text  # the locale's number format
    assert 'href="/products/{}?sort=delivered" aria-current="true"'.format(ids["product"]) in (
        page.text
    )

    by_time = client.get(f"/products/{ids['product']}?sort=fastest", headers=HTML)
    assert _offer_ids(by_time.text) == [ids["fast"], ids["free"], ids["cheap"]]  # EMS first
    by_rating = client.get(f"/products/{ids['product']}?sort=rating", headers=HTML)
    assert _offer_ids(by_rating.text) == [ids["fast"], ids["free"], ids["cheap"]]
    unknown = client.get(f"/products/{ids['product']}?sort=nonsense", headers=HTML)
    assert _offer_ids(unknown.text) == _offer_ids(page.text)


def test_the_shop_page_lists_its_offers_a_page_at_a_time(
    client: TestClient, container: Container
) -> None:
    ids = _market(client, container)
    shop = client.get(f"/shops/{ids['cheap_shop']}", headers=HTML)
    assert shop.status_code == 200
    assert '<h1 id="shop-name" dir="auto">Shop cheap@example.com</h1>' in shop.text
    assert "3.0 / 5 from 1 rating" in shop.text
    assert re.findall(r'data-offer-id="([^"]+)"', shop.text) == [ids["cheap"]]
    assert '<p class="price">$9.00</p>' in shop.text
    assert 'id="next-page"' not in shop.text
    missing = client.get("/shops/no-such-shop", headers=HTML)
    assert missing.status_code == 404
    assert "text/html" in missing.headers["content-type"]


def test_the_shop_page_pages_by_cursor(client: TestClient, container: Container) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "many@example.com", "CN", "USD")
    offers = sorted(
        list_product(client, shop, price_minor=100 + n, stock=1, title=f"Item {n}")[1]
        for n in range(26)
    )
    first = client.get(f"/shops/{shop.seller_id}", headers=HTML)
    assert re.findall(r'data-offer-id="([^"]+)"', first.text) == offers[:24]
    assert f'href="/shops/{shop.seller_id}?after={offers[23]}" id="next-page"' in first.text
    second = client.get(f"/shops/{shop.seller_id}?after={offers[23]}", headers=HTML)
    assert re.findall(r'data-offer-id="([^"]+)"', second.text) == offers[24:]
    assert 'id="next-page"' not in second.text


def _crawl(html: str, url: str) -> dict[str, Any]:
    data: dict[str, Any] = extruct.extract(
        html, base_url=url, syntaxes=["json-ld", "opengraph"], uniform=True
    )
    return data


def test_crawlers_read_the_figures_the_page_shows(client: TestClient, container: Container) -> None:
    ids = _market(client, container)
    url = f"http://testserver/products/{ids['product']}"
    found = _crawl(client.get(f"/products/{ids['product']}", headers=HTML).text, url)
    (product,) = found["json-ld"]
    assert product["@type"] == "Product"
    assert product["name"] == "Desk lamp"
    assert product["description"] == "A lamp for a desk."
    assert product["url"] == url
    assert product["image"] == "https://images.example/lamp.jpg"
    aggregate = product["offers"]
    assert aggregate["@type"] == "AggregateOffer"
    assert (aggregate["lowPrice"], aggregate["highPrice"]) == ("9.00", "11.00")
    assert aggregate["offerCount"] == 3
    assert aggregate["priceCurrency"] == "USD"
    by_seller = {o["seller"]["name"]: o for o in aggregate["offers"]}
    cheap = by_seller["Shop cheap@example.com"]
    assert cheap["price"] == "9.00"
    assert cheap["seller"]["aggregateRating"] == {
        "@type": "AggregateRating",
        "ratingValue": 3.0,
        "ratingCount": 1,
        "bestRating": 5,
        "worstRating": 1,
    }
    (shipping,) = cheap["shippingDetails"]
    assert shipping["shippingRate"] == {
        "@type": "MonetaryAmount",
        "value": "7.50",
        "currency": "USD",
    }
    assert shipping["shippingDestination"]["addressCountry"] == "US"
    assert shipping["deliveryTime"]["transitTime"]["minValue"] == 10
    assert shipping["deliveryTime"]["transitTime"]["maxValue"] == 30
    assert shipping["deliveryTime"]["handlingTime"]["maxValue"] == 2
    fast = by_seller["Shop fast@example.com"]
    assert [d["shippingRate"]["value"] for d in fast["shippingDetails"]] == ["0.00", "0.00"]
    assert cheap["hasMerchantReturnPolicy"]["merchantReturnDays"] == 10
    assert cheap["hasMerchantReturnPolicy"]["applicableCountry"] == "US"
    (og,) = found["opengraph"]
    assert og["@type"] == "product"
    assert og["og:title"] == "Desk lamp"
    assert og["og:url"] == url
    assert og["og:image"] == "https://images.example/lamp.jpg"
    assert og["product:price:amount"] == "9.00"
    assert og["product:price:currency"] == "USD"


def test_one_seller_is_a_plain_offer(client: TestClient, container: Container) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "solo@example.com", "CN", "USD")
    product_id, _ = list_product(client, shop, price_minor=2500, stock=3, title="Solo")
    url = f"http://testserver/products/{product_id}"
    (product,) = _crawl(client.get(f"/products/{product_id}", headers=HTML).text, url)["json-ld"]
    assert product["offers"]["@type"] == "Offer"
    assert product["offers"]["price"] == "25.00"
    assert "image" not in product
    assert "aggregateRating" not in product["offers"]["seller"]
