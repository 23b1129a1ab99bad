"""Undeliverable addresses are refused before anything is written, field by field, in the
checkout, the flash-sale claim and the address book; a saved address is stored checked."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.support.api import assert_problem, count, register
from tests.support.market import list_product, open_shop, operator_headers
from tradewind.bootstrap import Container
from tradewind.db.tables.catalog import offers
from tradewind.db.tables.identity import addresses
from tradewind.db.tables.ordering import checkouts

BAD = {
    "full_name": "Noa Levi",
    "line1": "",
    "city": "",
    "postal_code": "not a postcode!!",
    "country": "IL",
    "phone": "abc",
}


def test_an_undeliverable_address_creates_no_order(
    client: TestClient, container: Container
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "us@example.com", "US")
    _, offer_id = list_product(client, shop, price_minor=1000, stock=5)
    buyer = register(client, "noa@example.com", country="IL", currency="USD")
    refused = client.post(
        "/api/v1/checkouts",
        headers={**buyer, "Idempotency-Key": "bad"},
        json={"ship_to": BAD, "lines": [{"offer_id": offer_id, "quantity": 1}]},
    )
    problem = assert_problem(refused, 422, "invalid_address")
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [
        ("ship_to.line1", "required"),
        ("ship_to.city", "required"),
        ("ship_to.postal_code", "invalid_postal_code"),
        ("ship_to.phone", "invalid_phone"),
    ]
    assert count(container, checkouts) == 0
    with container.uow(read_only=True) as uow:
        assert uow.conn.scalar(select(offers.c.stock).where(offers.c.id == offer_id)) == 5

    good = {
        **BAD,
        "line1": "Rothschild Blvd 22",
        "city": "Tel Aviv",
        "postal_code": "6688218",
        "phone": "03-510-0000",
    }
    placed = client.post(
        "/api/v1/checkouts",
        headers={**buyer, "Idempotency-Key": "good"},
        json={"ship_to": good, "lines": [{"offer_id": offer_id, "quantity": 1}]},
    )
    assert placed.status_code == 201, placed.text
    with container.uow(read_only=True) as uow:
        ship_to = uow.conn.scalar(select(checkouts.c.ship_to))
    assert ship_to == {**good, "line2": "", "region": "", "phone": "+97235100000"}


def test_the_address_book_stores_checked_addresses(
    client: TestClient, container: Container
) -> None:
    buyer = register(client, "noa@example.com", country="US")
    refused = client.post(
        "/api/v1/addresses",
        headers=buyer,
        json={
            "full_name": "Avery",
            "line1": "350 Fifth Avenue",
            "city": "New York",
            "postal_code": "1O118",
            "country": "US",
        },
    )
    problem = assert_problem(refused, 422, "invalid_address")
    assert {e["field"] for e in problem["errors"]} == {"region", "postal_code"}
    assert count(container, addresses) == 0
    saved = client.post(
        "/api/v1/addresses",
        headers=buyer,
        json={
            "full_name": "Avery",
            "line1": "350 Fifth Avenue",
            "city": "New York",
            "region": "New York",
            "postal_code": "10118",
            "country": "US",
            "phone": "212 736 3100",
        },
    )
    assert saved.status_code == 201, saved.text
    assert (saved.json()["region"], saved.json()["phone"]) == ("NY", "+12127363100")
