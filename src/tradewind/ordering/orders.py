"""Orders: reading them (with access control) and moving them through the state machine.

Every transition is one conditional UPDATE on (id, status): whoever changes the row first wins,
and a late or duplicate request sees zero rows changed and gets IllegalTransition, so no
transition (and no side effect hanging off it, such as returning stock) ever happens twice.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update

from tradewind.db.tables.flash import flash_claims
from tradewind.db.tables.ordering import checkouts, order_events, order_lines, orders
from tradewind.db.uow import UnitOfWork
from tradewind.identity.domain import Principal, Role, ensure_visible
from tradewind.inventory.service import give_back
from tradewind.kernel.errors import Conflict, IllegalTransition, NotFound
from tradewind.ordering.domain import (
    STOCK_RETURNING,
    OrderEvent,
    OrderStatus,
    next_status,
)
from tradewind.timers.service import schedule

# Flash sales (issue 8): the timer kind that hands a cancelled flash-sale order's units back to
# its sale; tradewind.flash.waitlist.release_claim handles it.
FLASH_RELEASE_KIND = "flash.release"


def _load(uow: UnitOfWork, order_id: str) -> dict[str, Any]:
    row = uow.conn.execute(select(orders).where(orders.c.id == order_id)).first()
    if row is None:
        raise NotFound("order not found")
    return dict(row._mapping)


def get_order(uow: UnitOfWork, principal: Principal, order_id: str) -> dict[str, Any]:
    order = _load(uow, order_id) if _exists(uow, order_id) else {}  # {}: 404 for all
    ensure_visible(principal, [order.get("buyer_id"), order.get("seller_account_id")], "order")
    order["lines"] = [
        dict(r._mapping)
        for r in uow.conn.execute(
            select(order_lines).where(order_lines.c.order_id == order_id).order_by(order_lines.c.id)
        )
    ]
    order["ship_to"] = uow.conn.scalar(
        select(checkouts.c.ship_to).where(checkouts.c.id == order["checkout_id"])
    )
    return order


def _exists(uow: UnitOfWork, order_id: str) -> bool:
    return uow.conn.scalar(select(orders.c.id).where(orders.c.id == order_id)) is not None


def list_orders(
    uow: UnitOfWork, principal: Principal, *, status: str | None, limit: int, after: str | None
) -> list[dict[str, Any]]:
    query = select(orders).order_by(orders.c.id).limit(limit)
    if principal.role is Role.BUYER:
        query = query.where(orders.c.buyer_id == principal.account_id)
    elif principal.role is Role.SELLER:
        query = query.where(orders.c.seller_account_id == principal.account_id)
    if status:
        query = query.where(orders.c.status == status)
    if after:
        query = query.where(orders.c.id > after)
    return [dict(r._mapping) for r in uow.conn.execute(query)]


def order_history(uow: UnitOfWork, principal: Principal, order_id: str) -> list[dict[str, Any]]:
    get_order(uow, principal, order_id)
    return [
        dict(r._mapping)
        for r in uow.conn.execute(
            select(order_events)
            .where(order_events.c.order_id == order_id)
            .order_by(order_events.c.id)
        )
    ]


def apply_event(
    uow: UnitOfWork,
    order_id: str,
    event: OrderEvent,
    *,
    actor_id: str | None,
    note: str = "",
    expected: OrderStatus | None = None,
) -> OrderStatus:
    """Move an order by ``event``; raises IllegalTransition if its current state forbids it.

    ``expected`` narrows the legal source state (e.g. a timer that only cancels unpaid orders).
    Side effects owned by the state machine run here, inside the same transaction: entering a
    stock-returning state gives the reserved units back.
    """
    current = OrderStatus(_load(uow, order_id)["status"])
    if expected is not None and current is not expected:
        raise IllegalTransition(f"order is {current.value}, not {expected.value}")
    target = next_status(current, event)  # raises when illegal from the state we just read
    now = uow.clock.now()
    changed = uow.conn.execute(
        update(orders)
        .where(orders.c.id == order_id, orders.c.status == current.value)
        .values(status=target.value, version=orders.c.version + 1, updated_at=now)
    ).rowcount
    if changed != 1:  # somebody moved it between our read and our write: re-judge from truth
        next_status(OrderStatus(_load(uow, order_id)["status"]), event)
        raise Conflict("the order changed meanwhile; reload and retry", code="stale_state")
    uow.conn.execute(
        insert(order_events).values(
            order_id=order_id,
            event=event.value,
            from_status=current.value,
            to_status=target.value,
            actor_id=actor_id,
            note=note[:2000],
            at=now,
        )
    )
    if target in STOCK_RETURNING:  # never shipped: the units go back on sale, exactly once
        _return_stock(uow, order_id)
    return target


def _return_stock(uow: UnitOfWork, order_id: str) -> None:
    if _release_flash_claim(uow, order_id):  # flash-sale units go back to the sale (issue 8)
        return
    quantities: dict[str, int] = {}
    for line in uow.conn.execute(
        select(order_lines.c.offer_id, order_lines.c.quantity).where(
            order_lines.c.order_id == order_id
        )
    ):
        quantities[line.offer_id] = quantities.get(line.offer_id, 0) + line.quantity
    give_back(uow, quantities)


def _release_flash_claim(uow: UnitOfWork, order_id: str) -> bool:
    """Flash sales (issue 8): mark the order's claim releasing and schedule its release.

    False for an order that is not a flash-sale claim (its stock goes back to the offer). Why a
    timer and not the return itself: the units go to the sale's waitlist first, which creates
    orders, and that use case lives in tradewind.flash, above ordering. The timer runs it in its
    own transaction, exactly once (the claim moves releasing -> released conditionally).
    """
    claim_id = uow.conn.scalar(select(flash_claims.c.id).where(flash_claims.c.order_id == order_id))
    if claim_id is None:
        return False
    uow.conn.execute(
        update(flash_claims)
        .where(flash_claims.c.id == claim_id, flash_claims.c.status == "active")
        .values(status="releasing")
    )
    schedule(
        uow,
        kind=FLASH_RELEASE_KIND,
        dedupe_key=f"{FLASH_RELEASE_KIND}:{claim_id}",
        due_at=uow.clock.now(),
        payload={"claim_id": claim_id},
    )
    return True
