"""Payouts the bank sends back, on both databases: a paid 18.40 USD payout returned (AC04,
account closed) by a signed webhook and by the settlement report, in either order and more
than once, is reversed exactly once (the seller's payable is -1840 again, the processor's
clearing back to what it held), the payout shows returned with its reason, the destination
is flagged so the next batch pays nothing until the seller sets one again, the seller is
told, and the day reconciles clean; a malformed event or report row changes nothing."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select

from tests.support.api import PASSWORD, assert_problem, register
from tests.support.market import Shop, list_product, open_shop, operator_headers
from tests.support.money_flow import assert_ledger_ok, buy, deliver_all, pay
from tests.support.web import HTML, csrf_in, web_login
from tradewind.bootstrap import WEBHOOK_PATH, Container, report_handlers, send_intents
from tradewind.db.tables.escrow import payout_returns, payouts
from tradewind.db.tables.payments import (
    processor_intents,
    sandbox_psp_balance_moves,
    sandbox_psp_events,
    webhook_events,
)
from tradewind.escrow import destinations
from tradewind.escrow import payouts as payout_service
from tradewind.kernel.clock import ManualClock
from tradewind.ledger import domain as ledger
from tradewind.ledger.service import balances
from tradewind.money.amount import Money
from tradewind.payments import reconciliation
from tradewind.payments.signing import SIGNATURE_HEADER, sign

DESTINATION = "/api/v1/sellers/me/payout-destination"
PAID = 1840  # 20.00 USD less 8% commission


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    # Shadow: risk judges every payout but holds none, so a batch right after the seller
    # fixes its destination pays (enforcing, the account-takeover rule could hold it).
    return {"risk_mode": "shadow"}


def a_released_order(
    client: TestClient, container: Container, clock: ManualClock
) -> tuple[Shop, dict[str, str]]:
    """A US shop with a destination, one 20.00 USD order confirmed: 18.40 payable; and the
    operator's headers."""
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "returns.shop@example.com", "US")
    set_to = client.put(
        DESTINATION,
        headers=shop.headers,
        json={"holder_name": "Ann Lee", "iban": "DE89370400440532013000"},
    )
    assert set_to.status_code == 200, set_to.text
    offer_id = list_product(client, shop, price_minor=2000, stock=2)[1]
    buyer = register(client, "returns.buyer@example.com", country="US")
    checkout = buy(client, buyer, offer_id, key="r1")
    assert pay(client, container, clock, buyer, checkout["id"])["status"] == "captured"
    order_id = checkout["orders"][0]["id"]
    client.post(f"/api/v1/orders/{order_id}/ship", headers=shop.headers, json={})
    client.post(f"/api/v1/orders/{order_id}/confirm-receipt", headers=buyer)
    return shop, ops


def money(container: Container, seller_id: str) -> dict[str, int]:
    with container.uow(read_only=True) as uow:
        found = balances(uow, [ledger.seller_payable(seller_id), ledger.psp_clearing("USD")])
        back = uow.conn.scalar(select(func.count()).select_from(payout_returns))
    return {
        "payable": found[ledger.seller_payable(seller_id)],
        "clearing": found[ledger.psp_clearing("USD")],
        "returns": int(back or 0),
    }


def the_payout(container: Container) -> dict[str, Any]:
    with container.uow(read_only=True) as uow:
        return dict(uow.conn.execute(select(payouts)).one()._mapping)


def event_payload(container: Container) -> dict[str, Any]:
    with container.uow(read_only=True) as uow:
        payload = uow.conn.scalar(
            select(sandbox_psp_events.c.payload).where(
                sandbox_psp_events.c.type == "payout.returned"
            )
        )
    assert isinstance(payload, dict)
    return payload


def post_signed(client: TestClient, container: Container, event: object) -> Any:
    body = json.dumps(event).encode()
    stamp = int(container.clock.now().timestamp())
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(container.psp_secret, body, stamp),
    }
    return client.post(WEBHOOK_PATH, content=body, headers=headers)


def test_a_returned_payout_is_reversed_once_flags_its_destination_and_reconciles(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    shop, ops = a_released_order(client, container, clock)
    before_payout = money(container, shop.seller_id)
    assert before_payout["payable"] == -PAID
    made = client.post("/api/v1/ops/payouts/run", headers=ops, json={"batch": "day-1"})
    assert [p["amount_minor"] for p in made.json()] == [PAID], made.text
    paid = money(container, shop.seller_id)
    assert paid == {
        "payable": 0,
        "clearing": before_payout["clearing"] - PAID,
        "returns": 0,
    }
    payout = the_payout(container)
    assert payout["status"] == "paid"
    with container.uow(read_only=True) as uow:
        assert payout["destination_id"] == destinations.current_ids(uow)[shop.seller_id]

    # Days later the bank sends it back: account closed.
    returned = client.post(
        "/api/v1/sandbox/psp/payout-returns",
        headers=ops,
        json={"payout_id": payout["id"], "reason_code": "AC04"},
    )
    assert returned.status_code == 201, returned.text
    deliver_all(client, container, clock)
    after = money(container, shop.seller_id)
    assert after == {"payable": -PAID, "clearing": before_payout["clearing"], "returns": 1}
    # The same webhook again changes nothing.
    again = post_signed(client, container, event_payload(container))
    assert again.json() == {"received": True, "duplicate": True}
    twice = client.post(
        "/api/v1/sandbox/psp/payout-returns",
        headers=ops,
        json={"payout_id": payout["id"], "reason_code": "AC04"},
    )
    assert_problem(twice, 409, "payout_not_returnable")
    assert money(container, shop.seller_id) == after

    listed = client.get("/api/v1/payouts", headers=shop.headers).json()["items"]
    assert [
        (p["status"], p["returned"]["reason_code"], p["returned"]["reason"]) for p in listed
    ] == [("returned", "AC04", "the account is closed")]
    assert (listed[0]["returned"]["amount_minor"], listed[0]["returned"]["source"]) == (
        PAID,
        "webhook",
    )
    flag = client.get(DESTINATION, headers=shop.headers).json()["flag"]
    assert (flag["payout_id"], flag["reason_code"]) == (payout["id"], "AC04")
    shown = client.get("/api/v1/sellers/me/balances", headers=shop.headers).json()
    assert (shown["available_minor"], shown["paid_out_minor"]) == (PAID, 0)
    told = client.get("/api/v1/notifications", headers=shop.headers).json()
    assert [n["subject"] for n in told if n["kind"] == "payout_returned"] == [
        "Your bank sent back a payout of 18.40 USD (reason AC04). Payouts wait until you set "
        "your bank account again on the payouts page."
    ]

    seller_pages(client, ops, payout["id"])

    # The report says it too: reconciliation books nothing twice and finds the day clean.
    day = clock.now().date()
    result = reconciliation.reconcile_day(container.uow, container.payments, day, report_handlers())
    # the capture, the payout and its return
    assert (result.counts["matched"], result.mismatches, result.open_total) == (3, [], 0)
    assert money(container, shop.seller_id) == after

    # The next batch waits for a fixed destination; once set again, the seller is paid.
    assert client.post("/api/v1/ops/payouts/run", headers=ops, json={"batch": "day-2"}).json() == []
    assert money(container, shop.seller_id)["payable"] == -PAID
    fixed = client.put(
        DESTINATION,
        headers=shop.headers,
        json={"holder_name": "Ann Lee", "iban": "GB33BUKB20201555555555"},
    )
    assert fixed.status_code == 200, fixed.text
    assert client.get(DESTINATION, headers=shop.headers).json()["flag"] is None
    repaid = client.post("/api/v1/ops/payouts/run", headers=ops, json={"batch": "day-3"})
    assert [p["amount_minor"] for p in repaid.json()] == [PAID]
    assert money(container, shop.seller_id)["payable"] == 0
    assert_ledger_ok(container)


def seller_pages(client: TestClient, ops: dict[str, str], payout_id: str) -> None:
    """The seller's page shows the return with its reason and why payouts wait; a bad IBAN
    comes back at its field with what was typed; another shop's payout is 404."""
    web_login(client, "returns.shop@example.com", PASSWORD)
    page = client.get("/seller/payouts", headers=HTML)
    assert page.status_code == 200, page.text
    assert "Returned by your bank: the account is closed (AC04)" in page.text
    assert "Your bank sent a payout back. Check your bank account" in page.text
    assert 'id="destination-iban">DE89' + "•" * 14 + "3000<" in page.text
    refused = client.post(
        "/seller/payouts/destination",
        headers=HTML,
        data={
            "holder_name": "Ann Lee",
            "iban": "DE89 3704 0044 0532 0130 01",
            "bic": "",
            "csrf_token": csrf_in(page.text),
        },
    )
    assert refused.status_code == 422, refused.text
    assert 'value="DE89 3704 0044 0532 0130 01"' in refused.text
    assert re.search(
        r'<p class="field-error error" id="iban-error">This is not a valid IBAN\.', refused.text
    )
    one = client.get(f"/seller/payouts/{payout_id}", headers=HTML)
    assert "Returned by your bank: the account is closed (AC04)" in one.text
    client.cookies.clear()
    open_shop(client, ops, "returns.other@example.com", "US")
    web_login(client, "returns.other@example.com", PASSWORD)
    assert client.get(f"/seller/payouts/{payout_id}", headers=HTML).status_code == 404
    client.cookies.clear()


def test_report_before_webhook_and_return_before_the_answer_apply_once(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    shop, _ = a_released_order(client, container, clock)
    start = money(container, shop.seller_id)
    with container.uow() as uow:
        payout_service.run_payouts(
            uow, container.payments, minimum_major="1", batch_key="late-answer"
        )
        uow.commit()
    key = f"payout:{shop.seller_id}:USD:late-answer"
    # The processor pays, and its answer is lost: our payout is still `requested`.
    container.payments.payout(shop.seller_id, Money(PAID, "USD"), key)
    assert the_payout(container)["status"] == "requested"
    container.payments.return_payout(key, "AC01")

    # The report comes first (the webhook is still queued at the processor).
    day = clock.now().date()
    first = reconciliation.reconcile_day(container.uow, container.payments, day, report_handlers())
    assert (first.mismatches, first.counts["matched"]) == ([], 3)
    assert the_payout(container)["status"] == "returned"
    after = money(container, shop.seller_id)
    assert after == {"payable": -PAID, "clearing": start["clearing"], "returns": 1}
    # Then the webhook (twice) and the late answer: nothing moves again.
    deliver_all(client, container, clock)
    post_signed(client, container, event_payload(container))
    send_intents(container, retry_now=True)
    with container.uow(read_only=True) as uow:
        intent = uow.conn.execute(
            select(processor_intents.c.status).where(processor_intents.c.idempotency_key == key)
        ).scalar_one()
        source = uow.conn.scalar(select(payout_returns.c.source))
    assert (intent, source, the_payout(container)["status"]) == ("succeeded", "report", "returned")
    assert money(container, shop.seller_id) == after
    again = reconciliation.reconcile_day(container.uow, container.payments, day, report_handlers())
    assert (again.mismatches, again.open_total) == ([], 0)
    assert_ledger_ok(container)


def test_a_malformed_return_changes_nothing(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    shop, ops = a_released_order(client, container, clock)
    client.post("/api/v1/ops/payouts/run", headers=ops, json={"batch": "day-1"})
    key = f"payout:{shop.seller_id}:USD:day-1"
    before = money(container, shop.seller_id)
    with container.uow(read_only=True) as uow:
        events_before = uow.conn.scalar(select(func.count()).select_from(webhook_events))
    bad = post_signed(
        client,
        container,
        {
            "id": "evt_bad_return",
            "type": "payout.returned",
            "created": int(clock.now().timestamp()),
            "data": {
                "payout_id": "po_1",
                "request_key": key,
                "amount_minor": "1840",
                "currency": "USD",
                "return_code": "ac04",
                "return_id": None,
            },
        },
    )
    problem = assert_problem(bad, 422, "bad_event")
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [
        ("data.return_code", "invalid"),
        ("data.amount_minor", "not_an_integer"),
        ("data.return_id", "not_a_string"),
    ]
    # A report row of a return with no reason code is not applied either: reconciliation
    # queues it as missing on our side.
    with container.uow() as uow:
        uow.conn.execute(
            insert(sandbox_psp_balance_moves).values(
                id="bm_bad_return",
                type="payout_return",
                payment_id=None,
                reference=key,
                amount_minor=PAID,
                currency="USD",
                created_at=clock.now(),
                settlement_date=clock.now().date().isoformat(),
                reason_code=None,
            )
        )
        uow.commit()
    found = reconciliation.reconcile_day(
        container.uow, container.payments, clock.now().date(), report_handlers()
    )
    assert [(f.kind, f.ref) for f in found.mismatches] == [("missing_ours", f"payout_return:{key}")]
    assert money(container, shop.seller_id) == before
    assert the_payout(container)["status"] == "paid"
    with container.uow(read_only=True) as uow:
        assert uow.conn.scalar(select(func.count()).select_from(webhook_events)) == events_before
    assert_ledger_ok(container)
