"""The payout batch under risk's restrictions, on both databases: a held seller is paid nothing
until the hold is lifted; a rolling reserve keeps its share of each payout back; a receivable
(a lost chargeback) is set off before the reserve's rest is paid. Exact figures throughout."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import insert, update

from tests.support.api import register
from tests.support.market import list_product, open_shop, operator_headers
from tests.support.money_flow import assert_ledger_ok, buy, pay, sell_one
from tradewind.bootstrap import Container
from tradewind.db.tables.risk import risk_holds
from tradewind.kernel.clock import ManualClock
from tradewind.ledger import domain as ledger
from tradewind.ledger.service import balance


def _balance(container: Container, account: str) -> int:
    with container.uow(read_only=True) as uow:
        return balance(uow, account)


def _restrict(container: Container, account_id: str, action: str, amount: int) -> None:
    with container.uow() as uow:
        uow.conn.execute(
            insert(risk_holds).values(
                case_id=f"case-{action}",
                action=action,
                target_id=account_id,
                amount=amount,
                created_at=uow.clock.now(),
                lifted_at=None,
            )
        )
        uow.commit()


def _lift(container: Container, action: str) -> None:
    with container.uow() as uow:
        uow.conn.execute(
            update(risk_holds)
            .where(risk_holds.c.action == action)
            .values(lifted_at=uow.clock.now())
        )
        uow.commit()


def _run(client: TestClient, ops: dict[str, str], batch: str) -> list[tuple[int, int]]:
    paid = client.post("/api/v1/ops/payouts/run", headers=ops, json={"batch": batch})
    assert paid.status_code == 200, paid.text
    return [(p["amount_minor"], p["netted_minor"]) for p in paid.json()]


def test_a_payout_hold_pays_nothing_until_lifted(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "held.shop@example.com", "US")
    account_id = client.get("/api/v1/me", headers=shop.headers).json()["id"]
    sell_one(client, container, clock, shop, "h1")
    _restrict(container, account_id, "hold_payout", 0)

    assert _run(client, ops, "day-1") == []
    assert _balance(container, ledger.seller_payable(shop.seller_id)) == -9200  # untouched

    _lift(container, "hold_payout")
    assert _run(client, ops, "day-2") == [(9200, 0)]
    assert _balance(container, ledger.seller_payable(shop.seller_id)) == 0
    assert_ledger_ok(container)


def test_a_rolling_reserve_keeps_a_fifth_of_each_payout_back(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "reserve.shop@example.com", "US")
    account_id = client.get("/api/v1/me", headers=shop.headers).json()["id"]
    _restrict(container, account_id, "rolling_reserve", 2000)
    sell_one(client, container, clock, shop, "r1")

    # 9,200 owed: 1,840 (20%) kept, 7,360 paid.
    assert _run(client, ops, "day-1") == [(7360, 0)]
    assert _balance(container, ledger.seller_payable(shop.seller_id)) == -1840
    # A second sale: 1,840 + 9,200 = 11,040 owed, 2,208 kept, 8,832 paid.
    sell_one(client, container, clock, shop, "r2")
    assert _run(client, ops, "day-2") == [(8832, 0)]
    assert _balance(container, ledger.seller_payable(shop.seller_id)) == -2208
    # Lifted: the reserve is paid out with the next batch.
    _lift(container, "rolling_reserve")
    assert _run(client, ops, "day-3") == [(2208, 0)]
    assert _balance(container, ledger.seller_payable(shop.seller_id)) == 0
    assert_ledger_ok(container)


def test_a_reserve_and_a_lost_chargeback_receivable_net_before_paying(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    from tests.integration.test_chargebacks import _provider_payment
    from tests.support.money_flow import deliver_all
    from tradewind.money.amount import Money

    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "netted.shop@example.com", "US")
    account_id = client.get("/api/v1/me", headers=shop.headers).json()["id"]
    offer_id = list_product(client, shop, price_minor=10000, stock=1, title="Lamp c1")[1]
    buyer = register(client, "buyer.c1@example.com", country="US")
    checkout = buy(client, buyer, offer_id, key="c1")
    pay(client, container, clock, buyer, checkout["id"])
    # Not as described, lost: the seller owes 3,000 before anything is released.
    cb_id = container.payments.open_chargeback(
        _provider_payment(container, checkout["id"]), Money(3000, "USD"), "13.3"
    )
    container.payments.decide_chargeback(cb_id, won=False)
    deliver_all(client, container, clock)
    assert _balance(container, ledger.seller_receivable(shop.seller_id)) == 3000
    order_id = checkout["orders"][0]["id"]
    client.post(f"/api/v1/orders/{order_id}/ship", headers=shop.headers, json={})
    client.post(f"/api/v1/orders/{order_id}/confirm-receipt", headers=buyer)
    _restrict(container, account_id, "rolling_reserve", 2000)

    # 9,200 owed: 1,840 kept; of the 7,360 left, 3,000 settles the receivable, 4,360 is paid.
    assert _run(client, ops, "day-1") == [(4360, 3000)]
    assert _balance(container, ledger.seller_receivable(shop.seller_id)) == 0
    assert _balance(container, ledger.seller_payable(shop.seller_id)) == -1840
    assert_ledger_ok(container)


def test_a_payout_the_bank_refuses_returns_to_the_balance_and_is_paid_next_time(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    from tradewind.bootstrap import send_intents
    from tradewind.payments import reconciliation

    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "refused.shop@example.com", "US")
    sell_one(client, container, clock, shop, "f1")
    container.payments.refuse_payouts_to = {shop.seller_id}
    assert _run(client, ops, "day-1") == [(9200, 0)]
    send_intents(container, retry_now=True)
    listed = client.get("/api/v1/payouts", headers=shop.headers).json()["items"]
    assert [(p["amount_minor"], p["status"]) for p in listed] == [(9200, "refused")]
    assert _balance(container, ledger.seller_payable(shop.seller_id)) == -9200  # back
    balances = client.get("/api/v1/sellers/me/balances", headers=shop.headers).json()
    assert (balances["available_minor"], balances["paid_out_minor"]) == (9200, 0)
    result = reconciliation.reconcile_day(container.uow, container.payments, clock.now().date())
    assert result.mismatches == []  # booked and given back: nothing the report should list
    assert_ledger_ok(container)

    container.payments.refuse_payouts_to = set()
    assert _run(client, ops, "day-2") == [(9200, 0)]
    send_intents(container, retry_now=True)
    assert _balance(container, ledger.seller_payable(shop.seller_id)) == 0
    statuses = [
        p["status"] for p in client.get("/api/v1/payouts", headers=shop.headers).json()["items"]
    ]
    assert sorted(statuses) == ["paid", "refused"]
    assert_ledger_ok(container)
