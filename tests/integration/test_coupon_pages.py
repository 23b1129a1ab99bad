"""Discount lines and the coupon field on the cart, checkout and order pages: the figures are
the API's, a refused code answers with the page again (code kept, reason beside the field)
and changes nothing."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.support.api import PASSWORD, count, register
from tests.support.market import SHIP_TO, list_product, open_shop, operator_headers
from tests.support.web import HTML, session_csrf, web_login
from tradewind.bootstrap import Container
from tradewind.db.tables.ordering import orders
from tradewind.db.tables.promotions import promotion_redemptions

WINDOW = {"starts_at": "2020-01-01T00:00:00Z", "ends_at": "2099-01-01T00:00:00Z"}


def _text(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:strong|td|dd|ul)>', html, re.S)
    assert match is not None, element_id
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def _set_up(client: TestClient, container: Container) -> tuple[str, dict[str, str], str]:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "shop@example.com", "IL")
    _, offer_id = list_product(client, shop, price_minor=10000, stock=5)
    made = client.post(
        "/api/v1/promotions",
        headers=shop.headers,
        json={
            **WINDOW,
            "kind": "store_coupon",
            "name": "Spring coupon",
            "code": "SPRING15",
            "claimable": True,
            "amount_minor": 1500,
            "min_spend_minor": 5000,
            "total_quantity": 10,
        },
    )
    assert made.status_code == 201, made.text
    buyer = register(client, "noa@example.com", country="IL")
    put = client.put(f"/api/v1/cart/lines/{offer_id}", headers=buyer, json={"quantity": 2})
    assert put.status_code == 200, put.text
    web_login(client, "noa@example.com", PASSWORD)
    return shop.seller_id, buyer, offer_id


def test_cart_and_checkout_show_the_apis_discount_and_refuse_an_unknown_code(
    client: TestClient, container: Container
) -> None:
    seller_id, buyer, _ = _set_up(client, container)
    api = client.get("/api/v1/cart?coupon_codes=SPRING15", headers=buyer).json()
    assert (api["total_minor"], api["discount_minor"], api["to_pay_minor"]) == (20000, 1500, 18500)

    cart = client.get("/cart?coupons=spring15", headers=HTML)
    assert cart.status_code == 200
    assert _text(cart.text, f"cart-discounts-{seller_id}") == "Spring coupon (shop coupon): -₪15.00"
    assert _text(cart.text, "cart-total") == "₪200.00"
    assert _text(cart.text, "cart-discount") == "-₪15.00"
    assert _text(cart.text, "cart-to-pay") == "₪185.00"
    assert 'href="/checkout?coupons=spring15"' in cart.text

    refused = client.get("/cart?coupons=NOPE", headers=HTML)
    assert refused.status_code == 422
    assert 'value="NOPE"' in refused.text
    assert 'aria-describedby="coupons-hint coupons-error" aria-invalid="true"' in refused.text
    assert _text(refused.text, "cart-total") == "₪200.00"
    assert 'id="cart-discount"' not in refused.text
    assert re.search(r'id="coupons-error">no coupon with the code NOPE<', refused.text)

    checkout = client.get("/checkout?coupons=SPRING15", headers=HTML)
    assert checkout.status_code == 200
    assert 'value="SPRING15"' in checkout.text
    assert _text(checkout.text, f"checkout-discounts-{seller_id}") == (
        "Spring coupon (shop coupon): -₪15.00"
    )
    assert _text(checkout.text, "checkout-to-pay") == "₪185.00"
    offered = client.get("/checkout", headers=HTML).text
    assert "Spring coupon</span>: code <code" in offered
    assert 'href="/checkout?coupons=SPRING15"' in offered


def test_a_refused_code_at_checkout_keeps_the_form_and_places_nothing(
    client: TestClient, container: Container
) -> None:
    _set_up(client, container)
    csrf = session_csrf(client, "/checkout")
    refused = client.post(
        "/checkout",
        headers=HTML,
        data={**SHIP_TO, "coupons": "SPRING15 NOPE", "csrf_token": csrf},
    )
    assert refused.status_code == 422
    assert 'value="SPRING15 NOPE"' in refused.text
    assert 'value="Tel Aviv"' in refused.text
    assert 'id="coupons-error">no coupon with the code NOPE<' in refused.text
    assert 'id="checkout-error"' not in refused.text
    assert (count(container, orders), count(container, promotion_redemptions)) == (0, 0)


def test_the_placed_checkout_and_both_copies_of_the_order_show_the_discount(
    client: TestClient, container: Container
) -> None:
    _, buyer, _ = _set_up(client, container)
    csrf = session_csrf(client, "/checkout")
    placed = client.post(
        "/checkout",
        headers=HTML,
        data={**SHIP_TO, "coupons": "spring15", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert placed.status_code == 303, placed.text
    page = client.get(placed.headers["location"], headers=HTML).text
    (order,) = client.get("/api/v1/orders", headers=buyer).json()["items"]
    assert (order["discount_minor"], order["total_minor"]) == (1500, 18500)
    assert _text(page, f"discounts-{order['id']}") == "Spring coupon (shop coupon): -₪15.00"
    assert _text(page, "checkout-total") == "₪185.00"
    assert re.search(r'class="order-discount"><bdi>-₪15.00</bdi>', page)

    for email in ("noa@example.com", "shop@example.com"):
        web_login(client, email, PASSWORD)
        seen = client.get(f"/orders/{order['id']}", headers=HTML)
        assert seen.status_code == 200, email
        assert re.search(
            r'<dt><span dir="auto">Spring coupon</span> <span class="muted">\(shop coupon\)</span>'
            r'</dt><dd class="order-discount-line"><bdi>-₪15.00</bdi></dd>',
            seen.text,
        ), email
        assert _text(seen.text, "order-total") == "₪185.00"
