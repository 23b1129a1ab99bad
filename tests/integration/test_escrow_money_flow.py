"""Payments, escrow, releases, refunds, disputes and payouts, end to end, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.support.api import assert_problem, register
from tests.support.market import add_fx, list_product, open_shop, operator_headers
from tests.support.money_flow import (
    advance,
    assert_ledger_ok,
    buy,
    deliver_all,
    pay,
    set_parcel_fate,
)
from tradewind.bootstrap import Container
from tradewind.kernel.clock import ManualClock
from tradewind.ledger import domain as ledger
from tradewind.ledger.service import balance
from tradewind.logistics.routes import route_script
from tradewind.logistics.shipping import REGISTERED_SMALL_PACKET
from tradewind.payments.sandbox import CARD_CHALLENGE, CARD_DECLINED
from tradewind.timers.service import run_due


def _balance(container: Container, account: str) -> int:
    with container.uow(read_only=True) as uow:
        return balance(uow, account)


def _run_timers(container: Container) -> int:
    return run_due(container.uow, container.timer_handlers)


def test_100_usd_order_with_8_percent_commission(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "us@example.com", "US")
    _, offer_id = list_product(client, shop, price_minor=10000, stock=5)
    buyer = register(client, "noa@example.com", country="US")
    checkout = buy(client, buyer, offer_id)
    order_id = checkout["orders"][0]["id"]

    payment = pay(client, container, clock, buyer, checkout["id"])
    assert (payment["status"], payment["captured_minor"]) == ("captured", 10000)
    assert client.get(f"/api/v1/orders/{order_id}", headers=buyer).json()["status"] == (
        "AWAITING_SHIPMENT"
    )
    assert _balance(container, ledger.order_escrow(order_id)) == -10000
    assert _balance(container, ledger.psp_clearing("USD")) == 10000

    shipped = client.post(f"/api/v1/orders/{order_id}/ship", headers=shop.headers, json={})
    assert shipped.status_code == 201, shipped.text
    assert shipped.json()["tracking_number"].endswith("US")
    confirmed = client.post(f"/api/v1/orders/{order_id}/confirm-receipt", headers=buyer)
    assert confirmed.json() == {"id": order_id, "status": "COMPLETED"}

    assert _balance(container, ledger.order_escrow(order_id)) == 0
    assert _balance(container, ledger.seller_payable(shop.seller_id)) == -9200
    assert _balance(container, ledger.platform_commission("USD")) == -800
    balances = client.get("/api/v1/sellers/me/balances", headers=shop.headers).json()
    assert balances == {
        "currency": "USD",
        "held_in_escrow_minor": 0,
        "available_minor": 9200,
        "paid_out_minor": 0,
        "owed_minor": 0,
    }
    again = client.post(f"/api/v1/orders/{order_id}/confirm-receipt", headers=buyer)
    assert_problem(again, 409, "illegal_transition")
    assert _balance(container, ledger.seller_payable(shop.seller_id)) == -9200
    assert_ledger_ok(container)


def test_jpy_order_paid_in_ils(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "jp@example.com", "JP")
    add_fx(container, "JPY", "ILS", "0.0236", spread_bps=150)
    add_fx(container, "USD", "ILS", "3.7")  # customs thresholds in Israel are set in USD
    _, offer_id = list_product(client, shop, price_minor=12345, stock=5)
    buyer = register(client, "noa@example.com", country="IL")
    checkout = buy(client, buyer, offer_id)
    order_id = checkout["orders"][0]["id"]
    # JPY 12,345 x 0.0236 x 1.015 = ILS 295.71213 -> 295.71 (half-even)
    assert (checkout["currency"], checkout["total_minor"]) == ("ILS", 29571)
    pay(client, container, clock, buyer, checkout["id"])
    client.post(f"/api/v1/orders/{order_id}/ship", headers=shop.headers, json={})
    client.post(f"/api/v1/orders/{order_id}/confirm-receipt", headers=buyer)
    # The seller gets its own price in JPY less 8% (987.6 -> 988, half-even). The platform's FX
    # position takes the buyer's ILS in and funds the JPY out: each currency balances alone.
    assert _balance(container, ledger.seller_payable(shop.seller_id)) == -11357
    assert _balance(container, ledger.platform_commission("JPY")) == -988
    assert _balance(container, ledger.platform_fx("ILS")) == -29571
    assert _balance(container, ledger.platform_fx("JPY")) == 12345
    assert_ledger_ok(container)


def test_partial_refund_after_payout_is_netted_from_next_payout(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "us@example.com", "US")
    _, offer_id = list_product(client, shop, price_minor=10000, stock=5)
    buyer = register(client, "noa@example.com", country="US")
    first = buy(client, buyer, offer_id, key="first")
    first_order = first["orders"][0]["id"]
    pay(client, container, clock, buyer, first["id"])
    client.post(f"/api/v1/orders/{first_order}/ship", headers=shop.headers, json={})
    client.post(f"/api/v1/orders/{first_order}/confirm-receipt", headers=buyer)
    paid = client.post("/api/v1/ops/payouts/run", headers=ops, json={"batch": "day-1"}).json()
    assert [(p["amount_minor"], p["netted_minor"]) for p in paid] == [(9200, 0)]
    rerun = client.post("/api/v1/ops/payouts/run", headers=ops, json={"batch": "day-1"})
    assert rerun.json() == []

    refund = client.post(
        f"/api/v1/orders/{first_order}/refunds",
        headers={**ops, "Idempotency-Key": "r1"},
        json={"amount_minor": 3000, "reason": "one part missing"},
    )
    assert refund.status_code == 201, refund.text
    replay = client.post(
        f"/api/v1/orders/{first_order}/refunds",
        headers={**ops, "Idempotency-Key": "r1"},
        json={"amount_minor": 3000, "reason": "one part missing"},
    )
    assert replay.headers["idempotent-replayed"] == "true"
    assert _balance(container, ledger.seller_receivable(shop.seller_id)) == 3000
    payment = client.get(f"/api/v1/checkouts/{first['id']}/payment", headers=buyer).json()
    assert (payment["status"], payment["refunded_minor"]) == ("partially_refunded", 3000)

    second = buy(client, buyer, offer_id, key="second")
    second_order = second["orders"][0]["id"]
    pay(client, container, clock, buyer, second["id"])
    client.post(f"/api/v1/orders/{second_order}/ship", headers=shop.headers, json={})
    client.post(f"/api/v1/orders/{second_order}/confirm-receipt", headers=buyer)
    paid = client.post("/api/v1/ops/payouts/run", headers=ops, json={"batch": "day-2"}).json()
    assert [(p["amount_minor"], p["netted_minor"]) for p in paid] == [(6200, 3000)]
    assert _balance(container, ledger.seller_receivable(shop.seller_id)) == 0
    assert _balance(container, ledger.seller_payable(shop.seller_id)) == 0
    balances = client.get("/api/v1/sellers/me/balances", headers=shop.headers).json()
    assert (balances["paid_out_minor"], balances["owed_minor"]) == (15400, 0)
    assert_ledger_ok(container)


def test_declined_then_challenge_card(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "us@example.com", "US")
    _, offer_id = list_product(client, shop, price_minor=2500, stock=5)
    buyer = register(client, "noa@example.com", country="US")
    checkout = buy(client, buyer, offer_id)
    declined = pay(client, container, clock, buyer, checkout["id"], CARD_DECLINED)
    assert declined["status"] == "failed"
    started = client.post(
        f"/api/v1/checkouts/{checkout['id']}/payment", headers={**buyer, "Idempotency-Key": "retry"}
    ).json()
    assert started["status"] == "pending"
    page = client.post(
        started["redirect_url"], data={"card_number": CARD_CHALLENGE}, follow_redirects=False
    )
    assert page.headers["location"] == started["redirect_url"]
    challenge = client.get(started["redirect_url"])
    assert "Confirm it is you" in challenge.text
    done = client.post(
        f"{started['redirect_url']}/challenge", data={"outcome": "pass"}, follow_redirects=False
    )
    assert done.headers["location"] == f"/checkouts/{checkout['id']}"
    deliver_all(client, container, clock)
    payment = client.get(f"/api/v1/checkouts/{checkout['id']}/payment", headers=buyer).json()
    assert (payment["status"], payment["captured_minor"]) == ("captured", 2500)
    assert_ledger_ok(container)


def test_webhook_signature_is_required(client: TestClient) -> None:
    body = b'{"id":"evt_x","type":"payment.captured","data":{}}'
    assert_problem(client.post("/api/v1/webhooks/sandbox-psp", content=body), 401, "bad_signature")
    forged = client.post(
        "/api/v1/webhooks/sandbox-psp", content=body, headers={"Sandbox-Signature": "t=1,v1=00"}
    )
    assert_problem(forged, 401, "stale_signature")


def test_auto_confirm_extension_and_finalize(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "us@example.com", "US")
    _, offer_id = list_product(client, shop, price_minor=5000, stock=5)
    buyer = register(client, "noa@example.com", country="US")
    checkout = buy(client, buyer, offer_id)
    order_id = checkout["orders"][0]["id"]
    pay(client, container, clock, buyer, checkout["id"])
    shipped = client.post(f"/api/v1/orders/{order_id}/ship", headers=shop.headers, json={})
    set_parcel_fate(container, shipped.json()["tracking_number"], "happy_path")
    early = client.post(f"/api/v1/orders/{order_id}/extend-protection", headers=buyer)
    assert_problem(early, 409, "too_early_to_extend")
    # Surface mail from the US to Israel is delivered after about three weeks (the simulator
    # times the script by the service); protection then ends 10 days after delivery.
    delivered_h = route_script("happy_path", "US", "IL", REGISTERED_SMALL_PACKET)[-1].offset_hours
    first_deadline_h = delivered_h + 10 * 24
    two_days_left_h = (first_deadline_h - 48) // 6 * 6  # advance() moves in six-hour steps
    advance(client, container, clock, two_days_left_h)
    extended = client.post(f"/api/v1/orders/{order_id}/extend-protection", headers=buyer)
    assert extended.status_code == 200, extended.text
    assert_problem(
        client.post(f"/api/v1/orders/{order_id}/extend-protection", headers=buyer),
        409,
        "already_extended",
    )
    advance(client, container, clock, 3 * 24)  # past the first deadline
    assert client.get(f"/api/v1/orders/{order_id}", headers=buyer).json()["status"] == (
        "AWAITING_RECEIPT"
    )
    advance(client, container, clock, 3 * 24)  # past the extended one
    assert client.get(f"/api/v1/orders/{order_id}", headers=buyer).json()["status"] == ("COMPLETED")
    assert _balance(container, ledger.seller_payable(shop.seller_id)) == -4600
    advance(client, container, clock, 16 * 24)
    assert client.get(f"/api/v1/orders/{order_id}", headers=buyer).json()["status"] == ("FINALIZED")
    assert_ledger_ok(container)


def test_dispute_resolved_with_partial_refund(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "us@example.com", "US")
    _, offer_id = list_product(client, shop, price_minor=10000, stock=5)
    buyer = register(client, "noa@example.com", country="US")
    checkout = buy(client, buyer, offer_id)
    order_id = checkout["orders"][0]["id"]
    pay(client, container, clock, buyer, checkout["id"])
    client.post(f"/api/v1/orders/{order_id}/ship", headers=shop.headers, json={})
    opened = client.post(
        f"/api/v1/orders/{order_id}/disputes",
        headers=buyer,
        json={"reason": "damaged", "message": "The box was crushed."},
    )
    assert opened.status_code == 201, opened.text
    dispute_id = opened.json()["id"]
    clock.advance(timedelta(days=40))  # far past protection: frozen money is not released
    _run_timers(container)
    assert client.get(f"/api/v1/orders/{order_id}", headers=buyer).json()["status"] == (
        "IN_DISPUTE"
    )
    assert client.get(f"/api/v1/disputes/{dispute_id}", headers=buyer).json()["status"] == (
        "escalated"
    )  # the seller did not answer within 5 days
    assert_problem(
        client.get(
            f"/api/v1/disputes/{dispute_id}",
            headers=register(client, "x@example.com", country="US"),
        ),
        404,
        "not_found",
    )
    client.post(
        f"/api/v1/disputes/{dispute_id}/messages",
        headers=shop.headers,
        json={"message": "Sorry, partial refund is fair."},
    )
    too_much = client.post(
        f"/api/v1/disputes/{dispute_id}/resolve",
        headers=ops,
        json={"resolution": "refund_partial", "refund_minor": 10000},
    )
    assert_problem(too_much, 422, "invalid_refund_amount")
    resolved = client.post(
        f"/api/v1/disputes/{dispute_id}/resolve",
        headers=ops,
        json={"resolution": "refund_partial", "refund_minor": 4000, "note": "crushed box"},
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "resolved"
    assert client.get(f"/api/v1/orders/{order_id}", headers=buyer).json()["status"] == ("REFUNDED")
    # 40.00 back to the buyer; 60.00 released, less 8% commission (4.80)
    assert _balance(container, ledger.seller_payable(shop.seller_id)) == -5520
    assert _balance(container, ledger.platform_commission("USD")) == -480
    assert _balance(container, ledger.psp_clearing("USD")) == 6000
    detail = client.get(f"/api/v1/disputes/{dispute_id}", headers=buyer).json()
    assert [m["action"] for m in detail["messages"]] == ["open", "escalate", "message", "resolve"]
    assert_ledger_ok(container)


def test_seller_accepts_cancellation_refunds_and_restocks(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "us@example.com", "US")
    _, offer_id = list_product(client, shop, price_minor=3000, stock=5)
    buyer = register(client, "noa@example.com", country="US")
    checkout = buy(client, buyer, offer_id, quantity=2)
    order_id = checkout["orders"][0]["id"]
    pay(client, container, clock, buyer, checkout["id"])
    cancelled = client.post(
        f"/api/v1/orders/{order_id}/cancel",
        headers=shop.headers,
        json={"reason": "out of stock in warehouse"},
    )
    assert cancelled.json()["status"] == "CANCELLED_REFUNDED"
    assert client.get(f"/api/v1/offers/{offer_id}").json()["stock"] == 5
    payment = client.get(f"/api/v1/checkouts/{checkout['id']}/payment", headers=buyer).json()
    assert (payment["status"], payment["refunded_minor"]) == ("refunded", 6000)
    assert _balance(container, ledger.psp_clearing("USD")) == 0
    assert_ledger_ok(container)


def test_missed_ship_by_date_cancels_and_refunds(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "us@example.com", "US")
    _, offer_id = list_product(client, shop, price_minor=3000, stock=5)
    buyer = register(client, "noa@example.com", country="US")
    checkout = buy(client, buyer, offer_id)
    order_id = checkout["orders"][0]["id"]
    pay(client, container, clock, buyer, checkout["id"])
    clock.advance(timedelta(days=6))  # 2 handling days + 3 days grace
    _run_timers(container)
    assert client.get(f"/api/v1/orders/{order_id}", headers=buyer).json()["status"] == (
        "CANCELLED_REFUNDED"
    )
    assert _balance(container, ledger.order_escrow(order_id)) == 0
    assert_ledger_ok(container)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_entries SET amount_minor = amount_minor + 1",
        "DELETE FROM ledger_entries",
        "UPDATE ledger_transactions SET memo = 'edited'",
        "DELETE FROM ledger_transactions",
    ],
)
def test_the_database_refuses_to_edit_the_ledger(
    client: TestClient, container: Container, clock: ManualClock, statement: str
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "us@example.com", "US")
    _, offer_id = list_product(client, shop, price_minor=3000, stock=5)
    buyer = register(client, "noa@example.com", country="US")
    pay(client, container, clock, buyer, buy(client, buyer, offer_id)["id"])
    with pytest.raises(Exception, match="append-only"), container.engine.begin() as conn:
        conn.execute(text(statement))
    assert _balance(container, ledger.psp_clearing("USD")) == 3000
    assert_ledger_ok(container)


def test_buyer_rates_the_seller_once_after_completion(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "us@example.com", "US")
    _, offer_id = list_product(client, shop, price_minor=5000, stock=5)
    buyer = register(client, "noa@example.com", country="US")
    checkout = buy(client, buyer, offer_id)
    order_id = checkout["orders"][0]["id"]
    pay(client, container, clock, buyer, checkout["id"])
    early = client.post(f"/api/v1/orders/{order_id}/rating", headers=buyer, json={"stars": 5})
    assert_problem(early, 409, "not_completed")
    client.post(f"/api/v1/orders/{order_id}/ship", headers=shop.headers, json={})
    client.post(f"/api/v1/orders/{order_id}/confirm-receipt", headers=buyer)
    rated = client.post(
        f"/api/v1/orders/{order_id}/rating", headers=buyer, json={"stars": 4, "comment": "fine"}
    )
    assert rated.status_code == 201, rated.text
    again = client.post(f"/api/v1/orders/{order_id}/rating", headers=buyer, json={"stars": 1})
    assert_problem(again, 409, "already_rated")
    profile = client.get(f"/api/v1/sellers/{shop.seller_id}").json()
    assert (profile["rating_count"], profile["rating_average"]) == (1, 4.0)


def test_the_worker_arms_a_daily_payout_batch_that_pays_and_rearms(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    from tradewind.worker import arm_recurring_timers

    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "us@example.com", "US")
    _, offer_id = list_product(client, shop, price_minor=5000, stock=5)
    buyer = register(client, "noa@example.com", country="US")
    checkout = buy(client, buyer, offer_id)
    order_id = checkout["orders"][0]["id"]
    pay(client, container, clock, buyer, checkout["id"])
    client.post(f"/api/v1/orders/{order_id}/ship", headers=shop.headers, json={})
    client.post(f"/api/v1/orders/{order_id}/confirm-receipt", headers=buyer)
    arm_recurring_timers(container)
    arm_recurring_timers(container)  # a restart arms nothing twice
    clock.advance(timedelta(days=1))
    _run_timers(container)
    paid = client.get("/api/v1/payouts", headers=shop.headers).json()["items"]
    assert [(p["amount_minor"], p["currency"]) for p in paid] == [(4600, "USD")]
    clock.advance(timedelta(days=1))
    _run_timers(container)  # the next day's batch runs and finds nothing more to pay
    assert len(client.get("/api/v1/payouts", headers=shop.headers).json()["items"]) == 1
    assert_ledger_ok(container)
