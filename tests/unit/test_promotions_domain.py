"""Promotions pricing: the one stacking order, exclusions, rounding, splits and funding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tradewind.kernel.errors import Conflict, InvalidInput, NotFound
from tradewind.promotions.domain import (
    STACKING_ORDER,
    Context,
    Kind,
    Line,
    Promotion,
    Tier,
    check_promotion,
    price,
)

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def promo(pid: str, kind: Kind, seller: str | None = "s1", **kw: Any) -> Promotion:
    base: dict[str, Any] = {
        "id": pid,
        "kind": kind,
        "name": pid,
        "currency": "ILS",
        "starts_at": NOW - timedelta(days=1),
        "ends_at": NOW + timedelta(days=1),
        "seller_id": seller,
    }
    return Promotion(**(base | kw))


def ctx(*promotions: Promotion, codes: tuple[str, ...] = (), **kw: Any) -> Context:
    return Context("ILS", NOW, promotions, frozenset(codes), **kw)


def test_the_order_of_application_is_data() -> None:
    assert STACKING_ORDER == (
        Kind.ITEM_DISCOUNT,
        Kind.STORE_PROMOTION,
        Kind.STORE_COUPON,
        Kind.PLATFORM_COUPON,
    )


def test_each_kind_discounts_what_the_kinds_before_it_left() -> None:
    promotions = (
        promo("p4", Kind.PLATFORM_COUPON, None, percent_bps=1000, code="TW10"),
        promo("p3", Kind.STORE_COUPON, percent_bps=1000, code="SHOP10"),
        promo("p2", Kind.STORE_PROMOTION, tiers=(Tier(10000, 1000),), repeat=True),
        promo("p1", Kind.ITEM_DISCOUNT, percent_bps=1000),
    )
    priced = price([Line("o1", "s1", 10000, 3)], ctx(*promotions, codes=("TW10", "SHOP10")))
    order = priced.orders["s1"]
    # 30000 -10% = 27000; -10.00 per 100.00 twice = 25000; -10% = 22500; -10% = 20250
    assert [(d.kind, d.amount_minor) for d in order.lines] == [
        (Kind.ITEM_DISCOUNT, 3000),
        (Kind.STORE_PROMOTION, 2000),
        (Kind.STORE_COUPON, 2500),
        (Kind.PLATFORM_COUPON, 2250),
    ]
    assert order.discount_minor == 9750
    assert (order.platform_minor, order.seller_funded_minor) == (2250, 7500)
    assert order.line_discounts == {"o1": 9750}


def test_a_flash_price_takes_no_other_discount() -> None:
    promotions = (
        promo("p1", Kind.ITEM_DISCOUNT, percent_bps=5000),
        promo("p4", Kind.PLATFORM_COUPON, None, amount_minor=500, code="TW5"),
    )
    lines = [Line("flash", "s1", 1000, 1, stackable=False), Line("o2", "s1", 2000, 1)]
    priced = price(lines, ctx(*promotions, codes=("TW5",)))
    assert priced.orders["s1"].line_discounts == {"flash": 0, "o2": 1500}


def test_percentages_round_half_even_once_per_unit() -> None:
    # 12.5% of 1 unit of 0.12 ILS is 1.5 agorot: half-even -> 2; of 0.04 -> 0.5 -> 0.
    p = promo("p1", Kind.ITEM_DISCOUNT, percent_bps=1250)
    priced = price([Line("a", "s1", 12, 2), Line("b", "s1", 4, 1)], ctx(p))
    assert priced.orders["s1"].line_discounts == {"a": 4, "b": 0}


def test_the_platform_coupon_splits_across_shops_by_largest_remainder() -> None:
    coupon = promo("p4", Kind.PLATFORM_COUPON, None, amount_minor=100, code="TW")
    lines = [Line("a", "s1", 1000, 1), Line("b", "s2", 1000, 1), Line("c", "s3", 1000, 1)]
    priced = price(lines, ctx(coupon, codes=("TW",)))
    assert [priced.orders[s].discount_minor for s in ("s1", "s2", "s3")] == [34, 33, 33]


def test_a_cofunding_seller_pays_its_share_of_its_part() -> None:
    coupon = promo(
        "p4", Kind.PLATFORM_COUPON, None, amount_minor=1000, code="TW", cofund_bps={"s2": 3000}
    )
    lines = [Line("a", "s1", 5000, 1), Line("b", "s2", 5000, 1)]
    priced = price(lines, ctx(coupon, codes=("TW",)))
    assert [
        (d.seller_id, d.amount_minor, d.platform_minor)
        for o in priced.orders.values()
        for d in o.lines
    ] == [("s1", 500, 500), ("s2", 500, 350)]


def test_the_best_tier_reached_applies() -> None:
    tiers = (Tier(5000, 300), Tier(10000, 800), Tier(20000, 2000))
    p = promo("p2", Kind.STORE_PROMOTION, tiers=tiers)
    assert price([Line("a", "s1", 15000, 1)], ctx(p)).orders["s1"].discount_minor == 800
    assert price([Line("a", "s1", 4999, 1)], ctx(p)).orders["s1"].discount_minor == 0


def test_an_item_discount_limit_per_buyer_counts_units() -> None:
    p = promo("p1", Kind.ITEM_DISCOUNT, amount_minor=100, per_buyer_limit=3)
    priced = price([Line("a", "s1", 1000, 5)], ctx(p, used_by_buyer={"p1": 1}))
    assert priced.orders["s1"].discount_minor == 200
    assert [(u.promotion_id, u.units, u.counts_total) for u in priced.uses] == [("p1", 2, False)]


def test_free_shipping_from_what_the_buyer_pays_for_the_shop() -> None:
    threshold = promo("f", Kind.FREE_SHIPPING, min_spend_minor=10000)
    discount = promo("p1", Kind.ITEM_DISCOUNT, amount_minor=1)
    assert price([Line("a", "s1", 10000, 1)], ctx(threshold)).orders["s1"].free_shipping
    assert (
        not price([Line("a", "s1", 10000, 1)], ctx(threshold, discount)).orders["s1"].free_shipping
    )


@pytest.mark.parametrize(
    ("coupon", "used", "error", "code"),
    [
        ({"ends_at": NOW}, {}, InvalidInput, "coupon_not_applicable"),
        ({"min_spend_minor": 10**6}, {}, InvalidInput, "coupon_not_applicable"),
        ({"total_quantity": 5, "used_count": 5}, {}, Conflict, "coupon_exhausted"),
        ({"per_buyer_limit": 1}, {"c": 1}, Conflict, "coupon_limit_reached"),
        ({"seller_id": "other"}, {}, InvalidInput, "coupon_not_applicable"),
    ],
)
def test_an_entered_code_that_gives_nothing_is_refused_with_its_reason(
    coupon: dict[str, Any], used: dict[str, int], error: type[Exception], code: str
) -> None:
    c = promo("c", Kind.STORE_COUPON, amount_minor=100, code="CODE", **coupon)
    with pytest.raises(error) as raised:
        price([Line("a", "s1", 1000, 1)], ctx(c, codes=("CODE",), used_by_buyer=used))
    assert raised.value.code == code  # type: ignore[attr-defined]


def test_an_unknown_code_is_not_found() -> None:
    with pytest.raises(NotFound) as raised:
        price([Line("a", "s1", 1000, 1)], ctx(codes=("NOPE",)))
    assert raised.value.code == "coupon_not_found"


def test_a_platform_coupon_applies_only_to_carts_in_its_currency() -> None:
    c = promo("c", Kind.PLATFORM_COUPON, None, amount_minor=100, code="USD1", currency="USD")
    with pytest.raises(InvalidInput):
        price([Line("a", "s1", 1000, 1)], ctx(c, codes=("USD1",)))


def test_a_sellers_amount_in_its_currency_is_converted_for_the_buyer() -> None:
    p = promo("p1", Kind.ITEM_DISCOUNT, amount_minor=100, currency="JPY")
    context = ctx(p, to_buyer=lambda _seller, yen: yen * 2)
    assert price([Line("a", "s1", 1000, 1)], context).orders["s1"].discount_minor == 200


def test_every_problem_of_a_promotion_is_reported_by_field() -> None:
    bad = promo(
        "x",
        Kind.STORE_COUPON,
        name="",
        ends_at=NOW - timedelta(days=2),
        percent_bps=20000,
        code="no spaces",
        total_quantity=0,
    )
    assert [(e.field, e.code) for e in check_promotion(bad)] == [
        ("name", "invalid_length"),
        ("ends_at", "invalid_window"),
        ("percent_bps", "out_of_range"),
        ("code", "invalid_code"),
        ("total_quantity", "out_of_range"),
    ]
    assert check_promotion(promo("ok", Kind.STORE_COUPON, amount_minor=1, code="OK1")) == []
