"""Buyers rate the seller once per completed order; the shop's average is a running sum."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tradewind.catalog.service import add_seller_rating
from tradewind.db.sql import insert_ignoring_conflicts
from tradewind.db.tables.ordering import orders, seller_ratings
from tradewind.db.uow import UnitOfWork, use_case
from tradewind.identity.domain import Principal, Role, ensure_visible, require_role
from tradewind.kernel.errors import Conflict, FieldError, InvalidInput
from tradewind.kernel.problems import ProblemCode
from tradewind.ordering.domain import OrderStatus

RATEABLE = frozenset({OrderStatus.COMPLETED.value, OrderStatus.FINALIZED.value})
MAX_COMMENT_LEN = 2000


@use_case
def rate_seller(
    uow: UnitOfWork, principal: Principal, order_id: str, stars: int, comment: str
) -> dict[str, Any]:
    require_role(principal, Role.BUYER)
    order = uow.conn.execute(
        select(orders.c.buyer_id, orders.c.seller_id, orders.c.status).where(
            orders.c.id == order_id
        )
    ).first()
    ensure_visible(principal, [order.buyer_id] if order else [], "order")
    assert order is not None
    if not 1 <= stars <= 5:
        raise InvalidInput("rate 1 to 5 stars", errors=[FieldError("stars", "1 to 5")])
    if len(comment) > MAX_COMMENT_LEN:
        raise InvalidInput(f"comments are limited to {MAX_COMMENT_LEN} characters")
    if order.status not in RATEABLE:
        raise Conflict(
            "rate the seller once the order is completed", code=ProblemCode.NOT_COMPLETED
        )
    values = {
        "order_id": order_id,
        "seller_id": order.seller_id,
        "buyer_id": principal.account_id,
        "stars": stars,
        "comment": comment.strip(),
        "created_at": uow.clock.now(),
    }
    if not insert_ignoring_conflicts(uow.conn, seller_ratings, values):
        raise Conflict("this order was already rated", code=ProblemCode.ALREADY_RATED)
    add_seller_rating(uow, order.seller_id, stars)
    return values


def stars_for_order(uow: UnitOfWork, order_id: str) -> int | None:
    found: int | None = uow.conn.scalar(
        select(seller_ratings.c.stars).where(seller_ratings.c.order_id == order_id)
    )
    return found
