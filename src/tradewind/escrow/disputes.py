"""Disputes: the buyer claims, the seller answers, either escalates, an operator decides.

While a dispute is open the order is IN_DISPUTE, the protection timer is stopped (its remaining
time is kept) and escrow cannot be released: the money is frozen. Every step is a message row
recording who did what and when.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, update

from tradewind.audit import service as audit
from tradewind.db.sql import insert_ignoring_conflicts
from tradewind.db.tables.escrow import dispute_messages, disputes
from tradewind.db.uow import UnitOfWork, use_case
from tradewind.escrow import service as escrow
from tradewind.escrow.domain import DisputeReason, DisputeStatus, EscrowPolicy, Resolution
from tradewind.identity.domain import Principal, Role, ensure_visible, require_role
from tradewind.identity.service import visible_page
from tradewind.kernel.errors import Conflict, InvalidInput
from tradewind.kernel.ids import new_id
from tradewind.kernel.problems import ProblemCode
from tradewind.ordering.domain import OrderEvent
from tradewind.ordering.orders import OrderHeader, apply_event, order_header
from tradewind.payments.ports import PaymentProvider
from tradewind.risk.domain import EventKind, RiskEvent
from tradewind.timers.service import cancel, schedule

SELLER_DEADLINE_KIND = "dispute.seller_deadline"
MAX_MESSAGE_LEN = 4000


def _dispute(uow: UnitOfWork, principal: Principal, dispute_id: str) -> dict[str, Any]:
    row = uow.conn.execute(select(disputes).where(disputes.c.id == dispute_id)).first()
    ensure_visible(principal, [row.buyer_id, row.seller_account_id] if row else [], "dispute")
    assert row is not None
    return dict(row._mapping)


def _say(
    uow: UnitOfWork, dispute_id: str, principal: Principal | None, action: str, body: str
) -> None:
    if len(body) > MAX_MESSAGE_LEN:
        raise InvalidInput(
            f"messages are limited to {MAX_MESSAGE_LEN} characters",
            code=ProblemCode.MESSAGE_TOO_LONG,
        )
    uow.conn.execute(
        insert(dispute_messages).values(
            dispute_id=dispute_id,
            author_id=principal.account_id if principal else None,
            author_role=principal.role.value if principal else "system",
            action=action,
            body=body,
            at=uow.clock.now(),
        )
    )


def open_dispute(
    uow: UnitOfWork,
    policy: EscrowPolicy,
    principal: Principal,
    order_id: str,
    reason: DisputeReason,
    message: str,
) -> dict[str, Any]:
    require_role(principal, Role.BUYER)
    order = order_header(uow, order_id)
    ensure_visible(principal, [order.buyer_id] if order else [], "order")
    assert order is not None
    return _open(uow, policy, order, reason, message, principal)


def _open(
    uow: UnitOfWork,
    policy: EscrowPolicy,
    order: OrderHeader,
    reason: DisputeReason,
    message: str,
    author: Principal | None,
) -> dict[str, Any]:
    """Open a dispute on ``order``; ``author`` None means the platform opened it."""
    order_id = order.order_id
    apply_event(
        uow,
        order_id,
        OrderEvent.OPEN_DISPUTE,
        actor_id=author.account_id if author else None,
        note=reason.value,
    )
    now = uow.clock.now()
    terms = escrow.protection_terms(uow, order_id)
    left_s = max(0, int((terms["auto_confirm_at"] - now).total_seconds()))
    cancel(uow, escrow.auto_confirm_key(order_id))  # the protection timer pauses
    dispute_id = new_id("dsp")
    values: dict[str, Any] = {
        "id": dispute_id,
        "order_id": order_id,
        "buyer_id": order.buyer_id,
        "seller_account_id": order.seller_account_id,
        "reason": reason.value,
        "status": DisputeStatus.OPEN.value,
        "resolution": None,
        "refund_minor": None,
        "seller_response_due_at": now + timedelta(days=policy.seller_response_days),
        "protection_left_s": left_s,
        "created_at": now,
        "resolved_at": None,
        "resolved_by": None,
    }
    if not insert_ignoring_conflicts(uow.conn, disputes, values):
        raise Conflict("this order already had a dispute", code=ProblemCode.DISPUTE_EXISTS)
    _say(uow, dispute_id, author, "open", message)
    if author is not None:
        claim = reason is DisputeReason.NOT_RECEIVED
        uow.publish(
            RiskEvent(
                EventKind.CLAIM if claim else EventKind.DISPUTE,
                now,
                order.buyer_id,
                order_id=order_id,
                buyer_id=order.buyer_id,
                seller_id=order.seller_account_id,
                reason="item_not_received" if claim else reason.value[:40],
            )
        )
    schedule(
        uow,
        kind=SELLER_DEADLINE_KIND,
        dedupe_key=f"{SELLER_DEADLINE_KIND}:{dispute_id}",
        due_at=values["seller_response_due_at"],
        payload={"dispute_id": dispute_id},
    )
    return values


def open_for_buyer(
    uow: UnitOfWork, policy: EscrowPolicy, order_id: str, reason: DisputeReason, message: str
) -> str | None:
    """The platform opens a dispute on the buyer's behalf (a parcel expired in transit), so
    nothing waits on a buyer who may not notice. None when the order is no longer awaiting
    receipt (confirmed, or already disputed): nothing to do."""
    order = order_header(uow, order_id)
    if order is None or order.status != "AWAITING_RECEIPT":
        return None
    return str(_open(uow, policy, order, reason, message, None)["id"])


def refund_returned(
    uow: UnitOfWork, policy: EscrowPolicy, provider: PaymentProvider, order_id: str, message: str
) -> str | None:
    """The carrier returned the parcel to the seller: the buyer is refunded in full at once,
    recorded as a dispute the platform opened and resolved."""
    dispute_id = open_for_buyer(uow, policy, order_id, DisputeReason.NOT_RECEIVED, message)
    if dispute_id is None:
        return None
    held = escrow.escrow_held(uow, order_id)
    now = uow.clock.now()
    uow.conn.execute(
        update(disputes)
        .where(disputes.c.id == dispute_id)
        .values(
            status=DisputeStatus.RESOLVED.value,
            resolution=Resolution.REFUND_FULL.value,
            refund_minor=held,
            resolved_at=now,
            resolved_by=None,
        )
    )
    cancel(uow, f"{SELLER_DEADLINE_KIND}:{dispute_id}")
    if held:
        escrow.refund_from_escrow(uow, provider, order_id, held, reason="returned to sender")
    apply_event(uow, order_id, OrderEvent.RESOLVE_REFUND, actor_id=None, note=message)
    _say(uow, dispute_id, None, "resolve", message)  # the resolution is the dispute's
    return dispute_id


@use_case
def respond(uow: UnitOfWork, principal: Principal, dispute_id: str, message: str) -> dict[str, Any]:
    dispute = _dispute(uow, principal, dispute_id)
    if dispute["status"] == DisputeStatus.RESOLVED.value:
        raise Conflict("the dispute is resolved", code=ProblemCode.DISPUTE_RESOLVED)
    action = "message"
    if (
        principal.account_id == dispute["seller_account_id"]
        and dispute["status"] == DisputeStatus.OPEN.value
    ):
        uow.conn.execute(
            update(disputes)
            .where(disputes.c.id == dispute_id, disputes.c.status == DisputeStatus.OPEN.value)
            .values(status=DisputeStatus.SELLER_RESPONDED.value)
        )
        cancel(uow, f"{SELLER_DEADLINE_KIND}:{dispute_id}")
        action = "seller_response"
    _say(uow, dispute_id, principal, action, message)
    return _dispute(uow, principal, dispute_id)


@use_case
def escalate(
    uow: UnitOfWork, principal: Principal, dispute_id: str, message: str
) -> dict[str, Any]:
    """The buyer or the seller asks an operator to decide (operators resolve instead)."""
    require_role(principal, Role.BUYER, Role.SELLER)
    dispute = _dispute(uow, principal, dispute_id)
    changed = uow.conn.execute(
        update(disputes)
        .where(
            disputes.c.id == dispute_id,
            disputes.c.status.in_([DisputeStatus.OPEN.value, DisputeStatus.SELLER_RESPONDED.value]),
        )
        .values(status=DisputeStatus.ESCALATED.value)
    ).rowcount
    if not changed:
        raise Conflict(
            f"a {dispute['status']} dispute cannot be escalated",
            code=ProblemCode.ILLEGAL_TRANSITION,
        )
    _say(uow, dispute_id, principal, "escalate", message)
    return _dispute(uow, principal, dispute_id)


def seller_deadline(uow: UnitOfWork, payload: Mapping[str, Any]) -> None:
    """Timer: the seller did not answer in time, so the dispute goes to an operator."""
    dispute_id = str(payload["dispute_id"])
    changed = uow.conn.execute(
        update(disputes)
        .where(disputes.c.id == dispute_id, disputes.c.status == DisputeStatus.OPEN.value)
        .values(status=DisputeStatus.ESCALATED.value)
    ).rowcount
    if changed:
        _say(uow, dispute_id, None, "escalate", "the seller did not respond in time")


def resolve(
    uow: UnitOfWork,
    policy: EscrowPolicy,
    provider: PaymentProvider,
    principal: Principal,
    dispute_id: str,
    resolution: Resolution,
    refund_minor: int | None,
    note: str,
) -> dict[str, Any]:
    """An operator's decision. Refunds come out of escrow; whatever is left goes to the seller."""
    require_role(principal, Role.OPERATOR)
    dispute = _dispute(uow, principal, dispute_id)
    order_id = dispute["order_id"]
    held = escrow.escrow_held(uow, order_id)
    amount = {Resolution.REFUND_FULL: held, Resolution.RELEASE: 0}.get(resolution, refund_minor)
    if (
        amount is None
        or not 0 <= amount <= held
        or (resolution is Resolution.REFUND_PARTIAL and not 0 < amount < held)
    ):
        raise InvalidInput(
            f"a partial refund must be between 1 and {held - 1}",
            code=ProblemCode.INVALID_REFUND_AMOUNT,
        )
    now = uow.clock.now()
    claimed = uow.conn.execute(
        update(disputes)
        .where(disputes.c.id == dispute_id, disputes.c.status != DisputeStatus.RESOLVED.value)
        .values(
            status=DisputeStatus.RESOLVED.value,
            resolution=resolution.value,
            refund_minor=amount,
            resolved_at=now,
            resolved_by=principal.account_id,
        )
    ).rowcount
    if not claimed:
        raise Conflict("the dispute is already resolved", code=ProblemCode.DISPUTE_RESOLVED)
    cancel(uow, f"{SELLER_DEADLINE_KIND}:{dispute_id}")
    if amount:
        escrow.refund_from_escrow(uow, provider, order_id, amount, reason=f"dispute {dispute_id}")
    event = (
        OrderEvent.RESOLVE_RELEASE
        if resolution is Resolution.RELEASE
        else OrderEvent.RESOLVE_REFUND
    )
    apply_event(uow, order_id, event, actor_id=principal.account_id, note=note)
    escrow.release_to_seller(uow, policy, order_id)  # the rest, if any, to the seller
    _say(uow, dispute_id, principal, "resolve", note)  # the resolution is the dispute's
    audit.record(
        uow,
        actor_id=principal.account_id,
        action=f"dispute.{resolution.value}",
        subject_kind="dispute",
        subject_id=dispute_id,
        reason=note.strip()[: audit.MAX_REASON] or audit.NO_REASON,
        detail={"order_id": order_id, "refund_minor": amount},
    )
    return _dispute(uow, principal, dispute_id)


def dispute_view(uow: UnitOfWork, principal: Principal, dispute_id: str) -> dict[str, Any]:
    dispute = _dispute(uow, principal, dispute_id)
    dispute["messages"] = [
        dict(r._mapping)
        for r in uow.conn.execute(
            select(dispute_messages)
            .where(dispute_messages.c.dispute_id == dispute_id)
            .order_by(dispute_messages.c.id)
        )
    ]
    return dispute


def list_disputes(
    uow: UnitOfWork, principal: Principal, *, status: str | None, limit: int, after: str | None
) -> list[dict[str, Any]]:
    return visible_page(uow, disputes, principal, status=status, limit=limit, after=after)


def dispute_for_order(uow: UnitOfWork, order_id: str) -> str | None:
    found: str | None = uow.conn.scalar(
        select(disputes.c.id).where(disputes.c.order_id == order_id)
    )
    return found
