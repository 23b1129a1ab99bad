"""Escrow use cases: start protection at shipment, release on receipt or timeout, refunds.

Money moves only through ledger transactions with deterministic idempotency keys
(``release:{order}``, ``refund:{order}:{n}``), and every state change is a conditional order
transition, so a repeated confirmation, a re-run timer or a duplicate request moves nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update

from tradewind.catalog.service import product_category, seller_terms
from tradewind.db.tables.escrow import escrow_terms
from tradewind.db.uow import UnitOfWork, use_case
from tradewind.escrow.domain import EscrowPolicy
from tradewind.identity.domain import Principal, Role, ensure_visible, require_role
from tradewind.kernel.errors import Conflict, InvalidInput, NotFound
from tradewind.kernel.problems import ProblemCode
from tradewind.ledger import domain as ledger
from tradewind.ledger.service import balance, post
from tradewind.money.allocation import allocate
from tradewind.money.amount import Money
from tradewind.ordering.checkout import return_coupons
from tradewind.ordering.domain import OrderEvent, OrderStatus
from tradewind.ordering.orders import apply_event, get_order
from tradewind.ordering.settlement import (
    SettledOrder,
    first_product_id,
    paid_orders_of_checkout,
    settled_order,
)
from tradewind.payments.ports import PaymentProvider
from tradewind.payments.service import refund_ref, refund_to_buyer, refunds_of_order
from tradewind.promotions.service import platform_funded_minor
from tradewind.risk.domain import EventKind, RiskEvent
from tradewind.risk.service import take_protection_extension
from tradewind.timers.service import cancel, reschedule, schedule

AUTO_CONFIRM_KIND = "escrow.auto_confirm"
FINALIZE_KIND = "escrow.finalize"


def auto_confirm_key(order_id: str) -> str:
    return f"{AUTO_CONFIRM_KIND}:{order_id}"


def start_protection(
    uow: UnitOfWork,
    policy: EscrowPolicy,
    order_id: str,
    *,
    kind: str,
    shipped_at: datetime,
    not_before: datetime | None = None,
) -> datetime:
    """Called when the order ships: the buyer-protection countdown starts. It never ends
    before ``not_before`` (the close of the delivery window the buyer was promised)."""
    deadline = policy.auto_confirm_at(shipped_at, kind, not_before=not_before)
    uow.conn.execute(
        insert(escrow_terms).values(
            order_id=order_id,
            shipping_kind=kind,
            shipped_at=shipped_at,
            auto_confirm_at=deadline,
            extended=0,
            released_at=None,
        )
    )
    schedule(
        uow,
        kind=AUTO_CONFIRM_KIND,
        dedupe_key=auto_confirm_key(order_id),
        due_at=deadline,
        payload={"order_id": order_id},
    )
    return deadline


def restart_countdown_on_delivery(
    uow: UnitOfWork, policy: EscrowPolicy, order_id: str, delivered_at: datetime
) -> None:
    """Delivered: the buyer gets the express period from delivery if that is sooner. Escrow
    keeps the moment (auto-confirm and chargeback liability ask whether it came)."""
    terms = protection_terms(uow, order_id)
    uow.conn.execute(
        update(escrow_terms)
        .where(escrow_terms.c.order_id == order_id, escrow_terms.c.delivered_at.is_(None))
        .values(delivered_at=delivered_at)
    )
    deadline = min(
        terms["auto_confirm_at"], delivered_at + timedelta(days=policy.auto_confirm_days["express"])
    )
    if deadline != terms["auto_confirm_at"]:
        _move_deadline(uow, order_id, deadline)


def protection_terms(uow: UnitOfWork, order_id: str) -> dict[str, Any]:
    row = uow.conn.execute(select(escrow_terms).where(escrow_terms.c.order_id == order_id)).first()
    if row is None:
        raise NotFound("this order has not shipped yet", code=ProblemCode.NOT_SHIPPED)
    return dict(row._mapping)


def _move_deadline(uow: UnitOfWork, order_id: str, deadline: datetime) -> None:
    uow.conn.execute(
        update(escrow_terms)
        .where(escrow_terms.c.order_id == order_id)
        .values(auto_confirm_at=deadline)
    )
    if not reschedule(uow, auto_confirm_key(order_id), deadline):
        schedule(
            uow,
            kind=AUTO_CONFIRM_KIND,
            dedupe_key=f"{auto_confirm_key(order_id)}:{int(deadline.timestamp())}",
            due_at=deadline,
            payload={"order_id": order_id},
        )


@use_case
def extend_protection(
    uow: UnitOfWork, policy: EscrowPolicy, principal: Principal, order_id: str
) -> datetime:
    require_role(principal, Role.BUYER)
    order = settled_order(uow, order_id)
    ensure_visible(principal, [order.buyer_id], "order")
    if order.status != OrderStatus.AWAITING_RECEIPT.value:
        raise Conflict(f"order is {order.status}", code=ProblemCode.ILLEGAL_TRANSITION)
    terms = protection_terms(uow, order_id)
    deadline = policy.extended_deadline(
        uow.clock.now(), terms["auto_confirm_at"], bool(terms["extended"])
    )
    claimed = uow.conn.execute(
        update(escrow_terms)
        .where(escrow_terms.c.order_id == order_id, escrow_terms.c.extended == 0)
        .values(extended=1)
    ).rowcount
    if claimed != 1:
        raise Conflict("protection was already extended once", code=ProblemCode.ALREADY_EXTENDED)
    _move_deadline(uow, order_id, deadline)
    return deadline


@use_case
def confirm_receipt(
    uow: UnitOfWork, policy: EscrowPolicy, principal: Principal, order_id: str
) -> OrderStatus:
    require_role(principal, Role.BUYER)
    order = settled_order(uow, order_id)
    ensure_visible(principal, [order.buyer_id], "order")
    status = apply_event(
        uow,
        order_id,
        OrderEvent.CONFIRM_RECEIPT,
        actor_id=principal.account_id,
        note="buyer confirmed receipt",
    )
    cancel(uow, auto_confirm_key(order_id))
    release_to_seller(uow, policy, order_id)
    uow.publish(
        RiskEvent(
            EventKind.CONFIRM,
            uow.clock.now(),
            principal.account_id,
            order_id=order_id,
            buyer_id=order.buyer_id,
            seller_id=order.seller_account_id,
        )
    )
    return status


def auto_confirm(uow: UnitOfWork, policy: EscrowPolicy, payload: Mapping[str, Any]) -> None:
    """Timer: protection ran out without a dispute. Idempotent: a second run finds the order
    already completed (or in dispute) and does nothing."""
    order_id = str(payload["order_id"])
    order = settled_order(uow, order_id)
    if order.status != OrderStatus.AWAITING_RECEIPT.value:
        return
    terms = protection_terms(uow, order_id)
    now = uow.clock.now()
    if terms["auto_confirm_at"] > now:
        return  # extended after this timer was scheduled; the moved timer will fire
    extra_days = take_protection_extension(uow, order_id)
    if extra_days:  # a risk case on the seller gives the buyer more time (issue 18)
        _move_deadline(uow, order_id, now + timedelta(days=extra_days))
        return
    if terms["delivered_at"] is None and now < terms["shipped_at"] + timedelta(
        days=policy.max_protection_days
    ):
        # No delivery scan yet: keep protecting the buyer (tracking expiry will open a
        # dispute if the parcel is lost), up to the marketplace's maximum protection.
        _move_deadline(uow, order_id, now + timedelta(days=policy.undelivered_grace_days))
        return
    apply_event(
        uow,
        order_id,
        OrderEvent.AUTO_CONFIRM,
        actor_id=None,
        note="buyer protection period ended",
        expected=OrderStatus.AWAITING_RECEIPT,
    )
    release_to_seller(uow, policy, order_id)


@dataclass(frozen=True, slots=True)
class ChargedOrder:
    """One order of a checkout, with what a chargeback's split and liability rules read."""

    order_id: str
    seller_id: str
    seller_account_id: str
    total: Money
    seller_currency: str
    seller_total_minor: int  # the seller's own price of goods and shipping (its currency)
    tracked: bool
    delivered: bool


def orders_of_checkout(uow: UnitOfWork, checkout_id: str) -> list[ChargedOrder]:
    """Every paid order of a checkout, oldest id first, with its parcel's state (shipped: escrow
    has protection terms; delivered: fulfilment reported it, or nothing was shipped)."""
    paid = paid_orders_of_checkout(uow, checkout_id)
    delivered_at = {
        row.order_id: row.delivered_at
        for row in uow.conn.execute(
            select(escrow_terms.c.order_id, escrow_terms.c.delivered_at).where(
                escrow_terms.c.order_id.in_([o.id for o in paid])
            )
        )
    }
    return [
        ChargedOrder(
            order_id=o.id,
            seller_id=o.seller_id,
            seller_account_id=o.seller_account_id,
            total=Money(o.total_minor, o.currency),
            seller_currency=o.seller_currency,
            seller_total_minor=o.seller_total_minor,
            tracked=o.id in delivered_at,
            delivered=o.id not in delivered_at or delivered_at[o.id] is not None,
        )
        for o in paid
    ]


def finalize(uow: UnitOfWork, payload: Mapping[str, Any]) -> None:
    order_id = str(payload["order_id"])
    if settled_order(uow, order_id).status == OrderStatus.COMPLETED.value:
        apply_event(
            uow,
            order_id,
            OrderEvent.FINALIZE,
            actor_id=None,
            note="after-sales window closed",
            expected=OrderStatus.COMPLETED,
        )


def commission_bps(uow: UnitOfWork, policy: EscrowPolicy, *, seller_id: str, order_id: str) -> int:
    """The commission on the order: the seller's own rate if it has one, else its category's."""
    terms = seller_terms(uow, [seller_id]).get(seller_id)
    first_product = first_product_id(uow, order_id)
    category = product_category(uow, first_product) if first_product is not None else None
    return policy.commission_bps(terms.commission_bps if terms else None, category)


def escrow_held(uow: UnitOfWork, order_id: str) -> int:
    """What the order's escrow account holds now (credit balance, shown positive)."""
    return -balance(uow, ledger.order_escrow(order_id))


def release_to_seller(uow: UnitOfWork, policy: EscrowPolicy, order_id: str) -> int:
    """Move what escrow still holds to the seller (minus commission); returns amount released."""
    order = settled_order(uow, order_id)
    held = escrow_held(uow, order_id)
    now = uow.clock.now()
    # Duty and VAT collected at checkout belong to customs, not to the seller.
    to_customs = min(held, order.duty_minor + order.vat_minor)
    if to_customs > 0:
        post(
            uow,
            _customs_transfer(order_id, Money(to_customs, order.currency)),
            order_id=order_id,
        )
    goods = held - to_customs
    funded = _fund_platform_discounts(uow, order, goods)
    if goods > 0:
        rate = commission_bps(uow, policy, seller_id=order.seller_id, order_id=order.id)
        key = f"release:{order_id}"
        goods += funded.now_minor
        if order.currency == order.seller_currency:
            tx = ledger.release(order_id, order.seller_id, Money(goods, order.currency), rate, key)
        else:
            paid_for_goods = funded.goods_minor + funded.total_minor
            seller_total = order.seller_total_minor
            seller_share = allocate(seller_total, [goods, paid_for_goods - goods])[0]
            tx = ledger.release_with_fx(
                order_id,
                order.seller_id,
                Money(goods, order.currency),
                Money(seller_share, order.seller_currency),
                rate,
                key,
            )
        post(uow, tx, order_id=order_id, seller_id=order.seller_id, processor_ref=refund_ref(key))
    uow.conn.execute(
        update(escrow_terms)
        .where(escrow_terms.c.order_id == order_id, escrow_terms.c.released_at.is_(None))
        .values(released_at=now)
    )
    schedule(
        uow,
        kind=FINALIZE_KIND,
        dedupe_key=f"{FINALIZE_KIND}:{order_id}",
        due_at=now + timedelta(days=policy.after_sales_days),
        payload={"order_id": order_id},
    )
    return held


@dataclass(frozen=True, slots=True)
class _Funding:
    goods_minor: int  # what the buyer paid for goods and postage (no duty or VAT)
    total_minor: int  # the platform-funded discounts of the order
    now_minor: int  # the part paid in at this release


def _platform_share(order: SettledOrder, funded_minor: int, part_minor: int) -> int:
    """The platform-funded share that goes with ``part_minor`` of what the buyer paid for the
    goods: ``funded * part / goods`` by largest remainder, so the shares of the pieces of a
    whole add up to ``funded`` exactly (the commission-base and refund rule of decision 45)."""
    goods = order.goods_minor
    part = min(part_minor, goods)
    if funded_minor == 0 or goods <= 0:
        return 0
    return allocate(funded_minor, [part, goods - part])[0]


def _fund_platform_discounts(uow: UnitOfWork, order: SettledOrder, goods: int) -> _Funding:
    """At release the platform pays into escrow what it funds of the discounts on the goods
    released (all of it, unless refunds before release took part of the goods back), so the
    release pays the seller as if there had been no platform coupon."""
    total = platform_funded_minor(uow, order.id)
    paid_goods = order.goods_minor
    now = _platform_share(order, total, goods) if goods > 0 else 0
    if now > 0:
        post(
            uow,
            ledger.promotion_funding(order.id, Money(now, order.currency), f"promotion:{order.id}"),
            order_id=order.id,
            seller_id=order.seller_id,
        )
    return _Funding(paid_goods, total, now)


def _customs_transfer(order_id: str, amount: Money) -> ledger.LedgerTransaction:
    return ledger.LedgerTransaction(
        f"customs:{order_id}",
        "customs",
        (
            ledger.debit(ledger.order_escrow(order_id), amount),
            ledger.credit(ledger.platform_customs(amount.currency), amount),
        ),
        "duty and VAT collected at checkout, owed to customs",
    )


def refund_from_escrow(
    uow: UnitOfWork, provider: PaymentProvider, order_id: str, amount_minor: int, *, reason: str
) -> None:
    """Give the buyer ``amount_minor`` back out of escrow (before release). Once the order is
    refunded in full (a dispute's full refund, a return, a cancellation), its coupons go back
    to the buyer if still valid; a partial refund keeps them used."""
    order = settled_order(uow, order_id)
    held = escrow_held(uow, order_id)
    if not 0 < amount_minor <= held:
        raise InvalidInput(
            f"refund must be 1 to {held} (what escrow holds)",
            code=ProblemCode.INVALID_REFUND_AMOUNT,
        )
    key = f"refund:{order_id}:{refunds_of_order(uow, order_id).count}"
    refund_to_buyer(
        uow,
        provider,
        order_id,
        amount_minor,
        reason=reason,
        after_release=False,
        idempotency_key=key,
    )
    post(
        uow,
        ledger.refund_from_escrow(order_id, Money(amount_minor, order.currency), key),
        order_id=order_id,
        processor_ref=refund_ref(key),
    )
    _return_coupons_if_refunded_in_full(uow, order)


def cancel_paid_order(
    uow: UnitOfWork,
    provider: PaymentProvider,
    order_id: str,
    event: OrderEvent,
    *,
    actor_id: str | None,
    note: str,
) -> OrderStatus:
    """A paid, unshipped order is cancelled (seller accepted, or missed the ship-by date):
    the stock goes back (the state machine does that) and escrow refunds the buyer in full."""
    status = apply_event(uow, order_id, event, actor_id=actor_id, note=note)
    held = escrow_held(uow, order_id)
    if held > 0:
        refund_from_escrow(uow, provider, order_id, held, reason=note or event.value)
    return_coupons(uow, settled_order(uow, order_id).checkout_id)
    return status


@use_case
def cancel_order(
    uow: UnitOfWork, provider: PaymentProvider, principal: Principal, order_id: str, reason: str
) -> OrderStatus:
    """Its seller accepts cancelling a paid, unshipped order (escrow refunds the buyer in full);
    anyone else who may see the order asks as the buyer (an unpaid order; no money moves). The
    state machine refuses what the order's state does not allow."""
    order = get_order(uow, principal, order_id)
    if order["seller_account_id"] == principal.account_id:
        return cancel_paid_order(
            uow,
            provider,
            order_id,
            OrderEvent.ACCEPT_CANCELLATION,
            actor_id=principal.account_id,
            note=reason,
        )
    return apply_event(
        uow, order_id, OrderEvent.BUYER_CANCEL, actor_id=principal.account_id, note=reason
    )


def ship_by_deadline(
    uow: UnitOfWork, provider: PaymentProvider, payload: Mapping[str, Any]
) -> None:
    """Timer: the seller did not ship in time. Idempotent: shipped or cancelled orders stay."""
    order_id = str(payload["order_id"])
    if settled_order(uow, order_id).status == OrderStatus.AWAITING_SHIPMENT.value:
        cancel_paid_order(
            uow,
            provider,
            order_id,
            OrderEvent.MISS_SHIP_BY,
            actor_id=None,
            note="the seller did not ship by the deadline",
        )


def refund_after_release(
    uow: UnitOfWork,
    provider: PaymentProvider,
    principal: Principal,
    order_id: str,
    amount_minor: int,
    *,
    reason: str,
) -> None:
    """After-sales refund (operators): the buyer is paid back and the seller owes it (clawback
    into the seller's receivable, netted against the next payout)."""
    require_role(principal, Role.OPERATOR)
    order = settled_order(uow, order_id)
    if order.status not in (OrderStatus.COMPLETED.value, OrderStatus.FINALIZED.value):
        raise Conflict(
            "only released orders take after-sales refunds; use a dispute before",
            code=ProblemCode.NOT_RELEASED,
        )
    already = refunds_of_order(uow, order_id)
    if not 0 < amount_minor <= order.total_minor - already.total_minor:
        raise InvalidInput(
            "refund exceeds what the buyer paid", code=ProblemCode.INVALID_REFUND_AMOUNT
        )
    key = f"refund:{order_id}:{already.count}"
    refund_to_buyer(
        uow,
        provider,
        order_id,
        amount_minor,
        reason=reason,
        after_release=True,
        idempotency_key=key,
    )
    if order.currency == order.seller_currency:
        tx = ledger.refund_after_payout(
            order_id, order.seller_id, Money(amount_minor, order.currency), key
        )
    else:
        seller_total = order.seller_total_minor
        # Cumulative largest remainder: each piece claws back share(after) - share(before),
        # so refunds made in pieces add up to exactly what one refund of the sum would.
        after = refunds_of_order(uow, order_id).after_release_minor  # this one is recorded
        before = after - amount_minor

        def share(refunded: int) -> int:
            return allocate(seller_total, [refunded, order.total_minor - refunded])[0]

        seller_part = share(before + amount_minor) - share(before)
        tx = ledger.refund_after_payout_with_fx(
            order_id,
            order.seller_id,
            Money(amount_minor, order.currency),
            Money(seller_part, order.seller_currency),
            key,
        )
    post(uow, tx, order_id=order_id, seller_id=order.seller_id, processor_ref=refund_ref(key))
    _claw_back_funding(uow, order, amount_minor, key)
    _return_coupons_if_refunded_in_full(uow, order)


def _return_coupons_if_refunded_in_full(uow: UnitOfWork, order: SettledOrder) -> None:
    if refunds_of_order(uow, order.id).total_minor == order.total_minor:
        return_coupons(uow, order.checkout_id, refunded_in_full=[order.id])


def _claw_back_funding(
    uow: UnitOfWork, order: SettledOrder, amount_minor: int, refund_key: str
) -> None:
    """A refund after release takes back its share of the platform's funding from the seller
    (cumulative largest remainder: refunds in pieces claw back what one refund of their sum
    would). Shares are of what the release paid in, on the goods the release covered."""
    total = platform_funded_minor(uow, order.id)
    if total == 0:
        return
    refunds = refunds_of_order(uow, order.id)
    before_release = refunds.total_minor - refunds.after_release_minor
    released_goods = max(0, order.goods_minor - before_release)
    funded = _platform_share(order, total, released_goods)
    after = refunds.after_release_minor  # this refund is recorded

    def share(refunded: int) -> int:
        part = min(refunded, released_goods)
        return allocate(funded, [part, released_goods - part])[0] if released_goods else 0

    back = share(after) - share(after - amount_minor)
    if back <= 0:
        return
    key = f"promotion-back:{refund_key}"
    if order.currency == order.seller_currency:
        tx = ledger.promotion_clawback(order.id, order.seller_id, Money(back, order.currency), key)
    else:
        seller_total = order.seller_total_minor
        base = released_goods + funded
        seller_back = allocate(seller_total, [back, base - back])[0]
        tx = ledger.promotion_clawback_with_fx(
            order.id,
            order.seller_id,
            Money(back, order.currency),
            Money(seller_back, order.seller_currency),
            key,
        )
    post(uow, tx, order_id=order.id, seller_id=order.seller_id)
