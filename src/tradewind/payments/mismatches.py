"""Captures that do not match what Tradewind asked for, and the operators' queue of them.

A capture is checked against the payment record (amount and currency asked):

- ``short_capture`` (less than asked) and ``currency_mismatch`` (another currency) are
  **held**: nothing is applied to the checkout, which stays unpaid (its payment timeout still
  runs), the payment's status becomes ``held``, and the money the processor really moved is
  booked ``Dr psp:clearing:C / Cr platform:suspense:C`` in the currency it came in, so the ledger
  still mirrors the processor. An operator lists held mismatches and refunds one: the processor
  gives the captured amount back (idempotent by key), ``Dr platform:suspense:C / Cr
  psp:clearing:C``, and the mismatch is ``refunded``. Exactly once: the status moves
  ``held -> refunded`` in one conditional update, so a retry or a race finds it resolved.
- ``over_capture`` (more than was authorized) pays the checkout; the surplus passes through
  suspense and goes straight back to the buyer. It is recorded already ``refunded``, so operators
  see that the processor misbehaved.

A surplus that is expected (an order cancelled after the payment page opened) and a capture that
arrives after the checkout ended are refunded through suspense too, without a queue entry.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Table, func, select, update

from tradewind.db.sql import insert_ignoring_conflicts
from tradewind.db.tables.payments import payment_mismatches, payments
from tradewind.db.uow import UnitOfWork
from tradewind.identity.domain import Principal, Role, require_role
from tradewind.kernel.errors import Conflict, NotFound
from tradewind.kernel.ids import new_id
from tradewind.kernel.problems import ProblemCode
from tradewind.ledger import domain as ledger
from tradewind.ledger.service import post
from tradewind.money.amount import Money
from tradewind.payments import outbox
from tradewind.payments.events import WebhookEvent
from tradewind.payments.ports import PaymentProvider

log = logging.getLogger(__name__)

CAPTURABLE = ("pending", "capture_requested", "failed")
HELD = "held"
REFUNDED = "refunded"
STATUSES = (HELD, REFUNDED)
MAX_NOTE_LEN = 500


def hold_capture(uow: UnitOfWork, payment: dict[str, Any], event: WebhookEvent, kind: str) -> bool:
    """Hold a capture that may not pay the checkout; False if the payment moved on already."""
    claimed = uow.conn.execute(
        update(payments)
        .where(payments.c.id == payment["id"], payments.c.status.in_(CAPTURABLE))
        .values(status=HELD, updated_at=uow.clock.now())
    ).rowcount
    if not claimed:
        log.warning("a second capture for one payment", extra={"event": event.event_id})
        return False
    _insert(uow, payment, event, kind, HELD, "held for an operator")
    captured = event.amount
    post(
        uow,
        ledger.unapplied_capture(payment["provider_payment_id"], captured, _key("held", payment)),
        processor_ref=f"capture:{payment['provider_payment_id']}",
    )
    log.warning("capture held", extra={"event": event.event_id, "kind": kind})
    return True


def record_over_capture(uow: UnitOfWork, payment: dict[str, Any], event: WebhookEvent) -> None:
    _insert(uow, payment, event, "over_capture", REFUNDED, "surplus refunded automatically")


def refund_surplus(
    uow: UnitOfWork,
    provider: PaymentProvider,
    payment: dict[str, Any],
    surplus: Money,
    reason: str,
) -> None:
    """Captured money no order takes: through suspense, and straight back to the buyer."""
    provider_payment_id = payment["provider_payment_id"]
    post(
        uow,
        ledger.unapplied_capture(provider_payment_id, surplus, _key(reason, payment)),
        processor_ref=f"capture:{provider_payment_id}",
    )
    request_key = f"{reason}:{payment['id']}"
    outbox.enqueue(
        uow,
        provider,
        outbox.REFUND,
        request_key,
        amount=surplus,
        subject_id=payment["id"],
        provider_payment_id=provider_payment_id,
    )
    post(
        uow,
        ledger.refund_unapplied(provider_payment_id, surplus, _key(reason, payment, refund=True)),
        processor_ref=f"refund:{request_key}",
    )


def _key(reason: str, payment: dict[str, Any], *, refund: bool = False) -> str:
    return f"unapplied{'-refund' if refund else ''}:{reason}:{payment['provider_payment_id']}"


def _insert(
    uow: UnitOfWork,
    payment: dict[str, Any],
    event: WebhookEvent,
    kind: str,
    status: str,
    note: str,
) -> None:
    now = uow.clock.now()
    insert_ignoring_conflicts(
        uow.conn,
        payment_mismatches,
        {
            "id": new_id("pmm"),
            "payment_id": payment["id"],
            "checkout_id": payment["checkout_id"],
            "provider_payment_id": payment["provider_payment_id"],
            "event_id": event.event_id,
            "kind": kind,
            "expected_minor": payment["amount_minor"],
            "expected_currency": payment["currency"],
            "captured_minor": event.amount.amount_minor,
            "captured_currency": event.currency,
            "status": status,
            "refund_id": None,
            "resolved_by": None,
            "note": note,
            "created_at": now,
            "resolved_at": now if status == REFUNDED else None,
        },
    )


# --- the operators' queue -----------------------------------------------------------------


def held_captures_minor(uow: UnitOfWork) -> dict[str, int]:
    """Captures held for an operator, summed per captured currency, in one read."""
    rows = uow.conn.execute(
        select(
            payment_mismatches.c.captured_currency,
            func.sum(payment_mismatches.c.captured_minor),
        )
        .where(payment_mismatches.c.status == "held")
        .group_by(payment_mismatches.c.captured_currency)
    )
    return {str(currency): int(total) for currency, total in rows}


def list_mismatches(
    uow: UnitOfWork, principal: Principal, *, status: str | None, limit: int, after: str | None
) -> list[dict[str, Any]]:
    return queue_page(uow, principal, payment_mismatches, status=status, limit=limit, after=after)


def queue_page(
    uow: UnitOfWork,
    principal: Principal,
    table: Table,
    *,
    status: str | None,
    limit: int,
    after: str | None,
) -> list[dict[str, Any]]:
    """One page of an operators' queue (``payment_mismatches``, ``settlement_mismatches``)."""
    require_role(principal, Role.OPERATOR)
    query = select(table).order_by(table.c.id).limit(limit)
    if status is not None:
        query = query.where(table.c.status == status)
    if after is not None:
        query = query.where(table.c.id > after)
    return [dict(r._mapping) for r in uow.conn.execute(query)]


def mismatch_view(uow: UnitOfWork, principal: Principal, mismatch_id: str) -> dict[str, Any]:
    require_role(principal, Role.OPERATOR)
    row = uow.conn.execute(
        select(payment_mismatches).where(payment_mismatches.c.id == mismatch_id)
    ).first()
    if row is None:
        raise NotFound("payment mismatch not found")
    return dict(row._mapping)


def refund_mismatch(
    uow: UnitOfWork,
    provider: PaymentProvider,
    principal: Principal,
    mismatch_id: str,
    note: str,
) -> dict[str, Any]:
    """Give a held capture back to the buyer through the processor, exactly once."""
    row = mismatch_view(uow, principal, mismatch_id)
    claimed = uow.conn.execute(
        update(payment_mismatches)
        .where(payment_mismatches.c.id == mismatch_id, payment_mismatches.c.status == HELD)
        .values(
            status=REFUNDED,
            resolved_by=principal.account_id,
            resolved_at=uow.clock.now(),
            note=note[:MAX_NOTE_LEN] or "refunded by an operator",
        )
    ).rowcount
    if not claimed:
        raise Conflict(
            "this payment mismatch is already resolved", code=ProblemCode.MISMATCH_RESOLVED
        )
    captured = Money(row["captured_minor"], row["captured_currency"])
    key = f"unapplied-refund:{mismatch_id}"
    outbox.enqueue(
        uow,
        provider,
        outbox.REFUND,
        key,
        amount=captured,
        subject_id=row["payment_id"],
        provider_payment_id=row["provider_payment_id"],
    )
    uow.conn.execute(
        update(payment_mismatches)
        .where(payment_mismatches.c.id == mismatch_id)
        .values(refund_id=key)
    )
    post(
        uow,
        ledger.refund_unapplied(row["provider_payment_id"], captured, key),
        processor_ref=f"refund:{key}",
    )
    uow.conn.execute(
        update(payments)
        .where(payments.c.id == row["payment_id"], payments.c.status == HELD)
        .values(status=REFUNDED, updated_at=uow.clock.now())
    )
    return mismatch_view(uow, principal, mismatch_id)
