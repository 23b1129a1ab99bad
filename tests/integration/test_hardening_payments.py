"""Hardening of payments, over real HTTP against a real server process, on both databases.

- A signed ``payment.captured`` for less than was asked is held: the checkout stays unpaid, the
  money the processor moved waits in ``platform:suspense:USD``, operators see it and refund it
  back exactly once, whatever the retries and races.
- A capture in another currency is held in that currency's suspense.
- A signed event whose fields are junk (strings, nulls, floats, huge, negative, booleans,
  objects, unknown currency, year-1 or far-future times, missing fields, unknown types) is a
  422 with a stable code and stores nothing; unsigned or badly signed ones stay 401.
- Ids and texts in the money routes refuse control characters and out-of-range values.

The server runs ``tradewind serve`` without a worker: nothing delivers the sandbox's webhooks
but these tests, which sign them as the sandbox does, with the server's secret.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.support.api import register
from tests.support.market import SHIP_TO, list_product, open_shop, operator_headers
from tests.support.server import ServerProcess
from tradewind.bootstrap import WEBHOOK_PATH, Container, build
from tradewind.config import Settings
from tradewind.db.tables.ledger import ledger_entries, ledger_transactions
from tradewind.db.tables.payments import (
    payment_mismatches,
    sandbox_psp_events,
    sandbox_psp_payments,
    webhook_events,
)
from tradewind.db.tables.timers import timers
from tradewind.escrow.checks import check_ledger
from tradewind.money.amount import Money
from tradewind.ordering.checkout_plan import payment_timeout_key
from tradewind.payments.sandbox import CARD_SUCCESS
from tradewind.payments.signing import SIGNATURE_HEADER, sign

PRICE = 4443
MISMATCHES = "/api/v1/ops/payment-mismatches"


# --- helpers ------------------------------------------------------------------------------


def signed(container: Container, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(container.psp_secret, body, int(time.time())),
    }


def deliver(
    server: ServerProcess, container: Container, event: Any, copies: int = 1
) -> list[httpx.Response]:
    """``event`` (JSON-encoded unless bytes), signed as the sandbox signs, ``copies`` at once."""
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    return at_once(server, [(WEBHOOK_PATH, signed(container, body), body)] * copies)


async def _post_all(
    base_url: str, posts: list[tuple[str, dict[str, str], bytes]]
) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=len(posts))
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as http:
        return list(
            await asyncio.gather(*(http.post(p, headers=h, content=b) for p, h, b in posts))
        )


def at_once(
    server: ServerProcess, posts: list[tuple[str, dict[str, str], bytes]]
) -> list[httpx.Response]:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _post_all(server.base_url, posts)).result()


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert (response.status_code, response.headers["content-type"]) == (
        status,
        "application/problem+json",
    ), response.text
    body: dict[str, Any] = response.json()
    assert (body["status"], body["code"]) == (status, code), body
    return body


def open_checkout(
    client: TestClient, container: Container, server: ServerProcess
) -> dict[str, Any]:
    """A 44.43 USD checkout with its payment started and the card authorized (the
    authorization's webhook is left undelivered, so Tradewind has asked for no capture)."""
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "seller@example.com", "US")
    _, offer_id = list_product(client, shop, price_minor=PRICE, stock=5)
    buyer = register(client, "noa@example.com", country="US")
    with httpx.Client(base_url=server.base_url, timeout=60) as http:
        checkout = http.post(
            "/api/v1/checkouts",
            headers={**buyer, "Idempotency-Key": "checkout"},
            json={"ship_to": SHIP_TO, "lines": [{"offer_id": offer_id, "quantity": 1}]},
        )
        assert checkout.status_code == 201, checkout.text
        assert checkout.json()["total_minor"] == PRICE
        payment = http.post(
            f"/api/v1/checkouts/{checkout.json()['id']}/payment",
            headers={**buyer, "Idempotency-Key": "pay"},
        )
        assert payment.status_code == 201, payment.text
        page = http.post(payment.json()["redirect_url"], data={"card_number": CARD_SUCCESS})
        assert page.status_code == 303, page.text
    return {
        "ops": ops,
        "buyer": buyer,
        "checkout": checkout.json(),
        "order_id": checkout.json()["orders"][0]["id"],
        "ppid": payment.json()["redirect_url"].rsplit("/", 1)[1],
    }


def captured_event(ppid: str, checkout_id: str, **data: Any) -> dict[str, Any]:
    return {
        "id": f"evt_forged_{data.get('currency', 'USD')}_{data.get('amount_minor', 'x')}",
        "type": "payment.captured",
        "created": int(time.time()),
        "data": {"payment_id": ppid, "reference": checkout_id, "currency": "USD", **data},
    }


def state(container: Container, server: ServerProcess, market: dict[str, Any]) -> dict[str, Any]:
    """Everything a held or refused webhook must leave alone, read back."""
    checkout_id = market["checkout"]["id"]
    with container.uow(read_only=True) as uow:
        balances = _balances(uow)
        kinds = Counter(uow.conn.execute(select(ledger_transactions.c.kind)).scalars())
        timer = uow.conn.execute(
            select(timers.c.status).where(timers.c.dedupe_key == payment_timeout_key(checkout_id))
        ).scalar_one()
        processor = uow.conn.execute(
            select(
                sandbox_psp_payments.c.captured_minor, sandbox_psp_payments.c.refunded_minor
            ).where(sandbox_psp_payments.c.id == market["ppid"])
        ).one()
        stored_events = uow.conn.scalar(select(func.count()).select_from(webhook_events))
        mismatches = uow.conn.scalar(select(func.count()).select_from(payment_mismatches))
        breaches = check_ledger(uow)
    with httpx.Client(base_url=server.base_url, headers=market["buyer"], timeout=60) as http:
        checkout = http.get(f"/api/v1/checkouts/{checkout_id}").json()
        order = http.get(f"/api/v1/orders/{market['order_id']}").json()
        payment = http.get(f"/api/v1/checkouts/{checkout_id}/payment").json()
    return {
        "checkout": checkout["status"],
        "order": order["status"],
        "payment": payment["status"],
        "timer": timer,
        "balances": balances,
        "kinds": dict(kinds),
        "processor": tuple(processor),
        "stored_events": stored_events,
        "mismatches": mismatches,
        "breaches": breaches,
    }


def _balances(uow: Any) -> dict[str, int]:
    return {
        account: int(total)
        for account, total in uow.conn.execute(
            select(ledger_entries.c.account, func.sum(ledger_entries.c.amount_minor)).group_by(
                ledger_entries.c.account
            )
        ).all()
    }


UNTOUCHED = {
    "checkout": "awaiting_payment",
    "order": "AWAITING_PAYMENT",
    "payment": "pending",
    "timer": "pending",
    "balances": {},
    "kinds": {},
    "processor": (0, 0),
    "stored_events": 0,
    "mismatches": 0,
    "breaches": [],
}


# --- a short capture, held and refunded ------------------------------------------------------


def list_held_and_probe(server: ServerProcess, market: dict[str, Any]) -> str:
    """Operators see the held capture; buyers may not; a refund needs a key and clean text.
    Returns the mismatch's refund path."""
    checkout_id, ppid = market["checkout"]["id"], market["ppid"]
    ops, buyer = market["ops"], market["buyer"]
    with httpx.Client(base_url=server.base_url, timeout=60) as http:
        problem(http.get(MISMATCHES, headers=buyer), 403, "role_required")
        listed = http.get(MISMATCHES, headers=ops, params={"status": "held"})
        assert listed.status_code == 200, listed.text
        [item] = listed.json()["items"]
        assert {k: item[k] for k in ("kind", "status", "checkout_id", "provider_payment_id")} == {
            "kind": "short_capture",
            "status": "held",
            "checkout_id": checkout_id,
            "provider_payment_id": ppid,
        }
        assert (item["expected_minor"], item["expected_currency"]) == (PRICE, "USD")
        assert (item["captured_minor"], item["captured_currency"]) == (1, "USD")
        assert (
            http.get(MISMATCHES, headers=ops, params={"status": "refunded"}).json()["items"] == []
        )
        refund_path = f"{MISMATCHES}/{item['id']}/refund"
        problem(
            http.post(refund_path, headers=buyer | {"Idempotency-Key": "x"}, json={}),
            403,
            "role_required",
        )
        problem(
            http.post(refund_path, headers=ops, json={"note": "short"}),
            422,
            "idempotency_key_required",
        )
        problem(
            http.post(refund_path, headers=ops | {"Idempotency-Key": "n"}, json={"note": "a\0b"}),
            422,
            "control_characters",
        )

    return refund_path


def refund_at_once(
    server: ServerProcess, ops: dict[str, str], path: str, keys: list[str]
) -> list[httpx.Response]:
    body = json.dumps({"note": "processor captured 1 of 4443"}).encode()
    headers = {**ops, "Content-Type": "application/json"}
    return at_once(server, [(path, {**headers, "Idempotency-Key": k}, body) for k in keys])


@pytest.mark.slow
def test_a_short_capture_is_held_listed_and_refunded_exactly_once(
    client: TestClient, container: Container, live_server: ServerProcess, db_url: str
) -> None:
    market = open_checkout(client, container, live_server)
    checkout_id, ppid = market["checkout"]["id"], market["ppid"]
    # The processor captures 1 minor unit of the 4,443 asked, and says so in a signed event
    # (on the system clock, as the server runs; the test's container has a manual one).
    processor = build(Settings(database_url=db_url, secret_key="test-secret"))
    try:
        processor.payments.capture(ppid, Money(1, "USD"), "processor-fault")
    finally:
        processor.engine.dispose()
    with container.uow(read_only=True) as uow:
        [event] = uow.conn.execute(
            select(sandbox_psp_events.c.payload).where(
                sandbox_psp_events.c.payment_id == ppid,
                sandbox_psp_events.c.type == "payment.captured",
            )
        ).scalars()
    answers = deliver(live_server, container, event, copies=4)
    acks = Counter((a.status_code, a.json().get("duplicate", a.text)) for a in answers)
    assert acks == {(200, False): 1, (200, True): 3}, [a.text for a in answers]

    held = {
        **UNTOUCHED,
        "payment": "held",
        "balances": {"psp:clearing:USD": 1, "platform:suspense:USD": -1},
        "kinds": {"unapplied_capture": 1},
        "processor": (1, 0),
        "stored_events": 1,
        "mismatches": 1,
    }
    assert state(container, live_server, market) == held

    # The same event again, and a second capture event for the payment: nothing changes.
    [again] = deliver(live_server, container, event)
    assert again.json() == {"received": True, "duplicate": True}
    [second] = deliver(
        live_server, container, captured_event(ppid, checkout_id, amount_minor=PRICE)
    )
    assert second.json() == {"received": True, "duplicate": False}
    assert state(container, live_server, market) == {**held, "stored_events": 2}

    refund_path = list_held_and_probe(live_server, market)

    # Five retries of one request at once, then five requests under their own keys at once.
    retries = refund_at_once(live_server, market["ops"], refund_path, ["refund-1"] * 5)
    assert {(r.status_code, r.content) for r in retries} == {(200, retries[0].content)}
    refunded = retries[0].json()
    assert (refunded["status"], refunded["captured_minor"]) == ("refunded", 1)
    assert refunded["refund_id"]
    assert refunded["resolved_by"]
    others = refund_at_once(
        live_server, market["ops"], refund_path, [f"refund-{n}" for n in range(2, 7)]
    )
    for other in others:
        problem(other, 409, "mismatch_resolved")

    assert state(container, live_server, market) == {
        **held,
        "payment": "refunded",
        "stored_events": 2,
        "balances": {"psp:clearing:USD": 0, "platform:suspense:USD": 0},
        "kinds": {"unapplied_capture": 1, "unapplied_refund": 1},
        "processor": (1, 1),
    }
    with container.uow(read_only=True) as uow:
        refunds = uow.conn.scalar(
            select(func.count())
            .select_from(sandbox_psp_events)
            .where(sandbox_psp_events.c.type == "refund.succeeded")
        )
    assert refunds == 1


# --- another currency, negative amounts and junk ------------------------------------------------


def junk_events(ppid: str, checkout_id: str) -> list[tuple[str, Any, int, str, str]]:
    """(what, body, status, code, field) for events that must be refused."""
    base = captured_event(ppid, checkout_id, amount_minor=PRICE)
    now = int(time.time())

    def amount(value: Any) -> dict[str, Any]:
        return {**base, "id": "evt_junk", "data": {**base["data"], "amount_minor": value}}

    def data(**changes: Any) -> dict[str, Any]:
        return {**base, "id": "evt_junk", "data": {**base["data"], **changes}}

    def top(**changes: Any) -> dict[str, Any]:
        return {**base, "id": "evt_junk", **changes}

    missing_amount = data()
    del missing_amount["data"]["amount_minor"]
    no_id = dict(base)
    del no_id["id"]
    amount_field = "data.amount_minor"
    return [
        ("a string amount", amount("abc"), 422, "bad_event", amount_field),
        ("a null amount", amount(None), 422, "bad_event", amount_field),
        ("1e300", amount(1e300), 422, "bad_event", amount_field),
        ("2**70", amount(2**70), 422, "bad_event", amount_field),
        ("true", amount(True), 422, "bad_event", amount_field),
        ("an object", amount({"value": 1}), 422, "bad_event", amount_field),
        ("a list", amount([PRICE]), 422, "bad_event", amount_field),
        ("a negative amount", amount(-PRICE), 422, "bad_event", amount_field),
        ("zero", amount(0), 422, "bad_event", amount_field),
        ("a float", amount(44.43), 422, "bad_event", amount_field),
        ("an integral float", amount(4443.0), 422, "bad_event", amount_field),
        ("a numeric string", amount("4443"), 422, "bad_event", amount_field),
        ("no amount", missing_amount, 422, "bad_event", amount_field),
        ("currency XXX", data(currency="XXX"), 422, "bad_event", "data.currency"),
        ("currency usd", data(currency="usd"), 422, "bad_event", "data.currency"),
        ("currency 840", data(currency=840), 422, "bad_event", "data.currency"),
        ("currency null", data(currency=None), 422, "bad_event", "data.currency"),
        ("currency with NUL", data(currency="US\0"), 422, "bad_event", "data.currency"),
        ("year 1", top(created=-62135596800), 422, "bad_event", "created"),
        ("year 9999", top(created=253402300799), 422, "bad_event", "created"),
        ("an hour ahead", top(created=now + 3600), 422, "bad_event", "created"),
        ("1970", top(created=0), 422, "bad_event", "created"),
        ("created as text", top(created="now"), 422, "bad_event", "created"),
        ("created as float", top(created=now + 0.5), 422, "bad_event", "created"),
        ("an object id", top(id={"$gt": ""}), 422, "bad_event", "id"),
        ("an empty id", top(id=""), 422, "bad_event", "id"),
        ("a NUL in the id", top(id="evt\0x"), 422, "bad_event", "id"),
        ("no id", no_id, 422, "bad_event", "id"),
        (
            "an object payment id",
            data(payment_id={"$ne": None}),
            422,
            "bad_event",
            "data.payment_id",
        ),
        (
            "no payment id",
            {
                **base,
                "id": "evt_junk",
                "data": {"amount_minor": PRICE, "currency": "USD", "reference": checkout_id},
            },
            422,
            "bad_event",
            "data.payment_id",
        ),
        ("data as text", top(data="captured"), 422, "bad_event", "data"),
        ("no data", {k: v for k, v in base.items() if k != "data"}, 422, "bad_event", "data"),
        (
            "an unknown type",
            top(type="payment.refunded_everything"),
            422,
            "unknown_event_type",
            "type",
        ),
        ("a null type", top(type=None), 422, "unknown_event_type", "type"),
        ("a list body", [base], 422, "bad_event", "body"),
        ("not JSON", b"{not json", 400, "malformed_json", ""),
        (
            "5000 digits",
            b'{"id":"evt_junk","amount":' + b"1" * 5000 + b"}",
            400,
            "malformed_json",
            "",
        ),
    ]


@pytest.mark.slow
def test_junk_is_refused_with_a_code_and_another_currency_is_held_in_its_own(
    client: TestClient, container: Container, live_server: ServerProcess
) -> None:
    market = open_checkout(client, container, live_server)
    checkout_id, ppid = market["checkout"]["id"], market["ppid"]
    cases = junk_events(ppid, checkout_id)
    answers = at_once(
        live_server,
        [
            (WEBHOOK_PATH, signed(container, b), b)
            for b in (e if isinstance(e, bytes) else json.dumps(e).encode() for _, e, *_ in cases)
        ],
    )
    for (what, _, status, code, field), answer in zip(cases, answers, strict=True):
        body = problem(answer, status, code)
        if field:
            assert field in [e["field"] for e in body["errors"]], (what, body)
    amount_codes = {
        what: next(e["code"] for e in a.json()["errors"] if e["field"] == "data.amount_minor")
        for (what, *_), a in zip(cases[:4], answers[:4], strict=True)
    }
    assert amount_codes == {
        "a string amount": "not_an_integer",
        "a null amount": "not_an_integer",
        "1e300": "not_an_integer",
        "2**70": "out_of_range",
    }
    negative = next(
        a for (w, *_), a in zip(cases, answers, strict=True) if w == "a negative amount"
    )
    assert [e["code"] for e in negative.json()["errors"]] == ["amount_not_positive"]

    good = json.dumps(captured_event(ppid, checkout_id, amount_minor=PRICE)).encode()
    with httpx.Client(base_url=live_server.base_url, timeout=60) as http:
        unsigned = http.post(WEBHOOK_PATH, content=good)
        problem(unsigned, 401, "bad_signature")
        forged = {
            **signed(container, good),
            SIGNATURE_HEADER: sign("guess", good, int(time.time())),
        }
        problem(http.post(WEBHOOK_PATH, content=good, headers=forged), 401, "bad_signature")
        stale = {SIGNATURE_HEADER: sign(container.psp_secret, good, int(time.time()) - 3600)}
        problem(http.post(WEBHOOK_PATH, content=good, headers=stale), 401, "stale_signature")
    assert state(container, live_server, market) == UNTOUCHED

    # A capture of the right amount in another currency: held, in that currency's suspense.
    euros = captured_event(ppid, checkout_id, amount_minor=PRICE, currency="EUR")
    [answer] = deliver(live_server, container, euros)
    assert answer.json() == {"received": True, "duplicate": False}, answer.text
    [again] = deliver(live_server, container, euros)
    assert again.json() == {"received": True, "duplicate": True}
    assert state(container, live_server, market) == {
        **UNTOUCHED,
        "payment": "held",
        "balances": {"psp:clearing:EUR": PRICE, "platform:suspense:EUR": -PRICE},
        "kinds": {"unapplied_capture": 1},
        "stored_events": 1,
        "mismatches": 1,
    }
    with httpx.Client(base_url=live_server.base_url, headers=market["ops"], timeout=60) as http:
        [item] = http.get(MISMATCHES).json()["items"]
        assert (item["kind"], item["captured_currency"], item["captured_minor"]) == (
            "currency_mismatch",
            "EUR",
            PRICE,
        )
        problem(http.get(f"{MISMATCHES}/pmm_nope"), 404, "not_found")
        problem(http.get(MISMATCHES, params={"status": "lost"}), 422, "validation_failed")


# --- ids and texts of the money routes ----------------------------------------------------------


@pytest.mark.slow
def test_money_routes_refuse_control_characters_and_out_of_range_values(
    client: TestClient, container: Container, live_server: ServerProcess
) -> None:
    market = open_checkout(client, container, live_server)
    ops, buyer, order_id = market["ops"], market["buyer"], market["order_id"]
    nul, bad = "control_characters", "validation_failed"
    refund = f"/api/v1/orders/{order_id}/refunds"
    key = ops | {"Idempotency-Key": "r"}
    refused = [
        ("POST", refund, key, {"amount_minor": 100, "reason": "nul\0here"}, nul),
        ("POST", refund, key, {"amount_minor": 2**63, "reason": "big"}, bad),
        ("POST", refund, key, {"amount_minor": -1, "reason": "neg"}, bad),
        ("POST", refund, key, {"amount_minor": 1.5, "reason": "float"}, bad),
        ("POST", refund, key, {"amount_minor": "100", "reason": "text"}, bad),
        (
            "POST",
            f"/api/v1/orders/{order_id}/disputes",
            buyer,
            {"reason": "not_received", "message": "bell\x07"},
            nul,
        ),
        ("POST", "/api/v1/ops/payouts/run", ops, {"batch": "day\0one"}, nul),
        ("POST", f"{MISMATCHES}/pmm_x/refund", key, {"note": "a\0b"}, nul),
        ("POST", f"{MISMATCHES}/pmm_x/refund", key, {"note": 5}, bad),
        ("GET", "/api/v1/orders/ord%00x/shipment", buyer, None, nul),
        ("GET", "/api/v1/checkouts/chk%00x/payment", buyer, None, nul),
        ("GET", "/sandbox/psp/pay/pi%00x", {}, None, nul),
        ("GET", "/api/v1/ledger/transactions?order_id=ord%00x", ops, None, nul),
        ("GET", f"/api/v1/ledger/transactions?after={2**40}", ops, None, bad),
        ("GET", "/api/v1/ledger/accounts?prefix=%25", ops, None, bad),
        ("GET", f"{MISMATCHES}?after=pmm%00", ops, None, nul),
        ("GET", f"{MISMATCHES}?limit=1000", ops, None, bad),
    ]
    with httpx.Client(base_url=live_server.base_url, timeout=60) as http:
        for method, path, headers, body, code in refused:
            problem(http.request(method, path, headers=headers, json=body), 422, code)
        fine = http.get(f"{MISMATCHES}?limit=1", headers=ops)
        assert (fine.status_code, fine.json()) == (200, {"items": [], "next_cursor": None})
    assert state(container, live_server, market) == {**UNTOUCHED, "stored_events": 0}


# --- a surplus passes through suspense and back, once -------------------------------------------


@pytest.mark.slow
def test_a_surplus_goes_through_suspense_and_back_once(
    client: TestClient, container: Container, live_server: ServerProcess
) -> None:
    """The buyer cancels one of two orders after the card was authorized: the processor
    captures what was asked (5,499), the checkout keeps 3,500, and 1,999 goes back."""
    ops = operator_headers(client, container)
    offers = []
    for email, price_minor in (("a@example.com", 1999), ("b@example.com", 3500)):
        shop = open_shop(client, ops, email, "US")
        offers.append(list_product(client, shop, price_minor=price_minor, stock=5)[1])
    buyer = register(client, "noa@example.com", country="US")
    with httpx.Client(base_url=live_server.base_url, headers=buyer, timeout=60) as http:
        lines = [{"offer_id": o, "quantity": 1} for o in offers]
        checkout = http.post(
            "/api/v1/checkouts",
            headers={"Idempotency-Key": "c"},
            json={"ship_to": SHIP_TO, "lines": lines},
        ).json()
        payment = http.post(
            f"/api/v1/checkouts/{checkout['id']}/payment", headers={"Idempotency-Key": "p"}
        ).json()
        assert payment["amount_minor"] == 5499
        http.post(payment["redirect_url"], data={"card_number": CARD_SUCCESS})
        ppid = payment["redirect_url"].rsplit("/", 1)[1]
        cheap, dear = (o["id"] for o in sorted(checkout["orders"], key=lambda o: o["total_minor"]))
        with container.uow(read_only=True) as uow:
            [authorized] = uow.conn.execute(
                select(sandbox_psp_events.c.payload).where(
                    sandbox_psp_events.c.type == "payment.authorized"
                )
            ).scalars()
        [answer] = deliver(live_server, container, authorized)
        assert answer.status_code == 200, answer.text
        cancelled = http.post(f"/api/v1/orders/{cheap}/cancel", json={})
        assert cancelled.status_code == 200, cancelled.text
        with container.uow(read_only=True) as uow:
            [captured] = uow.conn.execute(
                select(sandbox_psp_events.c.payload).where(
                    sandbox_psp_events.c.type == "payment.captured"
                )
            ).scalars()
        answers = deliver(live_server, container, captured, copies=3)
        assert sorted(a.json()["duplicate"] for a in answers) == [False, True, True]
        statuses = [http.get(f"/api/v1/orders/{o}").json()["status"] for o in (cheap, dear)]
        paid = http.get(f"/api/v1/checkouts/{checkout['id']}/payment").json()
    assert statuses == ["CANCELLED", "AWAITING_SHIPMENT"]
    assert (paid["status"], paid["captured_minor"], paid["refunded_minor"]) == (
        "partially_refunded",
        5499,
        1999,
    )
    with container.uow(read_only=True) as uow:
        balances = _balances(uow)
        kinds = Counter(uow.conn.execute(select(ledger_transactions.c.kind)).scalars())
        processor = uow.conn.execute(
            select(
                sandbox_psp_payments.c.captured_minor, sandbox_psp_payments.c.refunded_minor
            ).where(sandbox_psp_payments.c.id == ppid)
        ).one()
        queued = uow.conn.scalar(select(func.count()).select_from(payment_mismatches))
        breaches = check_ledger(uow)
    assert balances == {
        "psp:clearing:USD": 3500,
        f"order:{dear}:escrow": -3500,
        "platform:suspense:USD": 0,
    }
    assert kinds == {"capture": 1, "unapplied_capture": 1, "unapplied_refund": 1}
    assert (tuple(processor), queued, breaches) == ((5499, 1999), 0, [])
