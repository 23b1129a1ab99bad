"""Orders: reading them (with access control) and moving them through the state machine.

Every transition is one conditional UPDATE on (id, status): whoever changes the row first wins,
and a late or duplicate request sees zero rows changed and gets IllegalTransition, so no
transition (and no side effect hanging off it, such as returning stock) ever happens twice.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update

from tradewind.catalog.domain import validate_hs_code
from tradewind.catalog.stock.returns import give_back
from tradewind.db.tables.ordering import checkouts, order_events, order_lines, orders
from tradewind.db.uow import UnitOfWork
from tradewind.identity.domain import Principal, ensure_visible
from tradewind.identity.service import visible_page
from tradewind.kernel.errors import Conflict, IllegalTransition, NotFound
from tradewind.kernel.i18n import N_
from tradewind.kernel.problems import ProblemCode
from tradewind.ordering.domain import (
    STOCK_RETURNING,
    OrderEvent,
    OrderStatus,
    next_status,
)
from tradewind.ordering.import_taxes import order_import_taxes
from tradewind.promotions import service as promotions


@dataclass(frozen=True)
class StockReturning:
    """Published (``uow.publish``) when an order enters a stock-returning state, in the same
    transaction. A subscriber that returns True took the units over (a flash-sale claim's units
    go back to its sale: tradewind.flash.waitlist.on_stock_returning); otherwise they go back
    to their offers."""

    order_id: str


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
    order["import_taxes"] = order_import_taxes(order).as_dict()
    order["discounts"] = promotions.discount_lines(uow, [order_id])[order_id]
    return order


def _exists(uow: UnitOfWork, order_id: str) -> bool:
    return uow.conn.scalar(select(orders.c.id).where(orders.c.id == order_id)) is not None


@dataclass(frozen=True)
class OrderTotal:
    order_id: str
    status: str
    total_minor: int  # what the buyer pays, in the buyer's currency


def order_totals(uow: UnitOfWork, order_ids: Collection[str] | None = None) -> list[OrderTotal]:
    """Every order's (or those of ``order_ids``) status and total, batched (the ledger check's
    escrow figures)."""
    query = select(orders.c.id, orders.c.status, orders.c.total_minor)
    if order_ids is None:
        rows = list(uow.conn.execute(query))
    else:
        wanted, rows = list(order_ids), []
        for start in range(0, len(wanted), 500):
            rows += uow.conn.execute(query.where(orders.c.id.in_(wanted[start : start + 500])))
    return [OrderTotal(r.id, r.status, int(r.total_minor)) for r in rows]


@dataclass(frozen=True)
class OrderHeader:
    """Who an order concerns and where it stands (for access checks, disputes, notices)."""

    order_id: str
    status: str
    buyer_id: str
    seller_account_id: str


def order_header(uow: UnitOfWork, order_id: str) -> OrderHeader | None:
    """The order's header, or None if there is no such order."""
    row = uow.conn.execute(
        select(orders.c.id, orders.c.status, orders.c.buyer_id, orders.c.seller_account_id).where(
            orders.c.id == order_id
        )
    ).first()
    return None if row is None else OrderHeader(*row)


def order_statuses(uow: UnitOfWork, order_ids: Collection[str]) -> dict[str, str]:
    """The status of each order in ``order_ids``, in one read (unknown ids are absent)."""
    if not order_ids:
        return {}
    rows = uow.conn.execute(
        select(orders.c.id, orders.c.status).where(orders.c.id.in_(set(order_ids)))
    )
    return {r.id: r.status for r in rows}


def seller_goods_minor(uow: UnitOfWork, seller_id: str, statuses: Collection[OrderStatus]) -> int:
    """What a shop's orders in ``statuses`` owe it for goods and shipping, in its currency."""
    total = uow.conn.scalar(
        select(
            func.coalesce(func.sum(orders.c.seller_items_minor + orders.c.seller_shipping_minor), 0)
        ).where(
            orders.c.seller_id == seller_id,
            orders.c.status.in_([s.value for s in statuses]),
        )
    )
    return int(total or 0)


def list_orders(
    uow: UnitOfWork, principal: Principal, *, status: str | None, limit: int, after: str | None
) -> list[dict[str, Any]]:
    found = visible_page(uow, orders, principal, status=status, limit=limit, after=after)
    return [o | {"import_taxes": order_import_taxes(o).as_dict()} for o in found]


def with_lines_and_destination(
    uow: UnitOfWork, found: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``found`` (orders the caller may see) with their ``lines`` and the buyer's country
    (``ship_to_country``), in two reads for the whole page."""
    if not found:
        return found
    lines: dict[str, list[dict[str, Any]]] = {}
    for row in uow.conn.execute(
        select(order_lines)
        .where(order_lines.c.order_id.in_([o["id"] for o in found]))
        .order_by(order_lines.c.id)
    ):
        lines.setdefault(row.order_id, []).append(dict(row._mapping))
    countries = {
        r.id: r.ship_to.get("country", "")
        for r in uow.conn.execute(
            select(checkouts.c.id, checkouts.c.ship_to).where(
                checkouts.c.id.in_(sorted({o["checkout_id"] for o in found}))
            )
        )
    }
    return [
        o | {"lines": lines.get(o["id"], []), "ship_to_country": countries.get(o["checkout_id"])}
        for o in found
    ]


MAX_AMENDED_LINES = 100


def amend_hs_codes(
    uow: UnitOfWork, principal: Principal, order_id: str, codes: dict[int, str]
) -> int:
    """The seller corrects the HS codes its customs declaration will carry, before shipping.

    Only the order's own seller, only while it awaits shipment: the order row is locked first,
    as shipping locks it, so a correction and a ship cannot cross. Every code is checked before
    any is written (all or nothing); a line id of another order is not found. The duty quoted at
    checkout stays as charged: this changes the declaration, not the money.
    """
    order = uow.conn.execute(
        select(orders.c.status, orders.c.seller_account_id)
        .where(orders.c.id == order_id)
        .with_for_update()
    ).first()
    ensure_visible(principal, [order.seller_account_id] if order else [], "order")
    if order is None or principal.account_id != order.seller_account_id:
        raise NotFound("order not found")
    if order.status != OrderStatus.AWAITING_SHIPMENT.value:
        raise IllegalTransition(N_("HS codes can be changed only before the order ships"))
    if len(codes) > MAX_AMENDED_LINES:
        raise NotFound("order line not found")
    checked = {line_id: validate_hs_code(code.strip()) for line_id, code in codes.items()}
    own = set(
        uow.conn.scalars(
            select(order_lines.c.id).where(
                order_lines.c.order_id == order_id, order_lines.c.id.in_(sorted(checked))
            )
        )
    )
    if own != set(checked):
        raise NotFound("order line not found")
    for line_id, code in sorted(checked.items()):
        uow.conn.execute(
            update(order_lines)
            .where(order_lines.c.id == line_id, order_lines.c.order_id == order_id)
            .values(hs_code=code)
        )
    return len(checked)


def ship_to_of(uow: UnitOfWork, order: dict[str, Any]) -> dict[str, Any]:
    """Where ``order`` (one the caller was allowed to read) goes: its checkout's address."""
    found: dict[str, Any] = uow.conn.execute(
        select(checkouts.c.ship_to).where(checkouts.c.id == order["checkout_id"])
    ).scalar_one()
    return found


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


@dataclass(frozen=True)
class Transition:
    status: OrderStatus  # the state the order is in now
    units_to_offers: bool  # its units went back to their offers (not to a flash sale's pool)


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
    return transition(uow, order_id, event, actor_id=actor_id, note=note, expected=expected).status


def transition(
    uow: UnitOfWork,
    order_id: str,
    event: OrderEvent,
    *,
    actor_id: str | None,
    note: str = "",
    expected: OrderStatus | None = None,
) -> Transition:
    """:func:`apply_event`, also telling where the order's units went."""
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
        raise Conflict(
            "the order changed meanwhile; reload and retry", code=ProblemCode.STALE_STATE
        )
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
    # Never shipped: the units go back on sale, exactly once.
    to_offers = target in STOCK_RETURNING and _return_stock(uow, order_id)
    return Transition(target, to_offers)


def _return_stock(uow: UnitOfWork, order_id: str) -> bool:
    """Give the order's units back; False when a subscriber took them (a flash sale's)."""
    if uow.publish(StockReturning(order_id)):  # a flash-sale claim's units (issue 8)
        return False
    quantities: dict[str, int] = {}
    for line in uow.conn.execute(
        select(order_lines.c.offer_id, order_lines.c.quantity).where(
            order_lines.c.order_id == order_id
        )
    ):
        quantities[line.offer_id] = quantities.get(line.offer_id, 0) + line.quantity
    give_back(uow, quantities)
    return True
