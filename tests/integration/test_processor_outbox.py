"""The outbox of processor calls: made after commit, retried under one key, applied once, and
recovered after a SIGKILL between our commit and the call, and between the call and its answer.

A crash is a real ``SIGKILL`` the process sends itself at a named failpoint
(``TRADEWIND_FAILPOINT``, :mod:`tradewind.kernel.failpoints`): in ``tradewind outbox run`` for a
refund and a payout, in a ``tradewind serve`` handling the authorization webhook for a capture. The
processor's own records (the sandbox's payments, requests and balance moves) show how many
times it really moved money.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.support.api import register
from tests.support.market import list_product, open_shop, operator_headers
from tests.support.money_flow import assert_ledger_ok, buy, deliver_all, pay
from tests.support.server import ServerProcess
from tradewind.bootstrap import WEBHOOK_PATH, Container, send_intents
from tradewind.db.tables.payments import (
    processor_intents,
    sandbox_psp_balance_moves,
    sandbox_psp_events,
    sandbox_psp_payments,
)
from tradewind.escrow import service as escrow
from tradewind.kernel.clock import ManualClock
from tradewind.ledger import domain as ledger
from tradewind.ledger.service import balance
from tradewind.ordering.domain import OrderEvent
from tradewind.payments.sandbox import CARD_SUCCESS
from tradewind.payments.signing import SIGNATURE_HEADER, sign

PRICE = 3000


@pytest.fixture
def clock() -> ManualClock:
    """Real time (pushable): the subprocesses run on the system clock, and events they emit
    must look fresh to this test's webhook receiver."""
    return ManualClock()


def outbox_run(db_url: str, failpoint: str | None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TRADEWIND_DATABASE_URL": db_url, "TRADEWIND_SECRET_KEY": "test-secret"}
    env.pop("TRADEWIND_FAILPOINT", None)
    if failpoint:
        env["TRADEWIND_FAILPOINT"] = failpoint
    return subprocess.run(
        [sys.executable, "-m", "tradewind", "outbox", "run", "--retry-now"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def processor_state(container: Container, ppid: str, kind: str) -> dict[str, Any]:
    """What the processor did (its own tables) and where our intent stands."""
    with container.uow(read_only=True) as uow:
        payment = uow.conn.execute(
            select(
                sandbox_psp_payments.c.captured_minor, sandbox_psp_payments.c.refunded_minor
            ).where(sandbox_psp_payments.c.id == ppid)
        ).one()
        moves = uow.conn.scalar(
            select(func.count())
            .select_from(sandbox_psp_balance_moves)
            .where(
                sandbox_psp_balance_moves.c.payment_id == ppid,
                sandbox_psp_balance_moves.c.type == kind,
            )
        )
        intent = uow.conn.execute(
            select(processor_intents.c.status, processor_intents.c.attempts).where(
                processor_intents.c.provider_payment_id == ppid,
                processor_intents.c.kind == kind,
            )
        ).one()
    return {
        "captured": payment.captured_minor,
        "refunded": payment.refunded_minor,
        "moves": moves,
        "intent": tuple(intent),
    }


def paid_order(client: TestClient, container: Container, clock: ManualClock) -> dict[str, Any]:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "outbox.shop@example.com", "US")
    _, offer_id = list_product(client, shop, price_minor=PRICE, stock=5)
    buyer = register(client, "outbox.buyer@example.com", country="US")
    checkout = buy(client, buyer, offer_id, quantity=2)
    payment = pay(client, container, clock, buyer, checkout["id"])
    assert (payment["status"], payment["captured_minor"]) == ("captured", 2 * PRICE)
    ppid = payment["redirect_url"].rsplit("/", 1)[1]
    return {"order_id": checkout["orders"][0]["id"], "ppid": ppid}


def test_sigkill_before_and_after_the_refund_call_refunds_exactly_once(
    client: TestClient, container: Container, clock: ManualClock, db_url: str
) -> None:
    market = paid_order(client, container, clock)
    ppid = market["ppid"]
    # The seller accepts a cancellation: refund decided and committed, no call made yet (the
    # process that committed it is gone before it could call: nothing but the row is left).
    with container.uow() as uow:
        escrow.cancel_paid_order(
            uow,
            container.payments,
            market["order_id"],
            OrderEvent.ACCEPT_CANCELLATION,
            actor_id=None,
            note="out of stock",
        )
        uow.commit()
    assert processor_state(container, ppid, "refund") == {
        "captured": 6000,
        "refunded": 0,
        "moves": 0,
        "intent": ("pending", 0),
    }

    # Killed after claiming the attempt, before the processor heard of it.
    killed = outbox_run(db_url, "outbox.before_call")
    assert killed.returncode == -9, killed.stderr
    assert processor_state(container, ppid, "refund") == {
        "captured": 6000,
        "refunded": 0,
        "moves": 0,
        "intent": ("pending", 1),
    }

    # Killed after the processor refunded, before its answer was applied.
    killed = outbox_run(db_url, "outbox.after_call")
    assert killed.returncode == -9, killed.stderr
    assert processor_state(container, ppid, "refund") == {
        "captured": 6000,
        "refunded": 6000,
        "moves": 1,
        "intent": ("pending", 2),
    }

    # The worker's next run: the same key, the processor's first answer, settled once.
    recovered = outbox_run(db_url, None)
    assert recovered.returncode == 0, recovered.stderr
    assert recovered.stdout.strip() == "settled 1, pending 0"
    after = {"captured": 6000, "refunded": 6000, "moves": 1, "intent": ("succeeded", 3)}
    assert processor_state(container, ppid, "refund") == after

    # The processor's refund.succeeded webhooks (one or two copies) change nothing more.
    deliver_all(client, container, clock)
    assert send_intents(container, retry_now=True) == 0
    assert processor_state(container, ppid, "refund") == after
    with container.uow(read_only=True) as uow:
        assert balance(uow, ledger.psp_clearing("USD")) == 0
        assert balance(uow, ledger.order_escrow(market["order_id"])) == 0
    assert_ledger_ok(container)


def _authorized_event(container: Container, ppid: str) -> bytes:
    with container.uow(read_only=True) as uow:
        payload = uow.conn.execute(
            select(sandbox_psp_events.c.payload).where(
                sandbox_psp_events.c.payment_id == ppid,
                sandbox_psp_events.c.type == "payment.authorized",
            )
        ).scalar_one()
    return json.dumps(payload).encode()


@pytest.mark.parametrize(
    ("failpoint", "captured_at_crash"), [("outbox.before_call", 0), ("outbox.after_call", 6000)]
)
def test_sigkill_in_the_server_around_the_capture_call_captures_exactly_once(
    client: TestClient,
    container: Container,
    clock: ManualClock,
    db_url: str,
    tmp_path: Path,
    failpoint: str,
    captured_at_crash: int,
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "outbox.shop@example.com", "US")
    _, offer_id = list_product(client, shop, price_minor=PRICE, stock=5)
    buyer = register(client, "outbox.buyer@example.com", country="US")
    checkout = buy(client, buyer, offer_id, quantity=2)
    started = client.post(
        f"/api/v1/checkouts/{checkout['id']}/payment",
        headers={**buyer, "Idempotency-Key": "pay"},
    ).json()
    page = client.post(
        started["redirect_url"], data={"card_number": CARD_SUCCESS}, follow_redirects=False
    )
    assert page.status_code == 303, page.text
    ppid = started["redirect_url"].rsplit("/", 1)[1]

    # A server takes the authorization webhook, commits the capture intent, and dies at the
    # failpoint while making the call.
    server = ServerProcess(
        db_url,
        command="serve",
        env={"TRADEWIND_FAILPOINT": failpoint},
        log_path=tmp_path / "server.log",
    )
    server.start()
    try:
        body = _authorized_event(container, ppid)
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(container.psp_secret, body, int(clock.now().timestamp())),
        }
        with pytest.raises(httpx.HTTPError):
            httpx.post(server.base_url + WEBHOOK_PATH, content=body, headers=headers, timeout=60)
        assert server.wait_exit(30) == -9
    finally:
        server.stop()
    assert processor_state(container, ppid, "capture") == {
        "captured": captured_at_crash,
        "refunded": 0,
        "moves": 1 if captured_at_crash else 0,
        "intent": ("pending", 1),
    }
    status = client.get(f"/api/v1/checkouts/{checkout['id']}/payment", headers=buyer).json()
    assert status["status"] == "capture_requested"

    recovered = outbox_run(db_url, None)
    assert recovered.returncode == 0, recovered.stderr
    assert recovered.stdout.strip() == "settled 1, pending 0"
    deliver_all(client, container, clock)  # the processor's payment.captured (and duplicates)
    assert processor_state(container, ppid, "capture") == {
        "captured": 6000,
        "refunded": 0,
        "moves": 1,
        "intent": ("succeeded", 2),
    }
    paid = client.get(f"/api/v1/checkouts/{checkout['id']}/payment", headers=buyer).json()
    assert (paid["status"], paid["captured_minor"]) == ("captured", 6000)
    with container.uow(read_only=True) as uow:
        assert balance(uow, ledger.psp_clearing("USD")) == 6000
        assert balance(uow, ledger.order_escrow(checkout["orders"][0]["id"])) == -6000
    assert_ledger_ok(container)


def payout_state(container: Container, key: str) -> dict[str, Any]:
    """The processor's payout moves under ``key``, our intent, and our payout row."""
    from tradewind.db.tables.escrow import payouts

    with container.uow(read_only=True) as uow:
        moves = uow.conn.execute(
            select(sandbox_psp_balance_moves.c.amount_minor).where(
                sandbox_psp_balance_moves.c.type == "payout",
                sandbox_psp_balance_moves.c.reference == key,
            )
        ).all()
        intent = uow.conn.execute(
            select(processor_intents.c.status, processor_intents.c.attempts).where(
                processor_intents.c.idempotency_key == key
            )
        ).one()
        row = uow.conn.execute(
            select(payouts.c.status, payouts.c.amount_minor).where(payouts.c.batch_key == key)
        ).one()
    return {"moves": [m.amount_minor for m in moves], "intent": tuple(intent), "row": tuple(row)}


def test_sigkill_before_and_after_the_payout_call_pays_exactly_once(
    client: TestClient, container: Container, clock: ManualClock, db_url: str
) -> None:
    from tradewind.escrow import payouts

    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "outbox.payee@example.com", "US")
    _, offer_id = list_product(client, shop, price_minor=PRICE, stock=5)
    buyer = register(client, "outbox.payer@example.com", country="US")
    checkout = buy(client, buyer, offer_id, quantity=2)
    pay(client, container, clock, buyer, checkout["id"])
    order_id = checkout["orders"][0]["id"]
    client.post(f"/api/v1/orders/{order_id}/ship", headers=shop.headers, json={})
    confirmed = client.post(f"/api/v1/orders/{order_id}/confirm-receipt", headers=buyer)
    assert confirmed.status_code == 200, confirmed.text
    with container.uow() as uow:
        made = payouts.run_payouts(uow, container.payments, minimum_major="1", batch_key="b1")
        uow.commit()
    key = str(made[0]["batch_key"])
    paid = int(made[0]["amount_minor"])
    assert payout_state(container, key) == {
        "moves": [],
        "intent": ("pending", 0),
        "row": ("requested", paid),
    }
    killed = outbox_run(db_url, "outbox.before_call")
    assert killed.returncode == -9, killed.stderr
    assert payout_state(container, key)["moves"] == []
    killed = outbox_run(db_url, "outbox.after_call")
    assert killed.returncode == -9, killed.stderr
    assert payout_state(container, key) == {
        "moves": [-paid],
        "intent": ("pending", 2),
        "row": ("requested", paid),
    }
    recovered = outbox_run(db_url, None)
    assert recovered.returncode == 0, recovered.stderr
    assert recovered.stdout.strip() == "settled 1, pending 0"
    assert payout_state(container, key) == {
        "moves": [-paid],
        "intent": ("succeeded", 3),
        "row": ("paid", paid),
    }
    assert send_intents(container, retry_now=True) == 0
    assert payout_state(container, key)["moves"] == [-paid]
    assert_ledger_ok(container)
