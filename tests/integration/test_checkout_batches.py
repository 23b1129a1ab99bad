"""Checkouts written many to a transaction (the API's checkout writer), on SQLite and PostgreSQL.

A batch must behave exactly like its checkouts one after another: a refused checkout changes
nothing (stock, its Idempotency-Key) while its neighbours commit, a retry
racing its original in the same batch gets the original's answer, and a price that changed
between pricing and writing is refused rather than sold at the old price.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.support.api import assert_problem, count, register
from tests.support.market import SHIP_TO, Shop, list_product, open_shop, operator_headers
from tradewind.bootstrap import Container
from tradewind.db.tables.catalog import offers
from tradewind.db.tables.idempotency import idempotency_records
from tradewind.db.tables.ordering import checkouts, order_lines, orders
from tradewind.db.tables.timers import timers
from tradewind.idempotency.service import Claim, StoredResult
from tradewind.identity import service as identity
from tradewind.identity.domain import Principal
from tradewind.kernel.errors import Conflict, IdempotencyKeyReused, OutOfStock
from tradewind.ordering.checkout_plan import CheckoutPlan, CheckoutRequest, plan_checkout
from tradewind.ordering.checkout_write import CheckoutJob, Placed, Replayed, apply_checkouts
from tradewind.ordering.domain import LineRequest


def _principal(client: TestClient, container: Container, headers: dict[str, str]) -> Principal:
    account_id = client.get("/api/v1/me", headers=headers).json()["id"]
    with container.uow(read_only=True) as uow:
        return identity.principal_for_account(uow, account_id)


def _one_shop(
    client: TestClient, container: Container, *offers_: tuple[int, int]
) -> tuple[Shop, list[str], Principal]:
    """An active US shop with one offer per (price, stock), and a US buyer."""
    shop = open_shop(client, operator_headers(client, container), "us@example.com", "US")
    offer_ids = [
        list_product(client, shop, price_minor=price, stock=stock, title=f"Item {n}")[1]
        for n, (price, stock) in enumerate(offers_)
    ]
    buyer = _principal(client, container, register(client, "noa@example.com", country="US"))
    return shop, offer_ids, buyer


def _plan(container: Container, buyer: Principal, *lines: tuple[str, int]) -> CheckoutPlan:
    with container.uow(read_only=True) as uow:
        return plan_checkout(
            uow,
            buyer,
            CheckoutRequest(ship_to=SHIP_TO, lines=[LineRequest(o, q) for o, q in lines]),
            payment_timeout_s=900,
        )


def _job(plan: CheckoutPlan, key: str, request_hash: str = "h") -> CheckoutJob:
    return CheckoutJob(
        plan,
        Claim(plan.buyer_id, key, request_hash),
        StoredResult(201, f'{{"id": "{plan.checkout["id"]}"}}'.encode()),
    )


def _apply(container: Container, jobs: list[CheckoutJob]) -> list[Any]:
    with container.uow() as uow:
        settled = apply_checkouts(uow, jobs)
        uow.commit()
    return settled


def _offer(container: Container, offer_id: str) -> tuple[int, int]:
    with container.uow(read_only=True) as uow:
        row = uow.conn.execute(
            select(offers.c.stock, offers.c.version).where(offers.c.id == offer_id)
        ).one()
    return int(row.stock), int(row.version)


def _keys(container: Container) -> set[str]:
    with container.uow(read_only=True) as uow:
        return set(uow.conn.scalars(select(idempotency_records.c.key)))


def test_a_refused_checkout_changes_nothing_while_its_batch_commits(
    client: TestClient, container: Container
) -> None:
    _, (plenty, scarce), buyer = _one_shop(client, container, (1000, 10), (2500, 3))
    before = (_offer(container, plenty), _offer(container, scarce))

    first = _plan(container, buyer, (plenty, 2))
    # `plenty` would do, `scarce` is short: the checkout takes neither
    short = _plan(container, buyer, (plenty, 4), (scarce, 5))
    last = _plan(container, buyer, (plenty, 1), (scarce, 3))
    settled = _apply(container, [_job(first, "a"), _job(short, "b"), _job(last, "c")])

    assert isinstance(settled[0], Placed)
    assert isinstance(settled[1], OutOfStock)
    assert settled[1].code == "out_of_stock"
    assert isinstance(settled[2], Placed)
    # one write per offer per batch: each version moves once
    assert _offer(container, plenty) == (10 - 2 - 1, before[0][1] + 1)
    assert _offer(container, scarce) == (0, before[1][1] + 1)
    assert (count(container, checkouts), count(container, orders)) == (2, 2)
    with container.uow(read_only=True) as uow:
        units = uow.conn.scalar(select(func.sum(order_lines.c.quantity)))
        timeouts = uow.conn.scalar(select(func.count()).select_from(timers))
    assert (units, timeouts) == (2 + 1 + 3, 2)
    assert _keys(container) == {"a", "c"}  # the refused key was given back: a retry runs afresh


def test_a_retry_in_the_same_batch_gets_the_first_answer(
    client: TestClient, container: Container
) -> None:
    _, (offer_id,), buyer = _one_shop(client, container, (1000, 10))

    original = _job(_plan(container, buyer, (offer_id, 2)), "k")
    retry = _job(_plan(container, buyer, (offer_id, 2)), "k")
    impostor = _job(_plan(container, buyer, (offer_id, 1)), "k", request_hash="other")
    settled = _apply(container, [original, retry, impostor])

    assert isinstance(settled[0], Placed)
    assert settled[1] == Replayed(original.answer)  # type: ignore[arg-type]
    assert isinstance(settled[2], IdempotencyKeyReused)
    assert _offer(container, offer_id)[0] == 8
    assert count(container, checkouts) == 1
    # and in a later batch, the stored answer replays
    (later,) = _apply(container, [retry])
    assert later == Replayed(original.answer)  # type: ignore[arg-type]
    assert _offer(container, offer_id)[0] == 8


def test_a_price_changed_after_pricing_is_refused_not_sold_at_the_old_price(
    client: TestClient, container: Container
) -> None:
    shop, (offer_id,), buyer = _one_shop(client, container, (1000, 10))
    plan = _plan(container, buyer, (offer_id, 1))
    version = client.get(f"/api/v1/offers/{offer_id}").json()["version"]
    repriced = client.patch(
        f"/api/v1/offers/{offer_id}",
        headers=shop.headers,
        json={"version": version, "price_minor": 1200},
    )
    assert repriced.status_code == 200, repriced.text

    (settled,) = _apply(container, [_job(plan, "p")])

    assert isinstance(settled, Conflict)
    assert settled.code == "offer_price_changed"
    assert _offer(container, offer_id) == (10, version + 1)
    assert count(container, checkouts) == 0
    assert _keys(container) == set()


def test_a_cart_checkout_retried_after_it_went_through_replays(
    client: TestClient, container: Container
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "us@example.com", "US")
    _, offer_id = list_product(client, shop, price_minor=1000, stock=10)
    buyer = register(client, "noa@example.com", country="US")
    added = client.put(f"/api/v1/cart/lines/{offer_id}", headers=buyer, json={"quantity": 3})
    assert added.status_code == 200, added.text

    first = client.post(
        "/api/v1/checkouts",
        headers={**buyer, "Idempotency-Key": "cart-1"},
        json={"ship_to": SHIP_TO},
    )
    assert first.status_code == 201, first.text
    assert client.get("/api/v1/cart", headers=buyer).json()["lines"] == []
    # planning the retry again would find an empty cart; the stored answer wins
    retry = client.post(
        "/api/v1/checkouts",
        headers={**buyer, "Idempotency-Key": "cart-1"},
        json={"ship_to": SHIP_TO},
    )
    assert retry.status_code == 201
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == first.json()
    fresh = client.post(
        "/api/v1/checkouts",
        headers={**buyer, "Idempotency-Key": "cart-2"},
        json={"ship_to": SHIP_TO},
    )
    assert_problem(fresh, 422, "empty_cart")
    assert _offer(container, offer_id)[0] == 7
    assert count(container, checkouts) == 1
