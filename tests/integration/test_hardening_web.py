"""What an attacker sends through every door, over real HTTP on SQLite and PostgreSQL.

Control characters in the path, the query, JSON bodies and page forms; integers larger than a
column; digits from other scripts; security headers; and the 500 that must carry its request id.
Every refused request is shown to have changed nothing.
"""

from __future__ import annotations

import io
import json
import logging
import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.support.api import PASSWORD, assert_problem, count, register
from tests.support.market import list_product, next_gtin, open_shop, operator_headers
from tradewind.bootstrap import Container
from tradewind.db.tables.catalog import offers, products
from tradewind.db.tables.identity import accounts
from tradewind.logs import JsonFormatter
from tradewind.web.app import create_app

pytestmark = pytest.mark.integration

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULLWIDTH = str.maketrans("0123456789", "".join(chr(0xFF10 + d) for d in range(10)))


def _offer_row(container: Container, offer_id: str) -> dict[str, Any]:
    with container.uow(read_only=True) as uow:
        row = uow.conn.execute(select(offers).where(offers.c.id == offer_id)).one()
    return dict(row._mapping)


def test_control_characters_are_refused_at_every_door(
    client: TestClient, container: Container, live: httpx.Client
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "shop@example.com", "CN")
    before = (count(container, accounts), count(container, products))

    for path in ("/api/v1/products/%00", "/api/v1/products/prd%1Fx", "/products/%7F"):
        assert_problem(live.get(path), 422, "control_characters")
    assert_problem(live.get("/api/v1/search", params={"q": "usb\x00"}), 422, "control_characters")
    assert_problem(live.get("/search", params={"q": "\x1b[31m"}), 422, "control_characters")

    account = {
        "email": "eve@example.com",
        "password": PASSWORD,
        "display_name": "Eve\u0000",
        "country": "IL",
    }
    assert_problem(live.post("/api/v1/accounts", json=account), 422, "control_characters")
    c1 = {**account, "display_name": "Eve\u0085"}
    assert_problem(live.post("/api/v1/accounts", json=c1), 422, "control_characters")
    # A lone surrogate is valid JSON but not valid text; PostgreSQL cannot store it.
    raw = json.dumps(account).replace("Eve\\u0000", "Eve\\ud800")
    lone = live.post("/api/v1/accounts", content=raw, headers={"content-type": "application/json"})
    assert lone.status_code == 422, lone.text
    assert lone.json()["code"] in {"control_characters", "validation_failed"}

    product = {
        "title": "Cable\u0007",
        "brand": "Acme",
        "origin_country": "CN",
        "weight_g": 100,
        "attributes": {"colour": "black\u0000"},
    }
    for body in (product, {**product, "title": "Cable"}):
        refused = live.post("/api/v1/products", json=body, headers=shop.headers)
        assert_problem(refused, 422, "control_characters")

    form = live.post(
        "/login", data={"email": "a\x00@example.com", "password": "x", "csrf_token": "t"}
    )
    assert_problem(form, 422, "control_characters")

    # Multi-line text keeps its line breaks and tabs.
    fine = live.post(
        "/api/v1/products",
        json={**product, "title": "Cable", "attributes": {}, "description": "a\n\tb\r\n"},
        headers=shop.headers,
    )
    assert fine.status_code == 201, fine.text
    assert (count(container, accounts), count(container, products)) == (
        before[0],
        before[1] + 1,
    )


def test_digits_from_other_scripts_are_not_a_second_gtin(
    client: TestClient, container: Container, live: httpx.Client
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "shop@example.com", "CN")
    gtin = next_gtin()
    body = {"title": "Mouse", "brand": "Acme", "origin_country": "CN", "weight_g": 90}
    first = live.post("/api/v1/products", json={**body, "gtin": gtin}, headers=shop.headers)
    assert first.status_code == 201, first.text
    for variant in (gtin.translate(ARABIC_INDIC), gtin.translate(FULLWIDTH)):
        second = live.post("/api/v1/products", json={**body, "gtin": variant}, headers=shop.headers)
        body_json = assert_problem(second, 422, "invalid_input")
        assert body_json["errors"][0]["code"] == "invalid_gtin"
    hs = live.post(
        "/api/v1/products",
        json={**body, "gtin": next_gtin(), "hs_code": "٨٥٤٤٤٢"},
        headers=shop.headers,
    )
    assert assert_problem(hs, 422, "invalid_input")["errors"][0]["code"] == "invalid_hs_code"
    assert count(container, products) == 1


def test_integers_beyond_a_column_are_refused_and_change_nothing(
    client: TestClient, container: Container, live: httpx.Client
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "shop@example.com", "CN")
    _, offer_id = list_product(client, shop, price_minor=1000, stock=5)
    before = _offer_row(container, offer_id)
    for version in (2**31, 2**40, 2**63, 2**70, -(2**70)):
        patch = live.patch(
            f"/api/v1/offers/{offer_id}",
            json={"version": version, "stock": 3},
            headers=shop.headers,
        )
        assert patch.status_code == 422, (version, patch.text)
        assert patch.json()["code"] in {"invalid_input", "validation_failed"}
    body = {"title": "Heavy", "brand": "Acme", "origin_country": "CN"}
    for weight in (2**31, 2**63, 2**70):
        heavy = live.post(
            "/api/v1/products", json={**body, "weight_g": weight}, headers=shop.headers
        )
        assert heavy.status_code == 422, (weight, heavy.text)
    assert _offer_row(container, offer_id) == before
    assert count(container, products) == 1


def _web_login(http: httpx.Client, email: str) -> str:
    """Log in through the page; returns the session's CSRF token from the next page."""
    form = http.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    done = http.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert done.status_code == 303, done.text
    listings = http.get("/seller/listings")
    session_token = re.search(r'name="csrf_token" value="([^"]+)"', listings.text)
    assert session_token is not None
    return session_token.group(1)


def test_csv_rows_with_huge_or_foreign_numbers_are_row_errors(
    client: TestClient, container: Container, live: httpx.Client
) -> None:
    ops = operator_headers(client, container)
    open_shop(client, ops, "shop@example.com", "CN")
    csrf = _web_login(live, "shop@example.com")
    good, huge, foreign, stock = next_gtin(), next_gtin(), next_gtin(), next_gtin()
    csv_text = (
        "gtin,title,brand,price,stock,weight_g,origin_country\n"
        f"{good},Cable,Acme,10.00,5,100,CN\n"
        f"{huge},Anvil,Acme,10.00,5,99999999999999999999,CN\n"
        f"{foreign},Mouse,Acme,10.00,5,{'120'.translate(ARABIC_INDIC)},CN\n"
        f"{stock},Lamp,Acme,10.00,{2**63},100,CN\n"
        f"{next_gtin()},Bell\x07,Acme,10.00,5,100,CN\n"
    )
    answer = live.post(
        "/seller/listings/upload",
        data={"csrf_token": csrf},
        files={"file": ("listings.csv", io.BytesIO(csv_text.encode()), "text/csv")},
    )
    assert answer.status_code == 200, answer.text
    rejected = re.findall(r'<th scope="row">(\d+)</th><td>([^<]*)</td>', answer.text)
    assert [int(line) for line, _ in rejected] == [3, 4, 5, 6], rejected
    assert "1 row applied, 4 rejected" in answer.text
    with container.uow(read_only=True) as uow:
        created = uow.conn.scalars(select(products.c.title)).all()
    assert created == ["Cable"]


def test_security_headers_and_private_answers(
    client: TestClient, container: Container, live: httpx.Client
) -> None:
    headers = register(client, "noa@example.com")
    home = live.get("/")
    policy = home.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in policy
    assert home.headers["x-content-type-options"] == "nosniff"
    assert home.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "no-store" not in home.headers.get("cache-control", "")
    assert "strict-transport-security" not in home.headers  # plain http here
    me = live.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.headers["cache-control"] == "no-store"
    assert me.headers["x-content-type-options"] == "nosniff"
    # Static files carry the same protections.
    assert live.get("/static/site.css").headers["x-content-type-options"] == "nosniff"


class _Capture(logging.Handler):
    """Formats each record at once, inside the request (as the real handler does)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict[str, Any]] = []
        self.formatter = JsonFormatter()

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


def test_an_unexpected_error_carries_its_request_id(container: Container) -> None:
    app: FastAPI = create_app(container, access_log=False)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaboom")

    capture = _Capture()
    logging.getLogger("tradewind.access").addHandler(capture)
    try:
        with TestClient(app, raise_server_exceptions=True) as http:
            answer = http.get("/boom", headers={"X-Request-ID": "req-12345678"})
    finally:
        logging.getLogger("tradewind.access").removeHandler(capture)
    assert answer.status_code == 500
    assert answer.headers["x-request-id"] == "req-12345678"
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["request_id"] == "req-12345678"
    assert answer.json()["code"] == "internal_error"
    assert "kaboom" not in answer.text
    errors = [line for line in capture.lines if line["level"] == "ERROR"]
    assert len(errors) == 1
    assert errors[0]["request_id"] == "req-12345678"
    assert "kaboom" in errors[0]["exc"]


def test_operators_get_404_for_objects_that_do_not_exist(
    client: TestClient, container: Container, live: httpx.Client
) -> None:
    ops = operator_headers(client, container)
    resolve = live.post(
        "/api/v1/disputes/dsp_missing/resolve",
        json={"resolution": "release", "note": "no such dispute"},
        headers={**ops, "Idempotency-Key": "resolve-missing"},
    )
    assert_problem(resolve, 404, "not_found")
    for path in ("/api/v1/orders/ord_missing", "/api/v1/checkouts/chk_missing"):
        assert_problem(live.get(path, headers=ops), 404, "not_found")
