"""Reconciliation of the sandbox processor's settlement report against the ledger.

A day of real payments (2.9% processor fee) with a cancellation refund reconciles with no
mismatch; then one short capture, one duplicated refund and one unreported fee are injected
into the processor's books, and exactly those three are reported, queued once, listed to
operators, and resolved once; ``tradewind reconcile`` exits 1 while any is open.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import insert, select, update

from tests.support.api import assert_problem, register
from tests.support.market import list_product, open_shop, operator_headers
from tests.support.money_flow import assert_ledger_ok, buy, pay
from tradewind.bootstrap import Container
from tradewind.db.tables.payments import payments, sandbox_psp_balance_moves
from tradewind.kernel.clock import ManualClock
from tradewind.ledger import domain as ledger
from tradewind.ledger.service import balance
from tradewind.money.amount import Money
from tradewind.payments import reconciliation
from tradewind.payments.sandbox import fee_of

QUEUE = "/api/v1/ops/settlement-mismatches"


def cli_reconcile(db_url: str, day: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TRADEWIND_DATABASE_URL": db_url, "TRADEWIND_SECRET_KEY": "test-secret"}
    return subprocess.run(
        [sys.executable, "-m", "tradewind", "reconcile", "--date", day],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def a_day_of_payments(
    client: TestClient, container: Container, clock: ManualClock
) -> dict[str, object]:
    """Three paid checkouts (10.00, 2 x 25.00, 33.33 USD); the seller cancels the second."""
    container.payments.fee_bps = 290
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "recon.shop@example.com", "US")
    ids = {}
    for n, price in enumerate((1000, 2500, 3333)):
        _, offer_id = list_product(client, shop, price_minor=price, stock=5, title=f"Item {n}")
        ids[price] = offer_id
    buyer = register(client, "recon.buyer@example.com", country="US")
    paid = []
    for price, quantity in ((1000, 1), (2500, 2), (3333, 1)):
        checkout = buy(client, buyer, ids[price], quantity=quantity, key=f"buy-{price}")
        payment = pay(client, container, clock, buyer, checkout["id"])
        assert payment["status"] == "captured", payment
        paid.append(checkout)
    cancelled = client.post(
        f"/api/v1/orders/{paid[1]['orders'][0]['id']}/cancel",
        headers=shop.headers,
        json={"reason": "broken in the warehouse"},
    )
    assert cancelled.json()["status"] == "CANCELLED_REFUNDED", cancelled.text
    return {"ops": ops, "checkouts": paid}


def test_a_day_reconciles_then_exactly_the_three_injected_faults_are_reported(
    client: TestClient, container: Container, clock: ManualClock, db_url: str
) -> None:
    market = a_day_of_payments(client, container, clock)
    day = clock.now().date()
    fees = [fee_of(Money(m, "USD"), 290).amount_minor for m in (1000, 5000, 3333)]
    assert fees == [29, 145, 97]
    with container.uow(read_only=True) as uow:
        assert balance(uow, ledger.platform_processor_fees("USD")) == 271
        # captured 9333, fees 271, refunded 5000: what the processor holds for us
        assert balance(uow, ledger.psp_clearing("USD")) == 9333 - 271 - 5000
    assert_ledger_ok(container)

    clean = reconciliation.reconcile_day(container.uow, container.payments, day)
    assert clean.counts == {
        "matched": 7,  # 3 captures, 3 fees, 1 refund
        "missing_ours": 0,
        "missing_theirs": 0,
        "amount_differs": 0,
        "currency_differs": 0,
    }
    assert (clean.mismatches, clean.open_total) == ([], 0)
    ok = cli_reconcile(db_url, day.isoformat())
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines() == [
        f"{day}: matched 7, missing ours 0, missing theirs 0, amount differs 0, currency differs 0",
        "open settlement mismatches: 0",
    ]

    # The processor's books disagree: the 33.33 capture settled 100 short, the refund settled
    # twice, and a fee nobody announced.
    with container.uow(read_only=True) as uow:
        ppids = [
            uow.conn.scalar(
                select(payments.c.provider_payment_id).where(payments.c.checkout_id == c["id"])
            )
            for c in market["checkouts"]  # type: ignore[attr-defined]
        ]
        refund = uow.conn.execute(
            select(sandbox_psp_balance_moves).where(sandbox_psp_balance_moves.c.type == "refund")
        ).one()
    with container.uow() as uow:
        uow.conn.execute(
            update(sandbox_psp_balance_moves)
            .where(
                sandbox_psp_balance_moves.c.payment_id == ppids[2],
                sandbox_psp_balance_moves.c.type == "capture",
            )
            .values(amount_minor=3233)
        )
        uow.conn.execute(
            insert(sandbox_psp_balance_moves).values({**refund._mapping, "id": "bm_duplicate"})
        )
        uow.conn.execute(
            insert(sandbox_psp_balance_moves).values(
                {**refund._mapping, "id": "bm_fee", "type": "fee", "amount_minor": -150}
            )
        )
        uow.commit()

    found = reconciliation.reconcile_day(container.uow, container.payments, day)
    assert found.counts == {
        "matched": 6,
        "missing_ours": 2,
        "missing_theirs": 0,
        "amount_differs": 1,
        "currency_differs": 0,
    }
    assert {(f.kind, f.ref, f.reported, f.booked) for f in found.mismatches} == {
        ("amount_differs", f"capture:{ppids[2]}", Money(3233, "USD"), Money(3333, "USD")),
        ("missing_ours", f"refund:{refund.reference}", Money(-5000, "USD"), Money(-5000, "USD")),
        ("missing_ours", f"fee:{refund.reference}", Money(-150, "USD"), None),
    }
    assert found.open_total == 3
    again = reconciliation.reconcile_day(container.uow, container.payments, day)
    assert (again.counts, again.open_total) == (found.counts, 3)  # found again, queued once

    failing = cli_reconcile(db_url, day.isoformat())
    assert failing.returncode == 1
    assert failing.stdout.splitlines()[0] == (
        f"{day}: matched 6, missing ours 2, missing theirs 0, amount differs 1, currency differs 0"
    )
    assert failing.stdout.splitlines()[-1] == "open settlement mismatches: 3"

    ops = market["ops"]
    queue = client.get(QUEUE, headers=ops, params={"status": "open"}).json()["items"]  # type: ignore[arg-type]
    assert sorted((m["kind"], m["reported_minor"], m["booked_minor"]) for m in queue) == [
        ("amount_differs", 3233, 3333),
        ("missing_ours", -5000, -5000),
        ("missing_ours", -150, None),
    ]
    assert all(m["action"] and m["settlement_date"] == str(day) for m in queue)
    buyer = register(client, "nosy@example.com", country="US")
    assert_problem(client.get(QUEUE, headers=buyer), 403, "role_required")
    for n, mismatch in enumerate(queue):
        path = f"{QUEUE}/{mismatch['id']}/resolve"
        body = {"note": "claimed from the processor"}
        done = client.post(path, headers={**ops, "Idempotency-Key": f"r{n}"}, json=body)  # type: ignore[dict-item]
        assert (done.status_code, done.json()["status"]) == (200, "resolved"), done.text
        twice = client.post(path, headers={**ops, "Idempotency-Key": f"x{n}"}, json=body)  # type: ignore[dict-item]
        assert_problem(twice, 409, "mismatch_resolved")
    resolved = cli_reconcile(db_url, day.isoformat())
    assert resolved.returncode == 0, resolved.stdout
    assert resolved.stdout.splitlines()[-1] == "open settlement mismatches: 0"


def test_the_worker_reconciles_each_day_on_its_timer_and_rearms(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    from tradewind.db.tables.timers import timers
    from tradewind.timers.service import run_due
    from tradewind.worker import arm_recurring_timers

    market = a_day_of_payments(client, container, clock)
    day = clock.now().date()
    arm_recurring_timers(container)
    arm_recurring_timers(container)  # a restart arms nothing twice
    with container.uow() as uow:
        ppid = uow.conn.scalar(
            select(payments.c.provider_payment_id).where(
                payments.c.checkout_id == market["checkouts"][2]["id"]  # type: ignore[index]
            )
        )
        uow.conn.execute(
            update(sandbox_psp_balance_moves)
            .where(
                sandbox_psp_balance_moves.c.payment_id == ppid,
                sandbox_psp_balance_moves.c.type == "capture",
            )
            .values(amount_minor=3233)
        )
        uow.commit()
    clock.advance(timedelta(days=1))
    run_due(container.uow, container.timer_handlers, limit=1000)
    queue = client.get(QUEUE, headers=market["ops"], params={"status": "open"}).json()["items"]  # type: ignore[arg-type]
    assert [
        (m["kind"], m["reported_minor"], m["booked_minor"], m["settlement_date"]) for m in queue
    ] == [("amount_differs", 3233, 3333, str(day))]
    with container.uow(read_only=True) as uow:
        armed = uow.conn.execute(
            select(timers.c.dedupe_key, timers.c.status, timers.c.payload)
            .where(timers.c.kind == reconciliation.RECONCILE_KIND)
            .order_by(timers.c.id)
        ).all()
    next_day = day + timedelta(days=1)
    assert [tuple(r) for r in armed] == [
        (f"{reconciliation.RECONCILE_KIND}:{day}", "done", {"day": str(day)}),
        (f"{reconciliation.RECONCILE_KIND}:{next_day}", "pending", {"day": str(next_day)}),
    ]
    assert_ledger_ok(container)
