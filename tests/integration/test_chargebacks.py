"""Chargebacks end to end on both databases: the sandbox card network disputes a captured
payment, its signed webhooks (duplicated, out of order) open and decide it once, the ledger
balances at every step, liability follows the reason code, a seller's balance goes negative
and is recovered from the next payout, and reconciliation matches the chargeback rows."""

from __future__ import annotations

import json
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.support.api import assert_problem, register
from tests.support.market import Shop, list_product, open_shop, operator_headers
from tests.support.money_flow import assert_ledger_ok, buy, deliver_all, pay
from tradewind.bootstrap import Container
from tradewind.db.tables.escrow import chargebacks
from tradewind.db.tables.payments import payments, processor_intents, sandbox_psp_events
from tradewind.kernel.clock import ManualClock
from tradewind.ledger import domain as ledger
from tradewind.ledger.service import balance
from tradewind.money.amount import Money
from tradewind.payments import reconciliation
from tradewind.payments.signing import SIGNATURE_HEADER, sign

WEBHOOK = "/api/v1/webhooks/sandbox-psp"


def _balance(container: Container, account: str) -> int:
    with container.uow(read_only=True) as uow:
        return balance(uow, account)


def _provider_payment(container: Container, checkout_id: str) -> str:
    with container.uow(read_only=True) as uow:
        return str(
            uow.conn.scalar(
                select(payments.c.provider_payment_id).where(payments.c.checkout_id == checkout_id)
            )
        )


OFFER: dict[str, str] = {}  # shop's seller id -> its 100.00 USD offer


def _paid_order(
    client: TestClient, container: Container, clock: ManualClock, shop: Shop, buyer: dict, key: str
) -> tuple[str, str]:  # type: ignore[type-arg]
    """One paid 100.00 USD order of ``shop``: (checkout id, order id)."""
    checkout = buy(client, buyer, OFFER[shop.seller_id], key=key)
    payment = pay(client, container, clock, buyer, checkout["id"])
    assert payment["status"] == "captured", payment
    return checkout["id"], checkout["orders"][0]["id"]


def _market(client: TestClient, container: Container) -> tuple[dict, Shop, dict]:  # type: ignore[type-arg]
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "cb.shop@example.com", "US")
    OFFER[shop.seller_id] = list_product(client, shop, price_minor=10000, stock=20)[1]
    buyer = register(client, "cb.buyer@example.com", country="US")
    return ops, shop, buyer


def _release(client: TestClient, shop: Shop, buyer: dict, order_id: str) -> None:  # type: ignore[type-arg]
    shipped = client.post(f"/api/v1/orders/{order_id}/ship", headers=shop.headers, json={})
    assert shipped.status_code == 201, shipped.text
    confirmed = client.post(f"/api/v1/orders/{order_id}/confirm-receipt", headers=buyer)
    assert confirmed.json()["status"] == "COMPLETED", confirmed.text


def _chargeback(client: TestClient, ops: dict, provider_chargeback_id: str) -> dict:  # type: ignore[type-arg]
    listed = client.get("/api/v1/chargebacks", headers=ops).json()["items"]
    return next(c for c in listed if c["provider_chargeback_id"] == provider_chargeback_id)


def test_not_received_without_delivery_scan_is_lost_by_the_seller_and_netted_from_payouts(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    ops, shop, buyer = _market(client, container)
    checkout_id, order_id = _paid_order(client, container, clock, shop, buyer, "first")
    _release(client, shop, buyer, order_id)
    paid = client.post("/api/v1/ops/payouts/run", headers=ops, json={"batch": "day-1"}).json()
    assert [p["amount_minor"] for p in paid] == [9200]
    deliver_all(client, container, clock)

    cb_id = container.payments.open_chargeback(
        _provider_payment(container, checkout_id), Money(10000, "USD"), "13.1"
    )
    deliver_all(client, container, clock)
    opened = _chargeback(client, ops, cb_id)
    assert (opened["status"], opened["category"], opened["amount_minor"]) == (
        "open",
        "not_received",
        10000,
    )
    assert [
        (p["order_id"], p["amount_minor"], p["liable"], p["rule"]) for p in opened["parts"]
    ] == [(order_id, 10000, "seller", "not_received_no_delivery_scan")]
    # The network took it: 9,200 paid out, 10,000 pulled back, from 10,000 captured.
    assert _balance(container, ledger.platform_chargebacks("USD")) == 10000
    assert _balance(container, ledger.psp_clearing("USD")) == 10000 - 9200 - 10000
    assert_ledger_ok(container)

    container.payments.decide_chargeback(cb_id, won=False)
    deliver_all(client, container, clock)
    assert _chargeback(client, ops, cb_id)["status"] == "lost"
    assert _balance(container, ledger.platform_chargebacks("USD")) == 0
    assert _balance(container, ledger.seller_receivable(shop.seller_id)) == 10000
    balances = client.get("/api/v1/sellers/me/balances", headers=shop.headers).json()
    assert (balances["available_minor"], balances["owed_minor"]) == (0, 10000)

    # The next sale (9,200 payable) is set off against the 10,000 owed: nothing paid, 800 left.
    _, second = _paid_order(client, container, clock, shop, buyer, "second")
    _release(client, shop, buyer, second)
    paid = client.post("/api/v1/ops/payouts/run", headers=ops, json={"batch": "day-2"}).json()
    assert [(p["amount_minor"], p["netted_minor"]) for p in paid] == [(0, 9200)]
    assert _balance(container, ledger.seller_receivable(shop.seller_id)) == 800
    assert _balance(container, ledger.seller_payable(shop.seller_id)) == 0
    assert_ledger_ok(container)


def test_fraud_won_after_the_sellers_one_evidence_returns_the_money(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    ops, shop, buyer = _market(client, container)
    other = open_shop(client, ops, "cb.other@example.com", "US")
    checkout_id, order_id = _paid_order(client, container, clock, shop, buyer, "buy")
    cb_id = container.payments.open_chargeback(
        _provider_payment(container, checkout_id), Money(10000, "USD"), "10.4", evidence_days=10
    )
    deliver_all(client, container, clock)
    chargeback = _chargeback(client, shop.headers, cb_id)
    assert chargeback["parts"][0]["liable"] == "platform"
    assert chargeback["parts"][0]["rule"] == "fraud_risk_allowed"
    url = f"/api/v1/chargebacks/{chargeback['id']}/evidence"
    body = {"evidence": "Signed delivery receipt, IP and device match earlier orders."}

    assert_problem(client.get(url.rsplit("/", 1)[0], headers=other.headers), 404, "not_found")
    assert client.get("/api/v1/chargebacks", headers=other.headers).json()["items"] == []
    refused = client.post(url, headers={**other.headers, "Idempotency-Key": "e0"}, json=body)
    assert_problem(refused, 404, "not_found")
    assert_problem(
        client.post(url, headers={**buyer, "Idempotency-Key": "e1"}, json=body),
        403,
        "role_required",
    )
    blank = client.post(
        url, headers={**shop.headers, "Idempotency-Key": "e2"}, json={"evidence": " "}
    )
    assert blank.status_code == 422, blank.text
    assert _chargeback(client, ops, cb_id)["status"] == "open"  # nothing changed

    sent = client.post(url, headers={**shop.headers, "Idempotency-Key": "e3"}, json=body)
    assert sent.status_code == 200, sent.text
    assert (sent.json()["status"], sent.json()["evidence_role"]) == ("evidence_submitted", "seller")
    again = client.post(url, headers={**ops, "Idempotency-Key": "e4"}, json=body)
    assert_problem(again, 409, "evidence_already_submitted")
    at_processor = container.payments.chargeback_view(cb_id)
    assert (at_processor["status"], at_processor["evidence"]) == ("under_review", body["evidence"])
    with container.uow(read_only=True) as uow:
        intent = uow.conn.execute(
            select(processor_intents).where(processor_intents.c.kind == "evidence")
        ).one()
    assert (intent.status, intent.idempotency_key) == ("succeeded", f"chargeback-evidence:{cb_id}")

    container.payments.decide_chargeback(cb_id, won=True)
    deliver_all(client, container, clock)
    assert _chargeback(client, ops, cb_id)["status"] == "won"
    assert _balance(container, ledger.platform_chargebacks("USD")) == 0
    assert _balance(container, ledger.psp_clearing("USD")) == 10000
    assert _balance(container, ledger.order_escrow(order_id)) == -10000  # untouched throughout
    closed = client.post(url, headers={**ops, "Idempotency-Key": "e5"}, json=body)
    assert_problem(closed, 409, "chargeback_closed")
    assert_ledger_ok(container)

    day = clock.now().date()
    result = reconciliation.reconcile_day(container.uow, container.payments, day)
    assert result.counts["matched"] == 3  # capture, chargeback, chargeback_reversal
    assert result.mismatches == []


def test_fraud_lost_is_the_platforms_loss_and_a_late_evidence_is_refused(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    ops, shop, buyer = _market(client, container)
    checkout_id, _ = _paid_order(client, container, clock, shop, buyer, "buy")
    cb_id = container.payments.open_chargeback(
        _provider_payment(container, checkout_id), Money(4000, "USD"), "4837", evidence_days=7
    )
    deliver_all(client, container, clock)
    chargeback = _chargeback(client, ops, cb_id)
    clock.advance(timedelta(days=8))
    late = client.post(
        f"/api/v1/chargebacks/{chargeback['id']}/evidence",
        headers={**ops, "Idempotency-Key": "late"},
        json={"evidence": "too late"},
    )
    assert_problem(late, 409, "evidence_deadline_passed")
    container.payments.decide_chargeback(cb_id, won=False)
    deliver_all(client, container, clock)
    assert _balance(container, ledger.platform_chargeback_losses("USD")) == 4000
    assert _balance(container, ledger.platform_chargebacks("USD")) == 0
    assert _balance(container, ledger.seller_receivable(shop.seller_id)) == 0
    assert_ledger_ok(container)


def test_a_split_chargeback_over_two_sellers_and_webhooks_out_of_order_and_twice(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    ops = operator_headers(client, container)
    shops = [open_shop(client, ops, f"cb.split{n}@example.com", "US") for n in (1, 2)]
    offers = [
        list_product(client, shop, price_minor=price, stock=5)[1]
        for shop, price in zip(shops, (1000, 2500), strict=True)
    ]
    buyer = register(client, "cb.split.buyer@example.com", country="US")
    from tests.support.market import SHIP_TO

    created = client.post(
        "/api/v1/checkouts",
        headers={**buyer, "Idempotency-Key": "split"},
        json={"ship_to": SHIP_TO, "lines": [{"offer_id": o, "quantity": 1} for o in offers]},
    )
    assert created.status_code == 201, created.text
    checkout = created.json()
    assert pay(client, container, clock, buyer, checkout["id"])["status"] == "captured"
    deliver_all(client, container, clock)

    # Hold the sandbox's webhooks back, then deliver them lost-first, each twice.
    cb_id = container.payments.open_chargeback(
        _provider_payment(container, checkout["id"]), Money(1000, "USD"), "13.3"
    )
    container.payments.decide_chargeback(cb_id, won=False)
    with container.uow(read_only=True) as uow:
        events = uow.conn.execute(
            select(sandbox_psp_events.c.payload)
            .where(sandbox_psp_events.c.type.like("chargeback.%"))
            .order_by(sandbox_psp_events.c.created_at.desc(), sandbox_psp_events.c.type)
        ).all()
    kinds = [e.payload["type"] for e in events]
    assert sorted(kinds) == ["chargeback.lost", "chargeback.opened"]
    for payload in sorted((e.payload for e in events), key=lambda p: p["type"]) * 2:
        body = json.dumps(payload).encode()
        now_s = int(clock.now().timestamp())
        sent = client.post(
            WEBHOOK,
            content=body,
            headers={SIGNATURE_HEADER: sign(container.psp_secret, body, now_s)},
        )
        assert sent.status_code == 200, sent.text

    chargeback = _chargeback(client, ops, cb_id)
    assert chargeback["status"] == "lost"
    order_of = {o["seller_id"]: o["id"] for o in checkout["orders"]}
    # allocate(1000, [1000, 2500]) = [286, 714], each seller liable (not as described)
    parts = {p["order_id"]: (p["amount_minor"], p["liable"]) for p in chargeback["parts"]}
    assert parts == {
        order_of[shops[0].seller_id]: (286, "seller"),
        order_of[shops[1].seller_id]: (714, "seller"),
    }
    assert _balance(container, ledger.seller_receivable(shops[0].seller_id)) == 286
    assert _balance(container, ledger.seller_receivable(shops[1].seller_id)) == 714
    assert _balance(container, ledger.platform_chargebacks("USD")) == 0
    # A seller sees its own part only.
    mine = client.get(f"/api/v1/chargebacks/{chargeback['id']}", headers=shops[0].headers).json()
    assert [p["amount_minor"] for p in mine["parts"]] == [286]
    with container.uow(read_only=True) as uow:
        assert uow.conn.scalar(select(chargebacks.c.status)) == "lost"
    assert_ledger_ok(container)


def test_a_malformed_chargeback_webhook_is_refused_field_by_field_and_stores_nothing(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    now_s = int(clock.now().timestamp())
    payload = {
        "id": "evt_bad",
        "type": "chargeback.opened",
        "created": now_s,
        "data": {
            "payment_id": "pi_x",
            "reference": "chk_x",
            "currency": "USD",
            "amount_minor": 100,
            "chargeback_id": "cb_x",
            "reason_code": "../etc",
            "evidence_due_by": now_s + 400 * 86400,
        },
    }
    body = json.dumps(payload).encode()
    sent = client.post(
        WEBHOOK, content=body, headers={SIGNATURE_HEADER: sign(container.psp_secret, body, now_s)}
    )
    problem = assert_problem(sent, 422, "bad_event")
    assert {e["field"] for e in problem["errors"]} == {"data.reason_code", "data.evidence_due_by"}
    with container.uow(read_only=True) as uow:
        assert uow.conn.scalar(select(chargebacks.c.id)) is None


def test_pages_list_chargebacks_take_evidence_once_and_work_the_mismatch_queue(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    from tests.support.api import PASSWORD
    from tests.support.web import HTML, session_csrf, web_login
    from tradewind.db.tables.payments import sandbox_psp_balance_moves

    ops, shop, buyer = _market(client, container)
    checkout_id, _ = _paid_order(client, container, clock, shop, buyer, "buy")
    cb_id = container.payments.open_chargeback(
        _provider_payment(container, checkout_id), Money(10000, "USD"), "13.1"
    )
    deliver_all(client, container, clock)
    chargeback = _chargeback(client, ops, cb_id)

    web_login(client, "cb.shop@example.com", PASSWORD)
    csrf = session_csrf(client, "/seller/chargebacks")
    listed = client.get("/seller/chargebacks", headers=HTML)
    assert listed.status_code == 200
    assert "Not received and sent without tracking: the shop bears it." in listed.text
    assert client.get("/ops/chargebacks", headers=HTML).status_code == 403
    action = f"/seller/chargebacks/{chargeback['id']}/evidence"
    field = f"evidence-{chargeback['id']}"
    bad = client.post(action, data={"evidence": "x" * 5001, "csrf_token": csrf}, headers=HTML)
    assert bad.status_code == 422
    assert "Describe the evidence in 1 to 5,000 characters." in bad.text
    assert ">" + "x" * 5001 + "</textarea>" in bad.text  # the input is kept
    assert f'aria-describedby="{field}-hint {field}-error" aria-invalid="true"' in bad.text
    assert _chargeback(client, ops, cb_id)["status"] == "open"  # unchanged
    sent = client.post(
        action,
        data={"evidence": "Tracked parcel RR473124829GB.", "csrf_token": csrf},
        headers=HTML,
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == "/seller/chargebacks?notice=evidence"
    assert _chargeback(client, ops, cb_id)["status"] == "evidence_submitted"

    # An unreported fee makes the day's report disagree with the ledger.
    with container.uow() as uow:
        uow.conn.execute(
            sandbox_psp_balance_moves.insert().values(
                id="bm_fee_x",
                type="fee",
                payment_id=None,
                reference="pi_unknown",
                amount_minor=-55,
                currency="USD",
                created_at=clock.now(),
                settlement_date=clock.now().date().isoformat(),
            )
        )
        uow.commit()
    reconciliation.reconcile_day(container.uow, container.payments, clock.now().date())
    web_login(client, "ops@example.com", "operator-password")
    csrf = session_csrf(client, "/ops/mismatches")
    queue = client.get("/ops/mismatches", headers=HTML)
    assert queue.status_code == 200
    assert "Missing in our ledger" in queue.text
    assert "fee:pi_unknown" in queue.text
    mismatch_id = client.get("/api/v1/ops/settlement-mismatches", headers=ops).json()["items"][0][
        "id"
    ]
    empty = client.post(
        f"/ops/mismatches/settlement/{mismatch_id}",
        data={"note": "", "csrf_token": csrf},
        headers=HTML,
    )
    assert empty.status_code == 422
    assert f'aria-invalid="true" aria-describedby="note-{mismatch_id}-error"' in empty.text
    done = client.post(
        f"/ops/mismatches/settlement/{mismatch_id}",
        data={"note": "Fee claimed back from the processor", "csrf_token": csrf},
        headers=HTML,
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    resolved = client.get(f"/api/v1/ops/settlement-mismatches/{mismatch_id}", headers=ops).json()
    assert (resolved["status"], resolved["note"]) == (
        "resolved",
        "Fee claimed back from the processor",
    )
    page = client.get("/ops/chargebacks", headers=HTML)
    assert "Tracked parcel RR473124829GB." in page.text
