"""Drive the sandbox processor through the real HTTP stack in tests."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlparse

from fastapi.testclient import TestClient

from tests.support.api import register
from tests.support.market import SHIP_TO, Shop, list_product
from tradewind.bootstrap import Container, send_intents
from tradewind.escrow.checks import check_ledger
from tradewind.kernel.clock import ManualClock
from tradewind.payments.sandbox import CARD_SUCCESS, dispatch_webhooks


def client_sender(client: TestClient):  # type: ignore[no-untyped-def]
    def send(url: str, body: bytes, headers: dict[str, str]) -> int:
        return client.post(urlparse(url).path, content=body, headers=headers).status_code

    return send


def deliver_all(client: TestClient, container: Container, clock: ManualClock) -> int:
    """Make the processor calls that are due and let the sandbox deliver every pending webhook
    (jitter and duplicates included)."""
    delivered = 0
    for _ in range(20):
        clock.advance(timedelta(seconds=4))
        sent = send_intents(container)
        sent += dispatch_webhooks(container.uow, client_sender(client), container.psp_secret)
        delivered += sent
        if sent == 0:
            break
    return delivered


def buy(
    client: TestClient, buyer: dict[str, str], offer_id: str, quantity: int = 1, key: str = "buy"
) -> dict:  # type: ignore[type-arg]
    response = client.post(
        "/api/v1/checkouts",
        headers={**buyer, "Idempotency-Key": key},
        json={"ship_to": SHIP_TO, "lines": [{"offer_id": offer_id, "quantity": quantity}]},
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def pay(
    client: TestClient,
    container: Container,
    clock: ManualClock,
    buyer: dict[str, str],
    checkout_id: str,
    card: str = CARD_SUCCESS,
) -> dict:  # type: ignore[type-arg]
    started = client.post(
        f"/api/v1/checkouts/{checkout_id}/payment",
        headers={**buyer, "Idempotency-Key": f"pay-{checkout_id}-{card}"},
    )
    assert started.status_code == 201, started.text
    page = started.json()["redirect_url"]
    submitted = client.post(page, data={"card_number": card}, follow_redirects=False)
    assert submitted.status_code in (303, 402), submitted.text
    deliver_all(client, container, clock)
    return client.get(
        f"/api/v1/checkouts/{checkout_id}/payment",  # type: ignore[no-any-return]
        headers=buyer,
    ).json()


def assert_ledger_ok(container: Container) -> None:
    with container.uow(read_only=True) as uow:
        assert check_ledger(uow) == []


def advance(
    client: TestClient,
    container: Container,
    clock: ManualClock,
    hours: int,
    *,
    webhooks: bool = True,
) -> None:
    """Let ``hours`` pass in six-hour steps, delivering carrier webhooks and running timers."""
    from tradewind.fulfilment import postal_sim
    from tradewind.timers.service import run_due

    for _ in range(hours // 6):
        clock.advance(timedelta(hours=6))
        if webhooks:
            postal_sim.dispatch(container.uow, client_sender(client), container.postal_secret)
        run_due(container.uow, container.timer_handlers, limit=1000)


def set_parcel_fate(container: Container, tracking_number: str, scenario: str) -> None:
    from tradewind.fulfilment import postal_sim

    with container.uow() as uow:
        postal_sim.set_scenario(uow, tracking_number, scenario)
        uow.commit()


def sell_one(
    client: TestClient, container: Container, clock: ManualClock, shop: Shop, key: str
) -> None:
    """One 100.00 USD order paid, shipped and confirmed: 9,200 payable (8% commission)."""
    offer_id = list_product(client, shop, price_minor=10000, stock=1, title=f"Lamp {key}")[1]
    buyer = register(client, f"buyer.{key}@example.com", country="US")
    checkout = buy(client, buyer, offer_id, key=key)
    assert pay(client, container, clock, buyer, checkout["id"])["status"] == "captured"
    order_id = checkout["orders"][0]["id"]
    client.post(f"/api/v1/orders/{order_id}/ship", headers=shop.headers, json={})
    confirmed = client.post(f"/api/v1/orders/{order_id}/confirm-receipt", headers=buyer)
    assert confirmed.json()["status"] == "COMPLETED", confirmed.text
