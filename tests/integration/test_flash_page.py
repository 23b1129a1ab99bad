"""A flash sale bought from its product page: the claim form goes through the API's gate and
writer (limit, pool, idempotency key), leads to the claim's checkout with the hold's countdown,
and a sold-out sale offers its waitlist. Both databases."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from tests.support.api import PASSWORD, register
from tests.support.market import address_in, list_product, open_shop, operator_headers
from tests.support.web import HTML, csrf_in, web_login
from tradewind.bootstrap import Container
from tradewind.kernel.clock import ManualClock

HOLD_S = 900


def _sale(client: TestClient, container: Container, clock: ManualClock) -> tuple[str, str]:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "flash.page@example.com", "US")
    product_id, offer_id = list_product(client, shop, price_minor=1999, stock=7, title="Hot lamp")
    now = clock.now()
    sale = client.post(
        "/api/v1/flash-sales",
        json={
            "offer_id": offer_id,
            "price_minor": 999,
            "pool_units": 2,
            "per_buyer_limit": 2,
            "hold_s": HOLD_S,
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(hours=3)).isoformat(),
        },
        headers={**shop.headers, "Idempotency-Key": "sale-1"},
    )
    assert sale.status_code == 201, sale.text
    return product_id, sale.json()["id"]


def _buyer(client: TestClient, email: str) -> tuple[dict[str, str], str]:
    api = register(client, email, country="US")
    added = client.post("/api/v1/addresses", json=address_in("US"), headers=api)
    assert added.status_code == 201, added.text
    client.cookies.clear()
    web_login(client, email, PASSWORD)
    return api, added.json()["id"]


def test_claim_pay_page_and_sold_out_waitlist(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    product_id, sale_id = _sale(client, container, clock)
    api, address_id = _buyer(client, "first@example.com")
    page = client.get(f"/products/{product_id}", headers=HTML).text
    assert (
        'Sale price <strong class="flash-price"><bdi>$9.99</bdi></strong>, postage included' in page
    )
    assert "limit 2 per buyer" in page
    assert "2 of 2 left" in page
    key = re.search(r'name="key" value="([^"]+)"', page)
    assert key is not None
    form = {
        "key": key.group(1),
        "address_id": address_id,
        "quantity": "2",
        "csrf_token": csrf_in(page),
    }
    claimed = client.post(
        f"/flash/{sale_id}/claim", data=form, headers=HTML, follow_redirects=False
    )
    assert claimed.status_code == 303, claimed.text
    checkout_path = claimed.headers["location"].split("?")[0]
    again = client.post(f"/flash/{sale_id}/claim", data=form, headers=HTML, follow_redirects=False)
    assert again.headers["location"].split("?")[0] == checkout_path  # the same claim, once
    checkout = client.get(checkout_path, headers=HTML).text
    assert 'data-seconds="900" dir="ltr">0:15:00</span>' in checkout
    assert "Pay <bdi>$19.98</bdi>" in checkout
    mine = client.get(f"/api/v1/flash-sales/{sale_id}/me", headers=api).json()
    assert (mine["units_held"], mine["sale"]["remaining_units"]) == (2, 0)
    assert [c["total_minor"] for c in mine["claims"]] == [1998]
    page = client.get(f"/products/{product_id}", headers=HTML).text
    assert "You hold 2 units for" in page

    _, other_address = _buyer(client, "second@example.com")
    page = client.get(f"/products/{product_id}", headers=HTML).text
    assert "0 of 2 left" in page
    assert "Sold out" in page
    assert 'name="key"' not in page  # no claim form once sold out
    stranger = client.post(
        f"/flash/{sale_id}/waitlist",
        data={"address_id": address_id, "csrf_token": csrf_in(page)},
        headers=HTML,
    )
    assert stranger.status_code == 404  # another buyer's address: nothing joined
    joined = client.post(
        f"/flash/{sale_id}/waitlist",
        data={"address_id": other_address, "csrf_token": csrf_in(page)},
        headers=HTML,
    )
    assert joined.status_code == 200
    assert "You joined the waitlist." in joined.text
    assert "You are number 1 on the waitlist." in joined.text
    assert client.get(f"/api/v1/flash-sales/{sale_id}").json()["waitlist_length"] == 1
