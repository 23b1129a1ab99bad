"""A buyer cancels a checkout awaiting payment: stock back at once and exactly once, lines back
in the cart; idempotent; against paying and the payment timeout, exactly one of them wins."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.support.api import assert_problem, register
from tests.support.market import SHIP_TO, list_product, open_shop, operator_headers
from tests.support.money_flow import assert_ledger_ok, deliver_all
from tradewind.bootstrap import Container
from tradewind.db.tables.catalog import offers
from tradewind.db.tables.ordering import order_events
from tradewind.identity.domain import Principal
from tradewind.identity.service import principal_from_token
from tradewind.kernel.clock import ManualClock
from tradewind.kernel.errors import DomainError
from tradewind.ordering import checkout as checkouts
from tradewind.payments.sandbox import CARD_SUCCESS
from tradewind.timers.service import run_due


def _stock(container: Container, offer_id: str) -> int:
    with container.uow(read_only=True) as uow:
        return int(uow.conn.scalar(select(offers.c.stock).where(offers.c.id == offer_id)))


def _cancel_events(container: Container) -> int:
    with container.uow(read_only=True) as uow:
        return len(
            uow.conn.execute(
                select(order_events.c.id).where(order_events.c.event == "buyer_cancel")
            ).all()
        )


def _checkout(client: TestClient, container: Container) -> tuple[dict, dict, str, str]:  # type: ignore[type-arg]
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "us@example.com", "US")
    _, cable = list_product(client, shop, price_minor=1000, stock=5)
    _, plug = list_product(client, shop, price_minor=700, stock=3, title="Plug adapter")
    buyer = register(client, "noa@example.com", country="US")
    for offer_id, quantity in ((cable, 3), (plug, 1)):
        client.put(f"/api/v1/cart/lines/{offer_id}", headers=buyer, json={"quantity": quantity})
    placed = client.post(
        "/api/v1/checkouts", headers={**buyer, "Idempotency-Key": "c"}, json={"ship_to": SHIP_TO}
    )
    assert placed.status_code == 201, placed.text
    assert client.get("/api/v1/cart", headers=buyer).json()["lines"] == []
    return buyer, placed.json(), cable, plug


def test_cancel_returns_stock_once_and_the_lines_to_the_cart(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    buyer, placed, cable, plug = _checkout(client, container)
    assert (_stock(container, cable), _stock(container, plug)) == (2, 2)

    other = register(client, "eve@example.com", country="US")
    assert_problem(
        client.post(f"/api/v1/checkouts/{placed['id']}/cancel", headers=other), 404, "not_found"
    )
    assert (_stock(container, cable), _stock(container, plug)) == (2, 2)

    cancelled = client.post(f"/api/v1/checkouts/{placed['id']}/cancel", headers=buyer)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert [o["status"] for o in cancelled.json()["orders"]] == ["CANCELLED"]
    assert (_stock(container, cable), _stock(container, plug)) == (5, 3)
    cart = client.get("/api/v1/cart", headers=buyer).json()
    assert sorted((line["offer_id"], line["quantity"]) for line in cart["lines"]) == sorted(
        [(cable, 3), (plug, 1)]
    )

    again = client.post(f"/api/v1/checkouts/{placed['id']}/cancel", headers=buyer)
    assert again.status_code == 200
    assert again.json() == cancelled.json()
    assert (_stock(container, cable), _stock(container, plug)) == (5, 3)
    assert _cancel_events(container) == 1
    assert len(client.get("/api/v1/cart", headers=buyer).json()["lines"]) == 2

    clock.advance(timedelta(seconds=container.settings.payment_timeout_s + 1))
    assert run_due(container.uow, container.timer_handlers) == 0  # the timeout was cancelled
    assert (_stock(container, cable), _stock(container, plug)) == (5, 3)
    assert_problem(
        client.post(
            f"/api/v1/checkouts/{placed['id']}/payment",
            headers={**buyer, "Idempotency-Key": "late"},
        ),
        409,
        "checkout_not_payable",
    )


def test_an_expired_or_paid_checkout_cannot_be_cancelled(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    buyer, placed, cable, _ = _checkout(client, container)
    clock.advance(timedelta(seconds=container.settings.payment_timeout_s))
    assert run_due(container.uow, container.timer_handlers) == 1
    assert _stock(container, cable) == 5
    refused = client.post(f"/api/v1/checkouts/{placed['id']}/cancel", headers=buyer)
    problem = assert_problem(refused, 409, "checkout_not_cancellable")
    assert problem["detail"] == "this checkout is expired and can no longer be cancelled"
    assert _stock(container, cable) == 5
    assert client.get("/api/v1/cart", headers=buyer).json()["lines"] == []


def test_a_payment_captured_after_the_cancel_is_refunded(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    buyer, placed, cable, plug = _checkout(client, container)
    started = client.post(
        f"/api/v1/checkouts/{placed['id']}/payment", headers={**buyer, "Idempotency-Key": "p"}
    )
    assert started.status_code == 201, started.text
    submitted = client.post(
        started.json()["redirect_url"], data={"card_number": CARD_SUCCESS}, follow_redirects=False
    )
    assert submitted.status_code == 303
    # The webhook is still on its way when the buyer cancels.
    assert client.post(f"/api/v1/checkouts/{placed['id']}/cancel", headers=buyer).status_code == 200
    deliver_all(client, container, clock)
    payment = client.get(f"/api/v1/checkouts/{placed['id']}/payment", headers=buyer).json()
    assert (payment["status"], payment["refunded_minor"]) == ("refunded", placed["total_minor"])
    checkout = client.get(f"/api/v1/checkouts/{placed['id']}", headers=buyer).json()
    assert checkout["status"] == "cancelled"
    assert (_stock(container, cable), _stock(container, plug)) == (5, 3)
    assert_ledger_ok(container)


def test_ten_cancels_at_once_return_the_stock_once(
    client: TestClient, container: Container
) -> None:
    buyer, placed, cable, plug = _checkout(client, container)
    token = buyer["Authorization"].removeprefix("Bearer ")
    with container.uow(read_only=True) as uow:
        principal = principal_from_token(uow, token)
    assert isinstance(principal, Principal)

    def cancel() -> str:
        try:
            found = checkouts.cancel_checkout(container.uow, principal, placed["id"])
            return str(found["status"])
        except DomainError as exc:
            return exc.code

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda _: cancel(), range(10)))
    # Each answer is the cancelled checkout or, on PostgreSQL, a lost race that changed nothing.
    assert set(answers) <= {"cancelled", "stale_state", "illegal_transition"}, answers
    assert "cancelled" in answers
    assert (_stock(container, cable), _stock(container, plug)) == (5, 3)
    assert _cancel_events(container) == 1
    cart = client.get("/api/v1/cart", headers=buyer).json()
    assert sorted(line["quantity"] for line in cart["lines"]) == [1, 3]
