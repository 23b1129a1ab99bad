"""Every operation in /openapi.json, every documented field, fed hostile values over real HTTP.

On SQLite and PostgreSQL, against a real server process and a seeded marketplace (operator,
active shop with an offer, buyer with an address and an unpaid checkout). Each request is sent
as the first role the operation accepts. Two properties must hold for every one of them:

- the answer is never a 5xx (and never a dropped connection);
- an unsafe request that was refused (4xx) changed nothing: every table's rows are identical
  before and after, except the tables that exist to remember refusals (failed logins).
"""

from __future__ import annotations

import hashlib
import json

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.support import sweep
from tests.support.api import register
from tests.support.market import SHIP_TO, add_fx, list_product, open_shop, operator_headers
from tests.support.money_flow import buy
from tradewind.bootstrap import Container
from tradewind.db.tables import metadata
from tradewind.identity import service as identity

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Tables whose purpose is to remember refused requests (login throttling).
REMEMBERS_REFUSALS = {"login_failures", "login_throttles"}
ROLES = ("buyer", "seller", "operator")


def _fingerprint(container: Container) -> dict[str, str]:
    out = {}
    with container.uow(read_only=True) as uow:
        for table in metadata.sorted_tables:
            if table.name in REMEMBERS_REFUSALS:
                continue
            rows = sorted(repr(tuple(r)) for r in uow.conn.execute(select(table)))
            out[table.name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return out


def _seed(client: TestClient, container: Container) -> tuple[dict[str, dict[str, str]], sweep.Ids]:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "sweep-shop@example.com", "CN")
    add_fx(container, "CNY", "ILS", "0.52")
    add_fx(container, "USD", "ILS", "3.70")
    product_id, offer_id = list_product(client, shop, price_minor=2500, stock=50)
    buyer = register(client, "sweep-buyer@example.com")
    address = client.post("/api/v1/addresses", json=SHIP_TO, headers=buyer)
    assert address.status_code == 201, address.text
    checkout = buy(client, buyer, offer_id)
    ids = sweep.Ids(
        {
            "seller_id": shop.seller_id,
            "product_id": product_id,
            "offer_id": offer_id,
            "address_id": address.json()["id"],
            "checkout_id": checkout["id"],
            "order_id": checkout["orders"][0]["id"],
        }
    )
    return {"buyer": buyer, "seller": shop.headers, "operator": ops}, ids


def _send(http: httpx.Client, request: sweep.Request, auth: dict[str, str]) -> httpx.Response:
    headers = {**request.headers, **auth}
    if request.raw_body is not None or request.body is not None:
        raw = request.raw_body or json.dumps(request.body)
        raw = raw.replace('"@@LONE@@"', f'"{sweep.LONE_SURROGATE}"')
        headers["content-type"] = "application/json"
        return http.request(
            request.method, request.path, params=request.params, content=raw, headers=headers
        )
    return http.request(request.method, request.path, params=request.params, headers=headers)


def _role_for(
    http: httpx.Client, base: sweep.Request, tokens: dict[str, dict[str, str]]
) -> dict[str, str]:
    for role in ROLES:
        answer = _send(http, base, tokens[role])
        if answer.status_code not in (401, 403):
            return tokens[role]
    return tokens["buyer"]


def _refresh_tokens(
    http: httpx.Client, container: Container, tokens: dict[str, dict[str, str]]
) -> None:
    """An operation under test may revoke the token it was sent with (logout): mint another."""
    for role, auth in tokens.items():
        if http.get("/api/v1/me", headers=auth).status_code == 401:
            email = {
                "buyer": "sweep-buyer@example.com",
                "seller": "sweep-shop@example.com",
                "operator": "ops@example.com",
            }[role]
            with container.uow() as uow:
                account_id = identity.account_id_for_email(uow, email)
                assert account_id is not None
                token = identity.create_api_token(
                    uow, account_id, ttl_days=container.settings.api_token_ttl_days
                )
                tokens[role] = {"Authorization": f"Bearer {token}"}
                uow.commit()


def test_no_hostile_value_breaks_the_server_or_changes_anything(
    client: TestClient, container: Container, live: httpx.Client
) -> None:
    tokens, ids = _seed(client, container)
    spec = sweep.Spec(live.get("/openapi.json").json())
    failures: list[str] = []
    sent = 0
    for method, path, operation in spec.operations():
        base = sweep.baseline(spec, method, path, operation, ids)
        auth = _role_for(live, base, tokens)
        for request in sweep.mutations(spec, method, path, operation, ids):
            before = _fingerprint(container) if method != "GET" else None
            try:
                answer = _send(live, request, auth)
            except httpx.HTTPError as exc:
                failures.append(f"{method} {path} [{request.label}]: {exc!r}")
                continue
            sent += 1
            if answer.status_code >= 500:
                failures.append(f"{method} {path} [{request.label}]: {answer.status_code}")
            elif before is not None and answer.status_code >= 400:
                after = _fingerprint(container)
                changed = sorted(t for t in before if before[t] != after.get(t))
                if changed:
                    failures.append(
                        f"{method} {path} [{request.label}]: refused yet changed {changed}"
                    )
        _refresh_tokens(live, container, tokens)
    assert failures == [], "\n".join(failures[:60]) + f"\n({len(failures)} of {sent})"
    assert sent > 2000  # the sweep really ran: every operation, every field
