"""Payment use cases: start a payment for a checkout, react to provider webhooks, refund.

Webhooks are the source of truth for money arriving: ``payment.authorized`` makes Tradewind
request the capture (an intent, made by :mod:`tradewind.payments.outbox` after commit),
``payment.captured`` marks the checkout paid and books the capture per order in the ledger (and
the processor's fee), once its amount and currency are checked against what was asked; a short or
mismatched capture is held for an operator instead (:mod:`tradewind.payments.mismatches`).
Every field of an event is checked before use (:mod:`tradewind.payments.events`). Every handler
is idempotent (the event id is recorded once; ledger keys are unique), and tolerates events in
any order: a capture that arrives before its authorization does both jobs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, insert, select, update

from tradewind.db.sql import insert_ignoring_conflicts
from tradewind.db.tables.payments import payments, refunds, webhook_events
from tradewind.db.uow import UnitOfWork
from tradewind.identity.domain import Principal, Role, ensure_visible, require_role
from tradewind.kernel.errors import Conflict, NotFound
from tradewind.kernel.ids import new_id
from tradewind.kernel.problems import ProblemCode
from tradewind.ledger import domain as ledger
from tradewind.ledger.service import post
from tradewind.money.amount import Money
from tradewind.ordering import payable
from tradewind.ordering.checkout import mark_paid
from tradewind.payments import outbox
from tradewind.payments.events import PAYOUT_EVENTS, WebhookEvent, parse_event
from tradewind.payments.mismatches import (
    CAPTURABLE,
    hold_capture,
    record_over_capture,
    refund_surplus,
)
from tradewind.payments.ports import PaymentProvider, ProviderAnswer
from tradewind.risk.domain import EventKind, RiskEvent

IN_REVIEW = "in_review"  # authorized; risk holds the capture until an operator decides

log = logging.getLogger(__name__)


def start_payment(
    uow: UnitOfWork,
    principal: Principal,
    provider: PaymentProvider,
    checkout_id: str,
    *,
    return_url: str,
) -> dict[str, Any]:
    """Open (or reopen after a decline) the provider's hosted page for a checkout."""
    require_role(principal, Role.BUYER)
    # Locking the checkout row serializes concurrent starts for one checkout (PostgreSQL; SQLite
    # writers are serialized anyway), so two tabs cannot both create a payment.
    row = payable.checkout_state(uow, checkout_id, lock=True)
    ensure_visible(principal, [row.buyer_id] if row else [], "checkout")
    assert row is not None
    amount_minor = payable.payable_minor(uow, checkout_id)
    if not row.awaiting_payment or amount_minor == 0:
        raise Conflict(
            "this checkout has nothing left to pay", code=ProblemCode.CHECKOUT_NOT_PAYABLE
        )
    existing = uow.conn.execute(
        select(payments).where(payments.c.checkout_id == checkout_id)
    ).first()
    if (
        existing is not None
        and existing.status != "failed"
        and (existing.status != "pending" or existing.amount_minor == amount_minor)
    ):
        return dict(existing._mapping)
    # New, or the last attempt failed, or the buyer cancelled an order since: a fresh page
    # for exactly what is still owed.
    created = provider.create_payment(
        uow,
        reference=checkout_id,
        amount_minor=amount_minor,
        currency=row.currency,
        return_url=return_url,
    )
    now = uow.clock.now()
    values = {
        "provider": provider.name,
        "provider_payment_id": created.provider_payment_id,
        "amount_minor": amount_minor,
        "currency": row.currency,
        "status": "pending",
        "redirect_url": created.redirect_url,
        "updated_at": now,
    }
    if existing is None:
        values |= {
            "id": new_id("pay"),
            "checkout_id": checkout_id,
            "buyer_id": row.buyer_id,
            "captured_minor": 0,
            "refunded_minor": 0,
            "created_at": now,
        }
        uow.conn.execute(insert(payments).values(**values))
    else:
        uow.conn.execute(update(payments).where(payments.c.id == existing.id).values(**values))
    return dict(
        uow.conn.execute(select(payments).where(payments.c.checkout_id == checkout_id))
        .one()
        ._mapping
    )


def payable_minor(uow: UnitOfWork, checkout_id: str) -> int:
    """What the buyer still owes on a checkout (ordering's figure)."""
    return payable.payable_minor(uow, checkout_id)


EventHandler = Callable[[UnitOfWork, PaymentProvider, dict[str, Any], WebhookEvent], None]


def record_event(
    uow: UnitOfWork,
    provider: PaymentProvider,
    raw: object,
    handlers: Mapping[str, EventHandler] | None = None,
) -> bool:
    """Check and handle one verified webhook event; returns False for a duplicate delivery.

    Every field is checked (:func:`~tradewind.payments.events.parse_event`) before anything is
    stored; a malformed event raises ``InvalidInput`` and changes nothing. ``handlers`` adds
    the handlers of contexts above payments (escrow's chargebacks; the composition root's
    ``webhook_handlers``); an event type nobody handles is refused, never dropped."""
    event = parse_event(raw, uow.clock.now())
    fresh = insert_ignoring_conflicts(
        uow.conn,
        webhook_events,
        {
            "event_id": event.event_id,
            "provider": provider.name,
            "type": event.kind,
            "payload": event.payload(),
            "received_at": uow.clock.now(),
        },
    )
    if not fresh:
        return False
    handler = {**_HANDLERS, **(handlers or {})}.get(event.kind)
    if handler is None:
        raise RuntimeError(f"no handler is wired for {event.kind} webhooks")
    if event.kind in PAYOUT_EVENTS:
        handler(uow, provider, {}, event)  # about a payout: there is no payment to pass
        return True
    payment = uow.conn.execute(
        select(payments).where(payments.c.provider_payment_id == event.payment_id)
    ).first()
    if payment is None:
        log.warning("webhook for an unknown payment", extra={"event_id": event.event_id})
        return True
    handler(uow, provider, dict(payment._mapping), event)
    return True


def _on_authorized(
    uow: UnitOfWork, provider: PaymentProvider, payment: dict[str, Any], event: WebhookEvent
) -> None:
    if payment["status"] != "pending":
        return  # already captured (events arrived out of order) or failed
    if event.amount != Money(payment["amount_minor"], payment["currency"]):
        # Not what was asked: capture nothing. The checkout's payment timeout ends it.
        log.warning("authorization does not match the payment", extra={"event": event.event_id})
        return
    screened = RiskEvent(
        EventKind.PAYMENT,
        uow.clock.now(),
        payment["buyer_id"],
        checkout_id=payment["checkout_id"],
        amount_minor=payment["amount_minor"],
        currency=payment["currency"],
    )
    if uow.publish(screened):  # risk holds it for review before capture (issue 18)
        _set_status(uow, payment["id"], IN_REVIEW, expected=("pending",))
        return
    _enqueue_capture(uow, provider, payment)
    _set_status(uow, payment["id"], "capture_requested", expected=("pending",))


def _enqueue_capture(uow: UnitOfWork, provider: PaymentProvider, payment: Any) -> None:
    """Ask for the capture after this transaction commits (payments.outbox)."""
    outbox.enqueue(
        uow,
        provider,
        outbox.CAPTURE,
        capture_key(payment["provider_payment_id"]),
        amount=Money(payment["amount_minor"], payment["currency"]),
        subject_id=payment["id"],
        provider_payment_id=payment["provider_payment_id"],
    )


def capture_after_review(uow: UnitOfWork, provider: PaymentProvider, checkout_id: str) -> bool:
    """A payment risk held for review was allowed: capture it now (once)."""
    payment = uow.conn.execute(
        select(payments).where(
            payments.c.checkout_id == checkout_id, payments.c.status == IN_REVIEW
        )
    ).first()
    if payment is None:
        return False
    if not _set_status(uow, payment.id, "capture_requested", expected=(IN_REVIEW,)):
        return False
    _enqueue_capture(uow, provider, payment._mapping)
    return True


def capture_key(provider_payment_id: str) -> str:
    """The idempotency key of the one capture of a processor payment."""
    return f"capture:{provider_payment_id}"


def _on_captured(
    uow: UnitOfWork, provider: PaymentProvider, payment: dict[str, Any], event: WebhookEvent
) -> None:
    """Apply a capture to the checkout's orders, or hold it: what the processor reports is
    checked against what was asked. Less than asked, or another currency: held for an
    operator (:mod:`tradewind.payments.mismatches`), the checkout stays unpaid. A second
    capture event for one payment changes nothing (the status moves once)."""
    captured = event.amount
    _book_fee(uow, payment["provider_payment_id"], event)
    asked = Money(payment["amount_minor"], payment["currency"])
    if captured.currency != asked.currency or captured.amount_minor < asked.amount_minor:
        kind = "currency_mismatch" if captured.currency != asked.currency else "short_capture"
        hold_capture(uow, payment, event, kind)
        return
    changed = _set_status(
        uow,
        payment["id"],
        "captured",
        expected=CAPTURABLE,
        captured_minor=captured.amount_minor,
    )
    if not changed:
        log.warning("a second capture for one payment", extra={"event": event.event_id})
        return
    checkout = payable.checkout_state(uow, payment["checkout_id"])
    if checkout is None:
        raise NotFound("checkout not found")
    owed = payable.payable_minor(uow, checkout.checkout_id)
    if not checkout.awaiting_payment or owed == 0:
        # The money came after the payment timeout (or the buyer's cancellations) released
        # everything: give it all back.
        refund_surplus(uow, provider, payment, captured, "late")
        _set_status(
            uow,
            payment["id"],
            "refunded",
            expected=("captured",),
            refunded_minor=captured.amount_minor,
        )
        return
    _apply_capture(uow, payment, checkout.checkout_id)
    if captured.amount_minor > owed:  # an order was cancelled after the page opened, or more
        surplus = Money(captured.amount_minor - owed, captured.currency)
        refund_surplus(uow, provider, payment, surplus, "excess")
        _set_status(
            uow,
            payment["id"],
            "partially_refunded",
            expected=("captured",),
            refunded_minor=surplus.amount_minor,
        )
    if captured.amount_minor > asked.amount_minor:  # more than was authorized: tell operators
        record_over_capture(uow, payment, event)


def _book_fee(uow: UnitOfWork, provider_payment_id: str, event: WebhookEvent) -> None:
    """What the processor kept of a capture is our expense (once per processor payment)."""
    if not event.fee_minor:
        return
    ref = f"fee:{provider_payment_id}"
    fee = Money(event.fee_minor, event.currency)
    post(uow, ledger.processor_fee(provider_payment_id, fee, ref), processor_ref=ref)


def _apply_capture(uow: UnitOfWork, payment: dict[str, Any], checkout_id: str) -> None:
    """The checkout is paid: each order's total goes into its escrow."""
    paid = payable.unpaid_orders(uow, checkout_id)
    mark_paid(uow, checkout_id, payment["provider_payment_id"])
    for order in paid:
        post(
            uow,
            ledger.capture(order.order_id, order.total, f"capture:{order.order_id}"),
            order_id=order.order_id,
            processor_ref=capture_key(payment["provider_payment_id"]),
        )


def _on_failed(
    uow: UnitOfWork, _provider: PaymentProvider, payment: dict[str, Any], _event: WebhookEvent
) -> None:
    _set_status(uow, payment["id"], "failed", expected=("pending",))


def _on_refunded(
    uow: UnitOfWork, _provider: PaymentProvider, _payment: dict[str, Any], event: WebhookEvent
) -> None:
    """The processor says a refund went through: settles its intent if its answer was lost."""
    if event.request_key is not None:
        outbox.settle(
            uow, event.request_key, ProviderAnswer("succeeded", processor_ref=event.refund_id)
        )


_HANDLERS: dict[str, EventHandler] = {
    "payment.authorized": _on_authorized,
    "payment.captured": _on_captured,
    "payment.failed": _on_failed,
    "refund.succeeded": _on_refunded,
}


def _set_status(
    uow: UnitOfWork, payment_id: str, status: str, *, expected: tuple[str, ...], **values: Any
) -> bool:
    return bool(
        uow.conn.execute(
            update(payments)
            .where(payments.c.id == payment_id, payments.c.status.in_(expected))
            .values(status=status, updated_at=uow.clock.now(), **values)
        ).rowcount
    )


def refund_to_buyer(
    uow: UnitOfWork,
    provider: PaymentProvider,
    order_id: str,
    amount_minor: int,
    *,
    reason: str,
    after_release: bool,
    idempotency_key: str,
) -> None:
    """Send ``amount_minor`` of an order back to the buyer's card (the ledger is the caller's,
    tagged ``processor_ref=refund_ref(idempotency_key)``): recorded as an intent, made by the
    outbox after this transaction commits."""
    order = payable.order_payment(uow, order_id)
    if order is None:
        raise NotFound("order not found")
    payment = uow.conn.execute(
        select(payments).where(payments.c.checkout_id == order.checkout_id)
    ).first()
    if payment is None or payment.status not in ("captured", "partially_refunded"):
        raise Conflict("there is no captured payment to refund", code=ProblemCode.NOTHING_TO_REFUND)
    first_time = insert_ignoring_conflicts(
        uow.conn,
        refunds,
        {
            "id": new_id("rfd"),
            "payment_id": payment.id,
            "order_id": order_id,
            "idempotency_key": idempotency_key,
            "amount_minor": amount_minor,
            "currency": order.currency,
            "reason": reason[:200],
            "after_release": int(after_release),
            "created_at": uow.clock.now(),
        },
    )
    if not first_time:
        return  # this refund was already made
    outbox.enqueue(
        uow,
        provider,
        outbox.REFUND,
        idempotency_key,
        amount=Money(amount_minor, order.currency),
        subject_id=payment.id,
        provider_payment_id=payment.provider_payment_id,
    )
    refunded = payment.refunded_minor + amount_minor
    uow.conn.execute(
        update(payments)
        .where(payments.c.id == payment.id)
        .values(
            refunded_minor=refunded,
            updated_at=uow.clock.now(),
            status="refunded" if refunded >= payment.captured_minor else "partially_refunded",
        )
    )


def refund_ref(idempotency_key: str) -> str:
    """The ledger's ``processor_ref`` of a refund requested under ``idempotency_key``."""
    return f"refund:{idempotency_key}"


@dataclass(frozen=True, slots=True)
class OrderRefunds:
    """The refunds made for one order so far."""

    count: int
    total_minor: int
    after_release_minor: int  # of which after escrow released (clawed back from the seller)


def refunds_of_order(uow: UnitOfWork, order_id: str) -> OrderRefunds:
    """Count and sums of an order's refunds, in one read."""
    row = uow.conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(refunds.c.amount_minor), 0),
            func.coalesce(
                func.sum(case((refunds.c.after_release == 1, refunds.c.amount_minor), else_=0)), 0
            ),
        ).where(refunds.c.order_id == order_id)
    ).one()
    return OrderRefunds(int(row[0]), int(row[1]), int(row[2]))


def refunded_before_release_minor(
    uow: UnitOfWork, order_ids: Collection[str] | None = None
) -> dict[str, int]:
    """Refunds paid out of escrow (before release), summed per order id (of every order, or of
    ``order_ids``), batched."""
    query = (
        select(refunds.c.order_id, func.sum(refunds.c.amount_minor))
        .where(refunds.c.after_release == 0)
        .group_by(refunds.c.order_id)
    )
    if order_ids is None:
        return {str(order_id): int(total) for order_id, total in uow.conn.execute(query)}
    wanted, found = list(order_ids), {}
    for start in range(0, len(wanted), 500):
        chunk = query.where(refunds.c.order_id.in_(wanted[start : start + 500]))
        found.update({str(order_id): int(total) for order_id, total in uow.conn.execute(chunk)})
    return found


def payment_for_checkout(uow: UnitOfWork, principal: Principal, checkout_id: str) -> dict[str, Any]:
    row = uow.conn.execute(select(payments).where(payments.c.checkout_id == checkout_id)).first()
    ensure_visible(principal, [row.buyer_id] if row else [], "payment")
    assert row is not None
    return dict(row._mapping)
