"""Chargebacks: a card network disputing a captured payment, through the processor.

Not a buyer dispute (:mod:`tradewind.escrow.disputes`, a claim the platform settles): the
cardholder's bank takes the money back first and the network decides later. The processor
reports it by webhook (``chargeback.opened``, then ``chargeback.won`` or ``chargeback.lost``,
each carrying every field, so whichever arrives first creates the row) and in its settlement
report (``chargeback`` and ``chargeback_reversal`` rows, matched by reconciliation against the
``processor_ref`` of the ledger transactions below).

Ledger, every step balanced and keyed by the processor's chargeback id:

- opened: Dr ``platform:chargebacks:C`` / Cr ``psp:clearing:C`` (``chargeback:{id}``);
- won: Dr ``psp:clearing:C`` / Cr ``platform:chargebacks:C`` (``chargeback_reversal:{id}``);
- lost: Cr ``platform:chargebacks:C``, Dr per liable party: ``platform:chargeback_losses:C``
  or the seller's receivable (netted against later payouts, so its balance may go negative;
  through ``platform:fx:*`` when the seller is paid in another currency).

The chargeback is split over the payment's orders by largest remainder (weights: what each
order still holds of the payment, its total less refunds), and each part's liability is
decided once, when the chargeback is first reported, by
:func:`tradewind.escrow.domain.chargeback_liability` (documented in
docs/design/money-and-ledger.md). An operator, or a seller for its order, submits the one
evidence submission before the deadline; it goes to the processor through the outbox.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select, update

from tradewind.audit import service as audit
from tradewind.db.sql import insert_ignoring_conflicts
from tradewind.db.tables.escrow import chargeback_parts, chargebacks
from tradewind.db.uow import UnitOfWork, use_case
from tradewind.escrow.domain import (
    ChargebackStatus,
    OrderFacts,
    chargeback_category,
    chargeback_liability,
)
from tradewind.escrow.service import ChargedOrder, orders_of_checkout
from tradewind.identity.domain import Principal, Role, ensure_visible, require_role
from tradewind.kernel.errors import Conflict, FieldError, InvalidInput
from tradewind.kernel.i18n import N_
from tradewind.kernel.ids import new_id
from tradewind.kernel.problems import ProblemCode
from tradewind.kernel.text import clean_text
from tradewind.ledger import domain as ledger
from tradewind.ledger.service import post
from tradewind.money.allocation import allocate
from tradewind.money.amount import Money
from tradewind.payments import outbox
from tradewind.payments.events import WebhookEvent
from tradewind.payments.ports import PaymentProvider
from tradewind.payments.service import refunds_of_order
from tradewind.risk.service import payout_restrictions

log = logging.getLogger(__name__)

OPEN_STATES = (ChargebackStatus.OPEN.value, ChargebackStatus.EVIDENCE_SUBMITTED.value)
MAX_EVIDENCE_LEN = 5000
MAX_PAGE = 200
PLATFORM, SELLER = "platform", "seller"


def on_chargeback_event(
    uow: UnitOfWork, _provider: PaymentProvider, payment: dict[str, Any], event: WebhookEvent
) -> None:
    """A ``chargeback.*`` webhook: open the chargeback if this is its first word, then apply
    the outcome the event reports (once: the status moves in one conditional UPDATE)."""
    row = _ensure_opened(uow, payment, event)
    if event.kind == "chargeback.won":
        _close(uow, row, ChargebackStatus.WON)
    elif event.kind == "chargeback.lost":
        _close(uow, row, ChargebackStatus.LOST)


def _ensure_opened(uow: UnitOfWork, payment: dict[str, Any], event: WebhookEvent) -> dict[str, Any]:
    if event.chargeback_id is None or event.reason_code is None or event.evidence_due_by is None:
        raise ValueError(f"a {event.kind} event carries no chargeback")
    now = uow.clock.now()
    fresh = insert_ignoring_conflicts(
        uow.conn,
        chargebacks,
        {
            "id": new_id("chb"),
            "provider_chargeback_id": event.chargeback_id,
            "provider_payment_id": payment["provider_payment_id"],
            "checkout_id": payment["checkout_id"],
            "buyer_id": payment["buyer_id"],
            "reason_code": event.reason_code,
            "category": chargeback_category(event.reason_code).value,
            "amount_minor": event.amount.amount_minor,
            "currency": event.currency,
            "evidence_due_at": event.evidence_due_by,
            "status": ChargebackStatus.OPEN.value,
            "evidence": None,
            "evidence_by": None,
            "evidence_role": None,
            "evidence_at": None,
            "outcome_at": None,
            "created_at": now,
        },
    )
    row = _by_provider_id(uow, event.chargeback_id)
    amount = Money(row["amount_minor"], row["currency"])
    if fresh:
        _split(uow, row, payment)
    elif event.amount != amount:  # the first report is booked; reconciliation shows the rest
        log.warning("chargeback events disagree on the amount", extra={"event": event.event_id})
    ref = event.chargeback_id
    post(
        uow,
        ledger.chargeback(ref, amount, f"chargeback:{ref}:opened"),
        processor_ref=f"chargeback:{ref}",
    )
    return row


def _by_provider_id(uow: UnitOfWork, provider_chargeback_id: str) -> dict[str, Any]:
    return dict(
        uow.conn.execute(
            select(chargebacks).where(
                chargebacks.c.provider_chargeback_id == provider_chargeback_id
            )
        )
        .one()
        ._mapping
    )


def _split(uow: UnitOfWork, row: dict[str, Any], payment: dict[str, Any]) -> None:
    """Split the chargeback over the payment's orders and decide each part's liability."""
    if row["currency"] != payment["currency"]:
        log.warning("a chargeback in another currency than its payment", extra={"id": row["id"]})
        return  # nothing to split against: a loss is the platform's
    charged = orders_of_checkout(uow, row["checkout_id"])
    if not charged:
        return
    left = [o.total.amount_minor - refunds_of_order(uow, o.order_id).total_minor for o in charged]
    weights = left if any(w > 0 for w in left) else [o.total.amount_minor for o in charged]
    parts = allocate(row["amount_minor"], [max(0, w) for w in weights])
    restricted = payout_restrictions(uow, {o.seller_account_id for o in charged})
    category = chargeback_category(row["reason_code"])
    for order, part, kept in zip(charged, parts, left, strict=True):
        if part == 0:
            continue
        facts = OrderFacts(
            delivered=order.delivered,
            tracked=order.tracked,
            refunded_minor=order.total.amount_minor - kept,
            seller_restricted=order.seller_account_id in restricted,
        )
        liability = chargeback_liability(category, facts)
        uow.conn.execute(
            chargeback_parts.insert().values(
                chargeback_id=row["id"],
                order_id=order.order_id,
                seller_id=order.seller_id,
                seller_account_id=order.seller_account_id,
                amount_minor=part,
                seller_amount_minor=_seller_share(order, part),
                seller_currency=order.seller_currency,
                liable=liability.party,
                rule=liability.rule,
            )
        )


def _seller_share(order: ChargedOrder, part_minor: int) -> int:
    """What ``part_minor`` of the order's total is in the seller's currency, from the order's
    snapshot (never today's rate), as refunds after release claw it back."""
    if order.seller_currency == order.total.currency:
        return part_minor
    rest = order.total.amount_minor - part_minor
    return allocate(order.seller_total_minor, [part_minor, max(0, rest)])[0]


def _close(uow: UnitOfWork, row: dict[str, Any], status: ChargebackStatus) -> None:
    moved = uow.conn.execute(
        update(chargebacks)
        .where(chargebacks.c.id == row["id"], chargebacks.c.status.in_(OPEN_STATES))
        .values(status=status.value, outcome_at=uow.clock.now())
    ).rowcount
    if not moved:
        log.warning("a chargeback outcome after it was decided", extra={"id": row["id"]})
        return
    ref = row["provider_chargeback_id"]
    amount = Money(row["amount_minor"], row["currency"])
    if status is ChargebackStatus.WON:
        tx = ledger.chargeback_reversal(ref, amount, f"chargeback:{ref}:won")
        post(uow, tx, processor_ref=f"chargeback_reversal:{ref}")
        return
    post(uow, ledger.chargeback_lost(ref, _shares(uow, row), f"chargeback:{ref}:lost"))


def _shares(uow: UnitOfWork, row: dict[str, Any]) -> list[ledger.LiabilityShare]:
    """Who bears a lost chargeback: the platform's parts in one share, each seller part on
    its own; whatever no part covers is the platform's."""
    currency = row["currency"]
    shares: list[ledger.LiabilityShare] = []
    platform_minor = row["amount_minor"]
    for part in parts_of(uow, [row["id"]]).get(row["id"], []):
        if part["liable"] != SELLER:
            continue
        platform_minor -= part["amount_minor"]
        shares.append(
            ledger.LiabilityShare(
                Money(part["amount_minor"], currency),
                part["seller_id"],
                Money(part["seller_amount_minor"], part["seller_currency"]),
            )
        )
    if platform_minor > 0:
        shares.append(ledger.LiabilityShare(Money(platform_minor, currency)))
    return shares


def parts_of(uow: UnitOfWork, chargeback_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    if not chargeback_ids:
        return found
    rows = uow.conn.execute(
        select(chargeback_parts)
        .where(chargeback_parts.c.chargeback_id.in_(chargeback_ids))
        .order_by(chargeback_parts.c.chargeback_id, chargeback_parts.c.order_id)
    )
    for part in rows:
        found.setdefault(part.chargeback_id, []).append(dict(part._mapping))
    return found


# --- evidence, and reading ------------------------------------------------------------------


@use_case
def submit_evidence(
    uow: UnitOfWork,
    principal: Principal,
    provider: PaymentProvider,
    chargeback_id: str,
    evidence: str,
) -> dict[str, Any]:
    """The one evidence submission (an operator, or a seller with an order in it), before the
    deadline; sent to the processor after commit (payments.outbox)."""
    require_role(principal, Role.OPERATOR, Role.SELLER)
    row = get_chargeback.within(uow, principal, chargeback_id)
    text = _evidence_text(evidence)
    _check_open(row, uow)
    moved = uow.conn.execute(
        update(chargebacks)
        .where(
            chargebacks.c.id == chargeback_id,
            chargebacks.c.status == ChargebackStatus.OPEN.value,
        )
        .values(
            status=ChargebackStatus.EVIDENCE_SUBMITTED.value,
            evidence=text,
            evidence_by=principal.account_id,
            evidence_role=principal.role.value,
            evidence_at=uow.clock.now(),
        )
    ).rowcount
    if not moved:  # another submission won the race
        raise Conflict(
            N_("Evidence for this chargeback was already submitted."),
            code=ProblemCode.EVIDENCE_ALREADY_SUBMITTED,
        )
    outbox.enqueue(
        uow,
        provider,
        outbox.EVIDENCE,
        f"chargeback-evidence:{row['provider_chargeback_id']}",
        amount=Money(row["amount_minor"], row["currency"]),
        subject_id=chargeback_id,
        provider_payment_id=row["provider_chargeback_id"],
        payload={"evidence": text},
    )
    audit.record(
        uow,
        actor_id=principal.account_id,
        action="chargeback.evidence",
        subject_kind="chargeback",
        subject_id=chargeback_id,
        reason=text[:200],
        detail={"role": principal.role.value},
    )
    return get_chargeback.within(uow, principal, chargeback_id)


def _evidence_text(evidence: str) -> str:
    text = evidence.replace("\r\n", "\n").strip() if isinstance(evidence, str) else ""
    clean_text(text, "evidence")  # tabs and line breaks are allowed
    if not 0 < len(text) <= MAX_EVIDENCE_LEN:
        raise InvalidInput(
            N_("Describe the evidence in 1 to 5,000 characters."),
            errors=[FieldError("evidence", f"must be 1-{MAX_EVIDENCE_LEN} characters", "length")],
        )
    return text


def _check_open(row: dict[str, Any], uow: UnitOfWork) -> None:
    if row["status"] == ChargebackStatus.EVIDENCE_SUBMITTED.value:
        raise Conflict(
            N_("Evidence for this chargeback was already submitted."),
            code=ProblemCode.EVIDENCE_ALREADY_SUBMITTED,
        )
    if row["status"] != ChargebackStatus.OPEN.value:
        raise Conflict(
            N_("This chargeback is decided; it takes no more evidence."),
            code=ProblemCode.CHARGEBACK_CLOSED,
        )
    if uow.clock.now() > row["evidence_due_at"]:
        raise Conflict(
            N_("The deadline for evidence on this chargeback has passed."),
            code=ProblemCode.EVIDENCE_DEADLINE_PASSED,
        )


@use_case
def get_chargeback(uow: UnitOfWork, principal: Principal, chargeback_id: str) -> dict[str, Any]:
    """One chargeback with its parts: operators see all, a seller those with its orders."""
    require_role(principal, Role.OPERATOR, Role.SELLER)
    found = uow.conn.execute(select(chargebacks).where(chargebacks.c.id == chargeback_id)).first()
    parts = parts_of(uow, [chargeback_id]).get(chargeback_id, [])
    owners = [p["seller_account_id"] for p in parts]
    if found is not None and principal.role is Role.OPERATOR:
        owners.append(principal.account_id)
    ensure_visible(principal, owners if found is not None else [], "chargeback")
    assert found is not None
    return _shown(principal, dict(found._mapping), parts)


def _shown(
    principal: Principal, row: dict[str, Any], parts: list[dict[str, Any]]
) -> dict[str, Any]:
    """A seller sees its own parts of a chargeback only (not other sellers' orders)."""
    if principal.role is not Role.OPERATOR:
        parts = [p for p in parts if p["seller_account_id"] == principal.account_id]
    return {**row, "parts": parts}


@use_case
def list_chargebacks(
    uow: UnitOfWork,
    principal: Principal,
    *,
    status: str | None,
    limit: int,
    after: str | None,
) -> list[dict[str, Any]]:
    """Newest id last, paged by id; a seller's list holds the chargebacks on its orders."""
    require_role(principal, Role.OPERATOR, Role.SELLER)
    query = select(chargebacks).order_by(chargebacks.c.id).limit(min(limit, MAX_PAGE))
    if principal.role is not Role.OPERATOR:
        mine = select(chargeback_parts.c.chargeback_id).where(
            chargeback_parts.c.seller_account_id == principal.account_id
        )
        query = query.where(chargebacks.c.id.in_(mine))
    if status is not None:
        query = query.where(chargebacks.c.status == status)
    if after is not None:
        query = query.where(chargebacks.c.id > after)
    rows = [dict(r._mapping) for r in uow.conn.execute(query)]
    parts = parts_of(uow, [r["id"] for r in rows])
    return [_shown(principal, row, parts.get(row["id"], [])) for row in rows]
