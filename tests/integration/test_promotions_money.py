"""Promotions end to end: who pays for each discount, in ILS, JPY and KWD, on both databases.

One cart over two shops of the buyer's country: shop A has an item discount (10% a unit), a
store promotion ("X off every Y spent") and a store coupon; the operator's platform coupon
spans both orders and is split by largest remainder. Every figure is asserted exactly: what
the buyer pays, each seller's revenue, the commission (8% of what the buyer paid plus the
platform-funded part), the platform's promotion cost and each payout; then a partial refund
after payout and its clawback (the refund plus its share of the platform's funding).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.api import assert_problem, register
from tests.support.market import Shop, address_in, list_product, open_shop, operator_headers
from tests.support.money_flow import assert_ledger_ok, pay
from tradewind.bootstrap import Container
from tradewind.kernel.clock import ManualClock
from tradewind.ledger import domain as ledger
from tradewind.ledger.service import balance


@dataclass(frozen=True)
class Example:
    country: str
    currency: str
    price_a: int  # shop A's unit price (2 bought), minor units
    price_b: int  # shop B's unit price (1 bought)
    every: tuple[int, int]  # store promotion: off, for every threshold spent
    store_coupon: int  # off, minimum spend = price_a
    platform_coupon: int  # off, minimum spend = price_a
    refund: int  # after payout, of shop A's order
    # expected
    paid_a: int
    paid_b: int
    platform_a: int
    platform_b: int
    commission_a: int
    commission_b: int
    clawback_platform: int


EXAMPLES = [
    # ILS: 2 x 100.00 - 10% = 180.00; -20.00 per 100.00 -> 160.00; coupon -5.00 -> 155.00;
    # B 50.00. Platform 15.00 over 205.00: A 11.34146 -> 11.34, B 3.65854 -> 3.66 (largest
    # remainder). A pays 143.66, B 46.34; commission 8% of 155.00 = 12.40 and of 50.00 = 4.00.
    # Refund 30.00 of A after payout: 11.34 x 3000/14366 = 2.368 -> 2.37 back to the platform.
    Example(
        "IL",
        "ILS",
        10000,
        5000,
        (2000, 10000),
        500,
        1500,
        3000,
        14366,
        4634,
        1134,
        366,
        1240,
        400,
        237,
    ),
    # JPY (no minor unit): 2 x 4,980 - 10% (498) = 8,964; -500 per 3,000 -> x2 = -1,000 ->
    # 7,964; coupon -300 -> 7,664; B 2,000. Platform 1,000 over 9,664: A 793.05 -> 793,
    # B 206.95 -> 207. A pays 6,871, B 1,793; commission 8% of 7,664 = 613.12 -> 613, of
    # 2,000 = 160. Refund 2,000 after payout: 793 x 2000/6871 = 230.8 -> 231.
    Example(
        "JP",
        "JPY",
        4980,
        2000,
        (500, 3000),
        300,
        1000,
        2000,
        6871,
        1793,
        793,
        207,
        613,
        160,
        231,
    ),
    # KWD (3 decimals): 2 x 12.345 - 10% (1.2345 -> 1.234, half-even) = 22.222; -1.500 per
    # 10.000 -> x2 = -3.000 -> 19.222; coupon -0.750 -> 18.472; B 17.777. Platform 2.500
    # over 36.249: A 1.273966 -> 1.274, B 1.226034 -> 1.226. A pays 17.198, B 16.551;
    # commission 8% of 18.472 = 1.47776 -> 1.478, of 17.777 = 1.42216 -> 1.422. Refund 5.000
    # after payout: 1.274 x 5000/17198 = 0.37039 -> 0.370.
    Example(
        "KW",
        "KWD",
        12345,
        17777,
        (1500, 10000),
        750,
        2500,
        5000,
        17198,
        16551,
        1274,
        1226,
        1478,
        1422,
        370,
    ),
]


def _promotion(client: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    window = {"starts_at": "2020-01-01T00:00:00Z", "ends_at": "2099-01-01T00:00:00Z"}
    made = client.post("/api/v1/promotions", headers=headers, json={**window, **body})
    assert made.status_code == 201, made.text
    return made.json()  # type: ignore[no-any-return]


def _shops(client: TestClient, ops: dict[str, str], ex: Example) -> tuple[Shop, Shop]:
    return (
        open_shop(client, ops, f"a.{ex.currency.lower()}@example.com", ex.country),
        open_shop(client, ops, f"b.{ex.currency.lower()}@example.com", ex.country),
    )


def _set_up(
    client: TestClient, container: Container, ex: Example
) -> tuple[dict[str, str], Shop, Shop, str, str, dict[str, str]]:
    ops = operator_headers(client, container)
    shop_a, shop_b = _shops(client, ops, ex)
    assert (shop_a.currency, shop_b.currency) == (ex.currency, ex.currency)
    _, offer_a = list_product(client, shop_a, price_minor=ex.price_a, stock=10)
    _, offer_b = list_product(client, shop_b, price_minor=ex.price_b, stock=10)
    _promotion(client, shop_a.headers, kind="item_discount", name="Cable week", percent_bps=1000)
    off, every = ex.every
    _promotion(
        client,
        shop_a.headers,
        kind="store_promotion",
        name="Spend and save",
        tiers=[[every, off]],
        repeat=True,
    )
    _promotion(
        client,
        shop_a.headers,
        kind="store_coupon",
        name="Shop A coupon",
        code=f"SHOPA{ex.currency}",
        amount_minor=ex.store_coupon,
        min_spend_minor=ex.price_a,
        total_quantity=100,
    )
    _promotion(
        client,
        ops,
        kind="platform_coupon",
        name="Tradewind welcome",
        code=f"TW{ex.currency}",
        amount_minor=ex.platform_coupon,
        min_spend_minor=ex.price_a,
        currency=ex.currency,
        total_quantity=100,
    )
    buyer = register(client, f"buyer.{ex.currency.lower()}@example.com", country=ex.country)
    return ops, shop_a, shop_b, offer_a, offer_b, buyer


def _checkout(
    client: TestClient, buyer: dict[str, str], ex: Example, offer_a: str, offer_b: str
) -> dict[str, Any]:
    placed = client.post(
        "/api/v1/checkouts",
        headers={**buyer, "Idempotency-Key": f"promo-{ex.currency}"},
        json={
            "ship_to": address_in(ex.country),
            "lines": [
                {"offer_id": offer_a, "quantity": 2},
                {"offer_id": offer_b, "quantity": 1},
            ],
            "coupon_codes": [f"shopa{ex.currency}", f" TW{ex.currency} "],
        },
    )
    assert placed.status_code == 201, placed.text
    return placed.json()  # type: ignore[no-any-return]


def _bal(container: Container, account: str) -> int:
    with container.uow(read_only=True) as uow:
        return balance(uow, account)


@pytest.mark.parametrize("ex", EXAMPLES, ids=[e.currency for e in EXAMPLES])
def test_worked_example(
    client: TestClient, container: Container, clock: ManualClock, ex: Example
) -> None:
    ops, shop_a, shop_b, offer_a, offer_b, buyer = _set_up(client, container, ex)
    checkout = _checkout(client, buyer, ex, offer_a, offer_b)
    order_a, order_b = checkout["orders"]
    assert (order_a["seller_id"], order_b["seller_id"]) == (shop_a.seller_id, shop_b.seller_id)
    assert (order_a["total_minor"], order_b["total_minor"]) == (ex.paid_a, ex.paid_b)
    assert checkout["total_minor"] == ex.paid_a + ex.paid_b
    item_off = 2 * (ex.price_a - (ex.price_a - _percent(ex.price_a, 1000)))
    left = 2 * ex.price_a - item_off
    store_off = (left // ex.every[1]) * ex.every[0]
    assert [(d["kind"], d["amount_minor"], d["funder"]) for d in order_a["discounts"]] == [
        ("item_discount", item_off, "seller"),
        ("store_promotion", store_off, "seller"),
        ("store_coupon", ex.store_coupon, "seller"),
        ("platform_coupon", ex.platform_a, "platform"),
    ]
    assert [(d["kind"], d["amount_minor"]) for d in order_b["discounts"]] == [
        ("platform_coupon", ex.platform_b)
    ]
    assert ex.platform_a + ex.platform_b == ex.platform_coupon
    assert order_a["discount_minor"] == 2 * ex.price_a - ex.paid_a
    # The order API shows the same lines as the checkout answered.
    detail = client.get(f"/api/v1/orders/{order_a['id']}", headers=buyer).json()
    assert detail["discounts"] == order_a["discounts"]
    assert detail["total_minor"] == ex.paid_a

    pay(client, container, clock, buyer, checkout["id"])
    for order, shop in ((order_a, shop_a), (order_b, shop_b)):
        shipped = client.post(f"/api/v1/orders/{order['id']}/ship", headers=shop.headers, json={})
        assert shipped.status_code == 201, shipped.text
        confirmed = client.post(f"/api/v1/orders/{order['id']}/confirm-receipt", headers=buyer)
        assert confirmed.status_code == 200, confirmed.text

    revenue_a = ex.paid_a + ex.platform_a - ex.commission_a
    revenue_b = ex.paid_b + ex.platform_b - ex.commission_b
    assert _bal(container, ledger.seller_payable(shop_a.seller_id)) == -revenue_a
    assert _bal(container, ledger.seller_payable(shop_b.seller_id)) == -revenue_b
    commission = ledger.platform_commission(ex.currency)
    assert _bal(container, commission) == -(ex.commission_a + ex.commission_b)
    assert _bal(container, ledger.platform_promotions(ex.currency)) == ex.platform_coupon
    assert _bal(container, ledger.order_escrow(order_a["id"])) == 0

    paid = client.post("/api/v1/ops/payouts/run", headers=ops, json={"batch": "p1"}).json()
    assert sorted(p["amount_minor"] for p in paid) == sorted([revenue_a, revenue_b])

    refund = client.post(
        f"/api/v1/orders/{order_a['id']}/refunds",
        headers={**ops, "Idempotency-Key": f"r-{ex.currency}"},
        json={"amount_minor": ex.refund, "reason": "one part missing"},
    )
    assert refund.status_code == 201, refund.text
    owed = ex.refund + ex.clawback_platform
    assert _bal(container, ledger.seller_receivable(shop_a.seller_id)) == owed
    assert _bal(container, ledger.platform_promotions(ex.currency)) == (
        ex.platform_coupon - ex.clawback_platform
    )
    assert _bal(container, commission) == -(ex.commission_a + ex.commission_b)
    assert_ledger_ok(container)

    spend = client.get("/api/v1/promotions", headers=ops).json()
    assert [(p["code"], p["used_count"], p["platform_cost_minor"]) for p in spend] == [
        (f"TW{ex.currency}", 1, ex.platform_coupon)
    ]
    mine = client.get("/api/v1/promotions", headers=shop_a.headers).json()
    assert {p["kind"]: p["seller_cost_minor"] for p in mine} == {
        "item_discount": item_off,
        "store_promotion": store_off,
        "store_coupon": ex.store_coupon,
    }
    _ledger_check_knows_the_promotion_accounts(container, ex, order_b["id"])


def _ledger_check_knows_the_promotion_accounts(
    container: Container, ex: Example, order_id: str
) -> None:
    """One more unit of funding for an order: ``ledger check`` names the order and both
    figures (rule 7; the overfilled escrow and the running balances not yet applied at commit
    are breaches of their own)."""
    from tradewind.escrow.checks import check_ledger
    from tradewind.ledger.service import post
    from tradewind.money.amount import Money

    with container.uow() as uow:
        extra = ledger.promotion_funding(order_id, Money(1, ex.currency), "tamper")
        post(uow, extra, order_id=order_id)
        named = [b for b in check_ledger(uow) if b.startswith(f"order {order_id}: ")]
        assert named == [
            f"order {order_id}: the platform funded {ex.platform_b + 1} of its discounts, "
            f"more than the {ex.platform_b} its discount lines say"
        ]


def _percent(amount: int, bps: int) -> int:
    from tradewind.money.rounding import apply_bps

    return apply_bps(amount, bps)


def _counts(container: Container) -> tuple[int, int, int]:
    from sqlalchemy import func, select

    from tradewind.db.tables.ordering import orders
    from tradewind.db.tables.promotions import promotion_redemptions, promotions

    with container.uow(read_only=True) as uow:
        return (
            int(uow.conn.scalar(select(func.count()).select_from(orders))),
            int(uow.conn.scalar(select(func.count()).select_from(promotion_redemptions))),
            int(uow.conn.scalar(select(func.sum(promotions.c.used_count)))),
        )


def test_refused_coupons_and_promotions_change_nothing(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    ex = EXAMPLES[0]
    ops, shop_a, _, offer_a, _, buyer = _set_up(client, container, ex)
    _promotion(
        client,
        ops,
        kind="platform_coupon",
        name="Big spenders",
        code="BIG",
        amount_minor=100,
        min_spend_minor=10**9,
        currency="ILS",
    )
    _promotion(
        client,
        ops,
        kind="platform_coupon",
        name="Dollars",
        code="USDONLY",
        amount_minor=100,
        currency="USD",
    )
    put = client.put(f"/api/v1/cart/lines/{offer_a}", headers=buyer, json={"quantity": 1})
    assert put.status_code == 200, put.text
    before = _counts(container)
    for codes, status, code in (
        (["NOSUCH"], 404, "coupon_not_found"),
        (["BIG"], 422, "coupon_not_applicable"),
        (["USDONLY"], 422, "coupon_not_applicable"),
    ):
        refused = client.post(
            "/api/v1/checkouts",
            headers={**buyer, "Idempotency-Key": f"bad-{codes[0]}"},
            json={
                "ship_to": address_in(ex.country),
                "lines": [{"offer_id": offer_a, "quantity": 1}],
                "coupon_codes": codes,
            },
        )
        assert_problem(refused, status, code)
        cart = client.get("/api/v1/cart", params={"coupon_codes": codes}, headers=buyer)
        assert_problem(cart, status, code)
    assert _counts(container) == before

    bad = client.post(
        "/api/v1/promotions",
        headers=shop_a.headers,
        json={
            "kind": "platform_coupon",
            "name": "",
            "starts_at": "2026-01-02T00:00:00Z",
            "ends_at": "2026-01-01T00:00:00Z",
        },
    )
    body = assert_problem(bad, 422, "invalid_promotion")
    assert [e["field"] for e in body["errors"]] == ["kind"]
    taken = client.post(
        "/api/v1/promotions",
        headers=shop_a.headers,
        json={
            "kind": "store_coupon",
            "name": "Again",
            "code": "tw" + ex.currency,
            "amount_minor": 100,
            "starts_at": "2026-01-01T00:00:00Z",
            "ends_at": "2026-01-02T00:00:00Z",
        },
    )
    body = assert_problem(taken, 422, "invalid_promotion")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("code", "code_taken")]
    assert _counts(container) == before


def test_a_coupon_on_a_cancelled_checkout_goes_back_to_the_buyer(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    ex = EXAMPLES[0]
    _, _, _, offer_a, offer_b, buyer = _set_up(client, container, ex)
    checkout = _checkout(client, buyer, ex, offer_a, offer_b)
    # two orders; the store and the platform coupon are used (the item discount has no limit)
    assert _counts(container) == (2, 2, 2)
    again = client.post(
        "/api/v1/checkouts",
        headers={**buyer, "Idempotency-Key": "second"},
        json={
            "ship_to": address_in(ex.country),
            "lines": [{"offer_id": offer_a, "quantity": 1}],
            "coupon_codes": [f"TW{ex.currency}"],
        },
    )
    assert_problem(again, 409, "coupon_limit_reached")
    cancelled = client.post(f"/api/v1/checkouts/{checkout['id']}/cancel", headers=buyer)
    assert cancelled.status_code == 200, cancelled.text
    assert _counts(container)[2] == 0
    third = client.post(
        "/api/v1/checkouts",
        headers={**buyer, "Idempotency-Key": "third"},
        json={
            "ship_to": address_in(ex.country),
            "lines": [{"offer_id": offer_a, "quantity": 2}],
            "coupon_codes": [f"TW{ex.currency}"],
        },
    )
    assert third.status_code == 201, third.text
    assert [d["kind"] for d in third.json()["orders"][0]["discounts"]] == [
        "item_discount",
        "store_promotion",
        "platform_coupon",
    ]


def _coupon_states(container: Container) -> dict[str, tuple[str, int]]:
    from sqlalchemy import select

    from tradewind.db.tables.promotions import promotion_redemptions, promotions

    with container.uow(read_only=True) as uow:
        rows = uow.conn.execute(
            select(promotions.c.kind, promotion_redemptions.c.status, promotions.c.used_count)
            .join(promotions, promotions.c.id == promotion_redemptions.c.promotion_id)
            .order_by(promotions.c.kind)
        ).all()
    return {r.kind: (r.status, r.used_count) for r in rows}


def test_a_dispute_refunded_in_full_gives_its_coupon_back_and_a_partial_one_does_not(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    ex = EXAMPLES[0]
    ops, shop_a, shop_b, offer_a, offer_b, buyer = _set_up(client, container, ex)
    checkout = _checkout(client, buyer, ex, offer_a, offer_b)
    order_a, order_b = checkout["orders"]
    pay(client, container, clock, buyer, checkout["id"])
    disputes = {}
    for order, shop in ((order_a, shop_a), (order_b, shop_b)):
        shipped = client.post(f"/api/v1/orders/{order['id']}/ship", headers=shop.headers, json={})
        assert shipped.status_code == 201, shipped.text
        opened = client.post(
            f"/api/v1/orders/{order['id']}/disputes",
            headers=buyer,
            json={"reason": "damaged", "message": "The box was crushed."},
        )
        assert opened.status_code == 201, opened.text
        disputes[order["id"]] = opened.json()["id"]
    used = {"platform_coupon": ("used", 1), "store_coupon": ("used", 1)}
    assert _coupon_states(container) == used
    partial = client.post(
        f"/api/v1/disputes/{disputes[order_b['id']]}/resolve",
        headers=ops,
        json={"resolution": "refund_partial", "refund_minor": 100, "note": "one part"},
    )
    assert partial.status_code == 200, partial.text
    assert _coupon_states(container) == used
    full = client.post(
        f"/api/v1/disputes/{disputes[order_a['id']]}/resolve",
        headers=ops,
        json={"resolution": "refund_full", "note": "broken"},
    )
    assert full.status_code == 200, full.text
    # The store coupon gave only order A a discount: it comes back. The platform coupon also
    # gave order B one, which is not void: it stays used.
    assert _coupon_states(container) == {
        "platform_coupon": ("used", 1),
        "store_coupon": ("returned", 0),
    }
    assert_ledger_ok(container)
