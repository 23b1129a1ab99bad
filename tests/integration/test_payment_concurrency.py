"""Payments under concurrency, over real HTTP against a real server process, on both databases.

- The same webhook delivered 10 times at once moves money once.
- A payment request retried 10 times at once under one Idempotency-Key starts one payment, and
  paying it captures once.
- 10 payment requests at once under different keys (a double click, two tabs) start one too.

The server runs ``tradewind serve`` without a worker, so nothing delivers the sandbox
processor's webhooks but these tests: they read each event from the processor's outbox and post
it themselves, signed with the server's secret at the current time (the server runs the system
clock).
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
from sqlalchemy import select

from tests.support.api import register
from tests.support.market import SHIP_TO, list_product, open_shop, operator_headers
from tests.support.server import ServerProcess
from tradewind.bootstrap import WEBHOOK_PATH, Container
from tradewind.db.tables.ledger import ledger_transactions
from tradewind.db.tables.payments import payments, sandbox_psp_events, sandbox_psp_payments
from tradewind.escrow.checks import check_ledger
from tradewind.ledger import domain as ledger
from tradewind.ledger.service import balance
from tradewind.payments.sandbox import CARD_SUCCESS
from tradewind.payments.signing import SIGNATURE_HEADER, sign

COPIES = 10
ROUNDS = 5
Post = tuple[str, dict[str, str], bytes]  # path, headers, body


async def _post_all(base_url: str, posts: list[Post]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=len(posts))
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as http:
        return list(
            await asyncio.gather(
                *(http.post(path, headers=headers, content=body) for path, headers, body in posts)
            )
        )


def at_once(server: ServerProcess, posts: list[Post]) -> list[httpx.Response]:
    # A thread of its own: Playwright's sync API may hold this thread's event loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _post_all(server.base_url, posts)).result()


def deliver_at_once(
    server: ServerProcess, container: Container, event: dict[str, Any], copies: int
) -> list[httpx.Response]:
    """The processor's webhook for ``event``, ``copies`` times at once, signed as it signs."""
    body = json.dumps(event, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(container.psp_secret, body, int(time.time())),
    }
    return at_once(server, [(WEBHOOK_PATH, headers, body)] * copies)


def outbox(container: Container, provider_payment_id: str, kind: str) -> list[dict[str, Any]]:
    with container.uow(read_only=True) as uow:
        return list(
            uow.conn.execute(
                select(sandbox_psp_events.c.payload)
                .where(
                    sandbox_psp_events.c.payment_id == provider_payment_id,
                    sandbox_psp_events.c.type == kind,
                )
                .order_by(sandbox_psp_events.c.created_at)
            ).scalars()
        )


def open_market(client: TestClient, container: Container) -> tuple[dict[str, str], list[str]]:
    """Two sellers' offers and a buyer, made in process (the server shares the database)."""
    ops = operator_headers(client, container)
    offer_ids = []
    for email, price_minor in (("a@example.com", 1999), ("b@example.com", 3500)):
        shop = open_shop(client, ops, email, "US")
        offer_ids.append(list_product(client, shop, price_minor=price_minor, stock=20)[1])
    return register(client, "noa@example.com", country="US"), offer_ids


def place_checkout(
    server: ServerProcess, buyer: dict[str, str], offer_ids: list[str], key: str = "checkout"
) -> dict[str, Any]:
    """Both offers in one checkout, placed over HTTP: two orders, one payment."""
    placed = httpx.post(
        f"{server.base_url}/api/v1/checkouts",
        headers={**buyer, "Idempotency-Key": key},
        json={"ship_to": SHIP_TO, "lines": [{"offer_id": o, "quantity": 1} for o in offer_ids]},
        timeout=60,
    )
    assert placed.status_code == 201, placed.text
    checkout: dict[str, Any] = placed.json()
    assert (len(checkout["orders"]), checkout["total_minor"]) == (2, 5499)
    return checkout


def submit_card(server: ServerProcess, payment: dict[str, Any]) -> str:
    """The buyer pays on the processor's hosted page; returns the processor's payment id."""
    page = httpx.post(
        f"{server.base_url}{payment['redirect_url']}",
        data={"card_number": CARD_SUCCESS},
        follow_redirects=False,
        timeout=60,
    )
    assert page.status_code == 303, page.text
    return str(payment["redirect_url"]).rsplit("/", 1)[1]


def assert_captured_once(
    container: Container, server: ServerProcess, buyer: dict[str, str], checkout: dict[str, Any]
) -> None:
    total = checkout["total_minor"]
    with container.uow(read_only=True) as uow:
        captures = Counter(
            uow.conn.execute(
                select(ledger_transactions.c.order_id).where(
                    ledger_transactions.c.kind == "capture"
                )
            ).scalars()
        )
        processor = uow.conn.execute(
            select(sandbox_psp_payments.c.status, sandbox_psp_payments.c.captured_minor).where(
                sandbox_psp_payments.c.merchant_reference == checkout["id"]
            )
        ).all()
        events = Counter(uow.conn.execute(select(sandbox_psp_events.c.type)).scalars())
        escrow = {o["id"]: -balance(uow, ledger.order_escrow(o["id"])) for o in checkout["orders"]}
        clearing = balance(uow, ledger.psp_clearing("USD"))
        breaches = check_ledger(uow)
    assert captures == {o["id"]: 1 for o in checkout["orders"]}
    assert escrow == {o["id"]: o["total_minor"] for o in checkout["orders"]}
    assert processor == [("captured", total)]
    assert events == {"payment.authorized": 1, "payment.captured": 1}
    assert (clearing, breaches) == (total, [])
    with httpx.Client(base_url=server.base_url, headers=buyer, timeout=60) as http:
        payment = http.get(f"/api/v1/checkouts/{checkout['id']}/payment").json()
        statuses = [
            http.get(f"/api/v1/orders/{o['id']}").json()["status"] for o in checkout["orders"]
        ]
    assert (payment["status"], payment["captured_minor"]) == ("captured", total)
    assert statuses == ["AWAITING_SHIPMENT", "AWAITING_SHIPMENT"]


@pytest.mark.slow
def test_the_same_webhook_ten_times_at_once_moves_money_once(
    client: TestClient, container: Container, live_server: ServerProcess
) -> None:
    buyer, offer_ids = open_market(client, container)
    checkout = place_checkout(live_server, buyer, offer_ids)
    started = httpx.post(
        f"{live_server.base_url}/api/v1/checkouts/{checkout['id']}/payment",
        headers={**buyer, "Idempotency-Key": "pay"},
        timeout=60,
    )
    assert started.status_code == 201, started.text
    provider_payment_id = submit_card(live_server, started.json())

    # Authorizing makes the server capture, which emits the capture event: deliver both.
    for kind in ("payment.authorized", "payment.captured"):
        [event] = outbox(container, provider_payment_id, kind)
        answers = deliver_at_once(live_server, container, event, COPIES)
        assert [a.status_code for a in answers] == [200] * COPIES, [a.text for a in answers]
        acks = Counter((a.json()["received"], a.json()["duplicate"]) for a in answers)
        assert acks == {(True, False): 1, (True, True): COPIES - 1}, kind
    assert_captured_once(container, live_server, buyer, checkout)


@pytest.mark.slow
def test_a_payment_request_retried_ten_times_at_once_starts_one_payment(
    client: TestClient, container: Container, live_server: ServerProcess
) -> None:
    buyer, offer_ids = open_market(client, container)
    checkout = place_checkout(live_server, buyer, offer_ids)
    request = (
        f"/api/v1/checkouts/{checkout['id']}/payment",
        {**buyer, "Idempotency-Key": "pay-once"},
        b"",
    )
    answers = at_once(live_server, [request] * COPIES)
    assert {(a.status_code, a.content) for a in answers} == {(201, answers[0].content)}
    replayed = Counter(a.headers.get("idempotent-replayed") for a in answers)
    assert replayed == {None: 1, "true": COPIES - 1}
    with container.uow(read_only=True) as uow:
        started = uow.conn.execute(
            select(payments.c.id).where(payments.c.checkout_id == checkout["id"])
        ).all()
        at_processor = uow.conn.execute(
            select(sandbox_psp_payments.c.id).where(
                sandbox_psp_payments.c.merchant_reference == checkout["id"]
            )
        ).all()
    assert (len(started), len(at_processor)) == (1, 1)
    payment = answers[0].json()
    assert (payment["id"], payment["amount_minor"]) == (started[0].id, checkout["total_minor"])

    provider_payment_id = submit_card(live_server, payment)
    assert provider_payment_id == at_processor[0].id
    for kind in ("payment.authorized", "payment.captured"):
        [event] = outbox(container, provider_payment_id, kind)
        [answer] = deliver_at_once(live_server, container, event, 1)
        assert answer.json() == {"received": True, "duplicate": False}, answer.text
    assert_captured_once(container, live_server, buyer, checkout)


@pytest.mark.slow
def test_payment_requests_under_different_keys_at_once_start_one_payment(
    client: TestClient, container: Container, live_server: ServerProcess
) -> None:
    """A double click, or two tabs: each request has its own key. One after another, every
    request gets the one payment back; at once, they must too (in each of a few rounds, as
    a race may or may not happen in one)."""
    buyer, offer_ids = open_market(client, container)
    for round_ in range(ROUNDS):
        checkout = place_checkout(live_server, buyer, offer_ids, key=f"checkout-{round_}")
        path = f"/api/v1/checkouts/{checkout['id']}/payment"
        answers = at_once(
            live_server,
            [(path, {**buyer, "Idempotency-Key": f"tab-{round_}-{n}"}, b"") for n in range(COPIES)],
        )
        outcomes = Counter((a.status_code, a.json().get("id") or a.json()["code"]) for a in answers)
        with container.uow(read_only=True) as uow:
            started = uow.conn.execute(
                select(payments.c.id).where(payments.c.checkout_id == checkout["id"])
            ).scalar_one()
        assert outcomes == {(201, started): COPIES}, (
            f"BUG: {COPIES} payment requests for one checkout at once, each under its own "
            f"Idempotency-Key, answered {dict(outcomes)}: start_payment reads the existing "
            f"payment, then inserts, and the loser of the race hits uq_payments_checkout_id "
            f"(a 500; on PostgreSQL)"
        )
