"""A seller's money statement per order: price, postage, commission, FX rate and net, in the
seller's currency.

Before the money is released the figures are what release will post (the same commission rate
and the same exact split, ``money.allocation.split_commission``); once released they are read
back from the ledger's release transaction, so a partial refund or a dispute shows what was
really paid. Historic amounts are never re-converted: the rate shown is the order's FX snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tradewind.db.uow import UnitOfWork
from tradewind.escrow.domain import EscrowPolicy
from tradewind.escrow.service import commission_bps
from tradewind.identity.domain import Principal, Role, require_role
from tradewind.kernel.errors import NotFound
from tradewind.ledger import domain as ledger
from tradewind.ledger.service import transactions
from tradewind.money.allocation import split_commission
from tradewind.ordering.orders import get_order


@dataclass(frozen=True, slots=True)
class OrderStatement:
    order_id: str
    status: str
    currency: str  # the seller's
    goods_minor: int
    postage_minor: int
    gross_minor: int
    commission_bps: int
    commission_minor: int
    net_minor: int
    released: bool  # figures read from the ledger (else what release will post)
    buyer_currency: str
    buyer_total_minor: int
    fx: dict[str, Any] | None  # the order's snapshot when the currencies differ


def _released(uow: UnitOfWork, order: dict[str, Any]) -> tuple[int, int] | None:
    """(net, commission) as the release transaction posted them, if it ran."""
    payable = ledger.seller_payable(order["seller_id"])
    commission = ledger.platform_commission(order["seller_currency"])
    for tx in transactions(uow, order_id=order["id"], limit=50):
        if tx["kind"] not in (ledger.TxKind.RELEASE.value, ledger.TxKind.RELEASE_FX.value):
            continue
        by_account = {(e["account"], e["currency"]): e["amount_minor"] for e in tx["entries"]}
        net = abs(by_account.get((payable, order["seller_currency"]), 0))
        fee = abs(by_account.get((commission, order["seller_currency"]), 0))
        return net, fee
    return None


def order_statement(
    uow: UnitOfWork, policy: EscrowPolicy, principal: Principal, order_id: str
) -> OrderStatement:
    """The statement of one of the seller's own orders (404 for anyone else's)."""
    require_role(principal, Role.SELLER)
    order = get_order(uow, principal, order_id)
    if order["seller_account_id"] != principal.account_id:
        raise NotFound("order not found")
    goods, postage = order["seller_items_minor"], order["seller_shipping_minor"]
    rate = commission_bps(uow, policy, seller_id=order["seller_id"], order_id=order_id)
    posted = _released(uow, order)
    if posted is None:
        net, fee = split_commission(goods + postage, rate)
    else:
        net, fee = posted
    same = order["currency"] == order["seller_currency"]
    return OrderStatement(
        order_id=order_id,
        status=order["status"],
        currency=order["seller_currency"],
        goods_minor=goods,
        postage_minor=postage,
        gross_minor=goods + postage,
        commission_bps=rate,
        commission_minor=fee,
        net_minor=net,
        released=posted is not None,
        buyer_currency=order["currency"],
        buyer_total_minor=order["total_minor"],
        fx=None if same else dict(order["fx"]),
    )
