"""The seller center's promotions and the operator's platform coupons: forms that answer with
the input kept and the error at its field, lists with status, uses and what is left, ending
early, and who may see and end what (another shop's is 404, a staff role without the
permission is 403, every operator action in the audit log)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.support.api import count, register
from tests.support.market import SHIP_TO, list_product, open_shop, operator_headers, operator_token
from tests.support.web import HTML
from tradewind.bootstrap import Container
from tradewind.db.tables.audit import audit_log
from tradewind.db.tables.promotions import promotions
from tradewind.identity.domain import StaffRole

COUPON = {
    "name": "Spring coupon",
    "value_type": "amount",
    "value": "15.00",
    "code": "spring15",
    "claimable": "true",
    "min_spend": "50",
    "total_quantity": "10",
    "per_buyer_limit": "1",
    "starts_at": "2026-03-02T10:00",  # Israel time: 08:00 UTC
    "ends_at": "2026-04-01T00:00",  # 21:00 UTC the day before (IDT from March 27)
}


def _field_error(html: str, field: str) -> str:
    found = re.search(rf'id="{field}-error">([^<]*)<', html)
    assert found is not None, field
    return found.group(1)


def _value(html: str, field: str) -> str:
    found = re.search(rf'id="{field}" name="{field}" type="[a-z-]+" value="([^"]*)"', html)
    assert found is not None, field
    return found.group(1)


def test_a_seller_creates_lists_and_ends_its_own_promotions(
    client: TestClient, container: Container
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "shop@example.com", "IL")
    other = open_shop(client, ops, "other@example.com", "IL")
    _, offer_id = list_product(client, shop, price_minor=10000, stock=5)
    seller = {**shop.headers, **HTML}

    empty = client.get("/seller/promotions/new/coupon", headers=seller)
    assert empty.status_code == 200
    assert _value(empty.text, "starts_at") == "2026-03-02T11:00"  # now, in Israel
    assert _value(empty.text, "ends_at") == "2026-03-09T11:00"
    assert _value(empty.text, "per_buyer_limit") == "1"

    bad = {**COUPON, "value": "15.001", "total_quantity": "0", "ends_at": "2026-03-01T00:00"}
    bad |= {"code": "no spaces", "per_buyer_limit": "99999999999"}
    refused = client.post("/seller/promotions/new/coupon", headers=seller, data=bad)
    assert refused.status_code == 422
    assert _field_error(refused.text, "value") == "Enter an amount in ILS, such as 5.00."
    assert _field_error(refused.text, "total_quantity") == (
        "Enter a whole number from 1 to 10,000,000, or leave it empty."
    )
    assert _field_error(refused.text, "ends_at") == "The end must be after the start."
    assert _field_error(refused.text, "code") == (
        "Use 3 to 32 letters and digits, such as SPRING15."
    )
    assert _field_error(refused.text, "per_buyer_limit") == (
        "Enter a whole number from 1 to 10,000,000, or leave it empty."
    )
    assert 'aria-invalid="true"' in refused.text
    assert _value(refused.text, "value") == "15.001"  # the input kept
    assert _value(refused.text, "code") == "no spaces"
    assert "Minimum spend (in ILS)" in refused.text
    assert count(container, promotions) == 0  # a refusal creates nothing

    made = client.post(
        "/seller/promotions/new/coupon", headers=seller, data=COUPON, follow_redirects=False
    )
    assert made.status_code == 303, made.text
    assert made.headers["location"] == "/seller/promotions?notice=promotion_created"
    taken = client.post("/seller/promotions/new/coupon", headers=seller, data=COUPON)
    assert taken.status_code == 422
    assert _field_error(taken.text, "code") == "Another promotion uses this code. Choose another."
    assert count(container, promotions) == 1

    discount = {
        "name": "Launch week",
        "value_type": "percent",
        "value": "12.5",
        "per_buyer_limit": "",
        "starts_at": "2026-03-03T00:00",
        "ends_at": "2026-03-10T00:00",
    }
    made = client.post(
        "/seller/promotions/new/discount", headers=seller, data=discount, follow_redirects=False
    )
    assert made.status_code == 303, made.text

    api = client.get("/api/v1/promotions", headers=shop.headers).json()
    assert [(p["kind"], p["status"], p["uses_left"]) for p in api] == [
        ("item_discount", "scheduled", None),
        ("store_coupon", "active", 10),
    ]
    coupon, launch = api[1], api[0]
    assert (coupon["code"], coupon["amount_minor"], coupon["min_spend_minor"]) == (
        "SPRING15",
        1500,
        5000,
    )
    assert coupon["starts_at"] == "2026-03-02T08:00:00Z"
    assert coupon["ends_at"] == "2026-03-31T21:00:00Z"
    assert (launch["percent_bps"], launch["per_buyer_limit"]) == (1250, None)
    assert launch["starts_at"] == "2026-03-02T22:00:00Z"

    listed = client.get("/seller/promotions", headers=seller).text
    assert f'id="promotion-{coupon["id"]}-status">active<' in listed
    assert f'id="promotion-{launch["id"]}-status">scheduled<' in listed
    assert f'id="promotion-{coupon["id"]}-left">10<' in listed
    assert f'id="promotion-{coupon["id"]}-uses">0<' in listed
    assert f'id="promotion-{launch["id"]}-off">12.5%<' in listed
    assert f'id="promotion-{launch["id"]}-left">no limit<' in listed

    # Another shop neither sees nor ends it: 404, and nothing changes.
    stranger = {**other.headers, **HTML}
    assert coupon["id"] not in client.get("/seller/promotions", headers=stranger).text
    ended = client.post(f"/seller/promotions/{coupon['id']}/end", headers=stranger)
    assert ended.status_code == 404
    api_end = client.post(f"/api/v1/promotions/{coupon['id']}/end", headers=other.headers)
    assert (api_end.status_code, api_end.json()["code"]) == (404, "not_found")
    assert client.get("/api/v1/promotions", headers=shop.headers).json()[1]["status"] == "active"

    ended = client.post(
        f"/seller/promotions/{coupon['id']}/end", headers=seller, follow_redirects=False
    )
    assert ended.headers["location"] == "/seller/promotions?notice=promotion_ended"
    listed = client.get("/seller/promotions?notice=promotion_ended", headers=seller).text
    assert f'id="promotion-{coupon["id"]}-status">ended<' in listed
    again = client.post(f"/api/v1/promotions/{coupon['id']}/end", headers=shop.headers)
    assert (again.status_code, again.json()["code"]) == (409, "promotion_ended")
    with container.uow(read_only=True) as uow:
        row = uow.conn.execute(select(promotions).where(promotions.c.id == coupon["id"])).one()
    assert (row.active, row.ends_at) == (False, datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    # The checkout refuses the ended code as not valid now.
    buyer = register(client, "noa@example.com", country="IL")
    client.put(f"/api/v1/cart/lines/{offer_id}", headers=buyer, json={"quantity": 1})
    cart = client.get("/api/v1/cart?coupon_codes=SPRING15", headers=buyer)
    assert (cart.status_code, cart.json()["code"]) == (422, "coupon_not_applicable")
    with container.uow(read_only=True) as uow:  # a shop's own promotions: no operator action
        actions = list(uow.conn.scalars(select(audit_log.c.action).order_by(audit_log.c.id)))
    assert actions == ["seller.approve", "seller.approve"]


def test_the_operator_makes_and_ends_platform_coupons_with_a_reason(
    client: TestClient, container: Container
) -> None:
    ops = operator_headers(client, container)
    support = operator_token(container, StaffRole.SUPPORT, "support@example.com", "Support")
    support_html = {"Authorization": f"Bearer {support}", **HTML}
    admin = {**ops, **HTML}
    form = {**COUPON, "code": "WELCOME10", "currency": "ILS", "reason": ""}
    form |= {"value_type": "percent", "value": "10", "min_spend": "100"}

    page = client.get("/ops/promotions", headers=admin)
    assert page.status_code == 200
    assert 'id="promotions-empty"' in page.text
    assert client.get("/ops/promotions", headers=support_html).status_code == 200  # reads
    refused = client.post("/ops/promotions", headers=support_html, data=form)
    assert refused.status_code == 403
    assert "permission, which your staff role does not have" in refused.text

    no_reason = client.post("/ops/promotions", headers=admin, data=form)
    assert no_reason.status_code == 422
    assert _field_error(no_reason.text, "reason") == "Give a reason."
    assert _value(no_reason.text, "code") == "WELCOME10"
    bad_currency = client.post(
        "/ops/promotions", headers=admin, data={**form, "currency": "XXZ", "reason": "launch"}
    )
    assert bad_currency.status_code == 422
    assert _field_error(bad_currency.text, "currency") == "Choose a currency from the list."
    assert (count(container, promotions), count(container, audit_log)) == (0, 0)

    made = client.post(
        "/ops/promotions",
        headers=admin,
        data={**form, "reason": "spring launch"},
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    (coupon,) = client.get("/api/v1/promotions", headers=ops).json()
    assert (coupon["kind"], coupon["percent_bps"], coupon["min_spend_minor"]) == (
        "platform_coupon",
        1000,
        10000,
    )
    assert (coupon["currency"], coupon["status"], coupon["uses_left"]) == ("ILS", "active", 10)
    listed = client.get("/ops/promotions", headers=admin).text
    assert f'id="promotion-{coupon["id"]}-status">active<' in listed
    assert f'id="promotion-{coupon["id"]}-spend">' in listed

    end = f"/ops/promotions/{coupon['id']}/end"
    assert client.post(end, headers=support_html, data={"reason": "x"}).status_code == 403
    empty = client.post(end, headers=admin, data={"reason": " "})
    assert empty.status_code == 422
    assert _field_error(empty.text, f"reason-{coupon['id']}") == "Give a reason."
    ended = client.post(end, headers=admin, data={"reason": "budget spent"}, follow_redirects=False)
    assert ended.status_code == 303
    with container.uow(read_only=True) as uow:
        entries = uow.conn.execute(
            select(audit_log.c.action, audit_log.c.subject_id, audit_log.c.reason).order_by(
                audit_log.c.id
            )
        ).all()
        active = uow.conn.scalar(select(func.count()).where(promotions.c.active.is_(True)))
    assert [tuple(e) for e in entries] == [
        ("promotion.create", coupon["id"], "spring launch"),
        ("promotion.end", coupon["id"], "budget spent"),
    ]
    assert active == 0
    log = client.get("/ops/audit", headers=admin).text
    assert "Created a marketplace coupon" in log
    assert "Ended a marketplace coupon" in log
    # A seller cannot end a platform coupon: it is not theirs (404).
    shop = open_shop(client, ops, "shop@example.com", "IL")
    mine = client.post(f"/api/v1/promotions/{coupon['id']}/end", headers=shop.headers)
    assert mine.status_code == 404


def _inside(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:p|td)>', html, re.S)
    assert found is not None, element_id
    return re.sub(r"\s+", " ", re.sub(r"<(?!/?del)[^>]+>", "", found.group(1))).strip()


def test_a_discount_is_the_same_figure_on_every_page_in_the_api_and_at_checkout(
    client: TestClient, container: Container
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "shop@example.com", "IL")
    product_id, offer_id = list_product(
        client, shop, price_minor=9990, stock=5, title="Brass desk lamp"
    )
    discount = {"name": "Launch week", "value_type": "percent", "value": "12.5"}
    discount |= {"starts_at": "2026-03-02T00:00", "ends_at": "2026-03-10T00:00"}
    made = client.post(
        "/seller/promotions/new/discount",
        headers={**shop.headers, **HTML},
        data={**discount, "per_buyer_limit": "3"},
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    buyer = register(client, "noa@example.com", country="IL")
    page = {**buyer, **HTML}
    # 12.5% of 99.90 is 12.4875, half-even to 12.49 a unit: 87.41 to pay.
    product = client.get(f"/products/{product_id}", headers=page).text
    assert _inside(product, f"offer-price-{offer_id}") == (
        "Item: ₪87.41 instead of <del>₪99.90</del> (Launch week)"
    )
    found = client.get("/search", params={"q": "brass lamp"}, headers=page).text
    assert _inside(found, f"deal-{product_id}") == (
        "Item on discount: ₪87.41 instead of <del>₪99.90</del> (Launch week)"
    )
    client.put(f"/api/v1/cart/lines/{offer_id}", headers=buyer, json={"quantity": 2})
    api = client.get("/api/v1/cart", headers=buyer).json()
    (line,) = api["lines"]
    assert (line["unit_price_minor"], line["line_total_minor"], line["item_discount_minor"]) == (
        9990,
        19980,
        2498,
    )
    assert (api["total_minor"], api["discount_minor"], api["to_pay_minor"]) == (19980, 2498, 17482)
    cart = client.get("/cart", headers=page).text
    assert _inside(cart, f"unit-{offer_id}") == "₪87.41 instead of <del>₪99.90</del>"
    assert _inside(cart, f"total-{offer_id}") == "₪174.82 instead of <del>₪199.80</del>"
    placed = client.post(
        "/api/v1/checkouts",
        headers={**buyer, "Idempotency-Key": "lamp-1"},
        json={"ship_to": SHIP_TO, "lines": [{"offer_id": offer_id, "quantity": 2}]},
    )
    assert placed.status_code == 201, placed.text
    (order,) = placed.json()["orders"]
    assert [(d["kind"], d["name"], d["amount_minor"]) for d in order["discounts"]] == [
        ("item_discount", "Launch week", 2498)
    ]
    assert order["discount_minor"] == 2498
    assert order["items_minor"] - order["discount_minor"] == 17482
    # One unit left at the discount for this buyer (limit 3): the pages say so at once.
    after = client.get(f"/products/{product_id}", headers=page).text
    assert "₪87.41" in _inside(after, f"offer-price-{offer_id}")
    client.put(f"/api/v1/cart/lines/{offer_id}", headers=buyer, json={"quantity": 2})
    assert client.get("/api/v1/cart", headers=buyer).json()["lines"][0]["item_discount_minor"] == (
        1249
    )
    assert _inside(client.get("/cart", headers=page).text, f"unit-{offer_id}") == "₪99.90"
