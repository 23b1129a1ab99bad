"""Payouts: per seller and currency, batched by the worker, netting what the seller owes.

A payout batch is keyed by (seller, currency, batch date): running the batch twice on one day
pays nothing twice. Below the minimum nothing is paid and the balance waits for the next batch.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update

from tradewind.audit import service as audit
from tradewind.catalog.service import SellerTerms, seller_currencies, seller_terms
from tradewind.db.sql import insert_ignoring_conflicts
from tradewind.db.tables.escrow import payout_returns, payouts
from tradewind.db.uow import UnitOfWork, use_case
from tradewind.escrow import destinations, payout_queue
from tradewind.escrow.returns import returns_of
from tradewind.identity.domain import Permission, Principal, Role, require_permission, require_role
from tradewind.kernel.errors import Conflict, NotFound
from tradewind.kernel.i18n import N_
from tradewind.kernel.ids import new_id
from tradewind.kernel.problems import ProblemCode
from tradewind.ledger import domain as ledger
from tradewind.ledger.domain import LedgerKeyReused
from tradewind.ledger.service import account_currency, balances, post
from tradewind.money.amount import Money
from tradewind.money.rounding import round_to_minor
from tradewind.ordering.domain import OrderStatus
from tradewind.ordering.orders import seller_goods_minor
from tradewind.payments import outbox
from tradewind.payments.ports import PaymentProvider, ProviderAnswer
from tradewind.risk.domain import EventKind, RiskEvent
from tradewind.risk.service import payout_restrictions
from tradewind.timers.service import schedule

PAYOUT_BATCH_KIND = "payouts.batch"
HOLDING = (OrderStatus.AWAITING_SHIPMENT, OrderStatus.AWAITING_RECEIPT, OrderStatus.IN_DISPUTE)


@use_case
def run_batch(
    uow: UnitOfWork,
    principal: Principal,
    provider: PaymentProvider,
    *,
    minimum_major: str,
    batch_key: str,
    reason: str | None = None,
) -> list[dict[str, Any]]:
    """An operator runs a named payout batch now (re-running one name pays nobody twice);
    written to the audit log with what it paid."""
    require_role(principal, Role.OPERATOR)
    made = run_payouts(uow, provider, minimum_major=minimum_major, batch_key=batch_key)
    audit.record(
        uow,
        actor_id=principal.account_id,
        action="payouts.run",
        subject_kind="payout_batch",
        subject_id=batch_key[:40],
        reason=reason or audit.NO_REASON,
        detail={"payouts": len(made)},
    )
    return made


def run_payouts(
    uow: UnitOfWork,
    provider: PaymentProvider,
    *,
    minimum_major: str,
    batch_key: str,
    only: Collection[str] | None = None,
) -> list[dict[str, Any]]:
    """Pay every seller whose available balance (payable minus receivable) reaches the minimum,
    unless its payout destination is flagged by a returned payout (``escrow.returns``).

    The ledger books the payout now; the processor is asked after commit (an outbox intent
    under the batch key), and the payout row moves ``requested -> paid`` (or ``refused``) when
    it answers (:func:`on_payout_answer`). ``only``: these sellers alone (tests, a retry)."""
    made = []
    sellers = [s for s in seller_currencies(uow) if only is None or s in only]
    terms = seller_terms(uow, sellers)
    flagged = destinations.flags(uow)
    in_use = destinations.current_ids(uow)
    held = payout_queue.held_ids(uow)
    for seller_id in sellers:
        if seller_id in flagged:
            continue  # a payout came back from this destination: the seller must set it again
        if seller_id in held:
            continue  # an operator holds this shop's payouts until released
        terms_of, destination = terms.get(seller_id), in_use.get(seller_id)
        row = _pay_seller(uow, provider, seller_id, terms_of, minimum_major, batch_key, destination)
        if row is not None:
            made.append(row)
    return made


def _pay_seller(
    uow: UnitOfWork,
    provider: PaymentProvider,
    seller_id: str,
    terms: SellerTerms | None,
    minimum_major: str,
    batch_key: str,
    destination_id: str | None,
) -> dict[str, Any] | None:
    """Pay one shop what it is owed under ``batch_key`` (once), or None when nothing is paid."""
    payable_name = ledger.seller_payable(seller_id)
    receivable_name = ledger.seller_receivable(seller_id)
    currency = account_currency(uow, payable_name)
    if currency is None:
        return None
    found = balances(uow, [payable_name, receivable_name])
    owed_to_seller = max(0, -found[payable_name])
    owed_by_seller = max(0, found[receivable_name])
    minimum = round_to_minor(Decimal(minimum_major), currency)
    if terms is not None and terms.quality_level == "paused":
        return None  # the quality rules hold this shop's payouts until an operator decides
    account = terms.account_id if terms is not None else seller_id
    reserve_bps = _risk_reserve_bps(uow, account, Money(owed_to_seller, currency))
    if reserve_bps is None:
        return None  # risk holds this seller's payouts until an operator decides
    kept = owed_to_seller * reserve_bps // 10_000
    plan = ledger.net_payout(
        Money(owed_to_seller - kept, currency), Money(owed_by_seller, currency), minimum
    )
    key = f"payout:{seller_id}:{currency}:{batch_key}"
    tx = ledger.settle_payout(seller_id, plan, key)
    if tx is None:
        return None
    try:
        posted = post(uow, tx, seller_id=seller_id, processor_ref=f"payout:{key}")
    except LedgerKeyReused:
        # This batch already settled this seller, and the balances moved since (a release
        # after the first run): the rest waits for the next batch. The refused post wrote
        # nothing, so carrying on is safe.
        return None
    if not posted.created:
        return None  # this batch already paid this seller
    row = {
        "id": new_id("po"),
        "seller_id": seller_id,
        "currency": currency,
        "amount_minor": plan.pay.amount_minor,
        "netted_minor": plan.net.amount_minor,
        "status": "requested",
        "batch_key": key,
        "created_at": uow.clock.now(),
        "destination_id": destination_id,
    }
    insert_ignoring_conflicts(uow.conn, payouts, row)
    if plan.pay.amount_minor:
        outbox.enqueue(uow, provider, outbox.PAYOUT, key, amount=plan.pay, subject_id=seller_id)
    return row


def retry_payout(
    uow: UnitOfWork, principal: Principal, provider: PaymentProvider, payout_id: str, reason: str
) -> dict[str, Any]:
    """Pay a failed payout again now: its refusal gave the money back to the shop's balance, so
    this pays what the shop is owed (that money included) as a payout of its own, booked by the
    ledger under ``retry-<payout id>`` and asked of the processor after commit. Retrying one
    already retried answers the payout it made, and pays nothing twice."""
    require_permission(principal, Permission.PAYOUTS)
    failed = uow.conn.execute(select(payouts).where(payouts.c.id == payout_id)).first()
    if failed is None:
        raise NotFound("payout not found", code=ProblemCode.NOT_FOUND)
    batch_key = f"retry-{payout_id}"
    key = f"payout:{failed.seller_id}:{failed.currency}:{batch_key}"
    if failed.status == payout_queue.RETRIED:
        again = uow.conn.execute(select(payouts).where(payouts.c.batch_key == key)).first()
        if again is not None:
            return dict(again._mapping)
    if failed.status != payout_queue.FAILED:
        raise Conflict(
            N_("Only a failed payout can be retried."), code=ProblemCode.PAYOUT_NOT_FAILED
        )
    shop = [failed.seller_id]
    if payout_queue.held_ids(uow, shop) or destinations.flags(uow, shop):
        raise Conflict(
            N_("This shop's payouts are held: release them first."), code=ProblemCode.PAYOUTS_HELD
        )
    terms = seller_terms(uow, [failed.seller_id]).get(failed.seller_id)
    destination = destinations.current_ids(uow, shop).get(failed.seller_id)
    row = _pay_seller(uow, provider, failed.seller_id, terms, "0", batch_key, destination)
    if row is None:
        raise Conflict(
            N_(
                "Nothing can be paid to this shop now: its payouts are held or its balance is "
                "spent."
            ),
            code=ProblemCode.NOTHING_TO_PAY,
        )
    uow.conn.execute(
        update(payouts)
        .where(payouts.c.id == payout_id, payouts.c.status == payout_queue.FAILED)
        .values(status=payout_queue.RETRIED)
    )
    audit.record(
        uow,
        actor_id=principal.account_id,
        action="payouts.retry",
        subject_kind="payout",
        subject_id=payout_id,
        reason=reason,
        detail={"payout": row["id"], "amount_minor": row["amount_minor"]},
    )
    return row


def _risk_reserve_bps(uow: UnitOfWork, account_id: str, owed: Money) -> int | None:
    """Tell risk a payout is about to be made (it may open a case); None when payouts are
    held, else the share kept back by a rolling reserve, in basis points."""
    if owed.amount_minor <= 0:
        return 0
    uow.publish(
        RiskEvent(
            EventKind.PAYOUT,
            uow.clock.now(),
            account_id,
            seller_id=account_id,
            amount_minor=owed.amount_minor,
            currency=owed.currency,
        )
    )
    restriction = payout_restrictions(uow, [account_id]).get(account_id)
    if restriction is None:
        return 0
    return None if restriction.held else restriction.reserve_bps


def on_payout_answer(uow: UnitOfWork, intent: Mapping[str, Any], answer: ProviderAnswer) -> None:
    """The processor answered a payout: ``requested -> paid`` or ``refused``. A refused one
    gives the money back to the seller's balance (Dr ``psp:clearing:S`` / Cr payable, under the
    payout's ``processor_ref``, so the movement nets to nothing and reconciliation expects no
    row); the next batch pays it again."""
    status = "paid" if answer.outcome == "succeeded" else "refused"
    key = str(intent["idempotency_key"])
    moved = uow.conn.execute(
        update(payouts)
        .where(payouts.c.batch_key == key, payouts.c.status == "requested")
        .values(status=status)
    ).rowcount
    if not moved or status == "paid":
        return
    seller_id = str(intent["subject_id"])
    amount = Money(intent["amount_minor"], intent["currency"])
    returned = ledger.LedgerTransaction(
        f"payout-refused:{key}",
        "payout_refused",
        (
            ledger.debit(ledger.psp_clearing(amount.currency), amount),
            ledger.credit(ledger.seller_payable(seller_id), amount),
        ),
        f"payout {key} refused by the processor: {amount} back to seller {seller_id}",
    )
    post(uow, returned, seller_id=seller_id, processor_ref=f"payout:{key}")


def schedule_daily_batch(uow: UnitOfWork, now: datetime) -> None:
    """Keep exactly one pending payout batch timer for the next day boundary (UTC)."""
    tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    schedule(
        uow,
        kind=PAYOUT_BATCH_KIND,
        dedupe_key=f"{PAYOUT_BATCH_KIND}:{tomorrow.date()}",
        due_at=tomorrow,
        payload={"batch": str(tomorrow.date())},
    )


def payout_batch(
    uow: UnitOfWork, provider: PaymentProvider, minimum_major: str, payload: Mapping[str, Any]
) -> None:
    run_payouts(uow, provider, minimum_major=minimum_major, batch_key=str(payload["batch"]))
    schedule_daily_batch(uow, uow.clock.now())


def seller_balances(uow: UnitOfWork, seller_id: str) -> dict[str, Any]:
    """What the seller center shows: held in escrow, available, paid out, owed."""
    terms = seller_terms(uow, [seller_id]).get(seller_id)
    currency = terms.currency if terms else None
    held = seller_goods_minor(uow, seller_id, HOLDING)
    found = balances(uow, [ledger.seller_payable(seller_id), ledger.seller_receivable(seller_id)])
    paid = int(
        uow.conn.scalar(
            select(func.coalesce(func.sum(payouts.c.amount_minor), 0)).where(
                payouts.c.seller_id == seller_id,
                payouts.c.status.not_in((payout_queue.FAILED, payout_queue.RETRIED)),
            )
        )
        or 0
    ) - int(
        uow.conn.scalar(
            select(func.coalesce(func.sum(payout_returns.c.amount_minor), 0)).where(
                payout_returns.c.seller_id == seller_id
            )
        )
        or 0
    )
    return {
        "currency": currency,
        "held_in_escrow_minor": held,
        "available_minor": max(0, -found[ledger.seller_payable(seller_id)]),
        "paid_out_minor": paid,
        "owed_minor": max(0, found[ledger.seller_receivable(seller_id)]),
    }


def list_payouts(
    uow: UnitOfWork,
    seller_id: str | None,
    *,
    limit: int,
    after: str | None,
    newest_first: bool = False,
) -> list[dict[str, Any]]:
    """Payouts in id order (or newest first), each with its return (``returned``: the
    ``payout_returns`` row, or None)."""
    order = payouts.c.id.desc() if newest_first else payouts.c.id
    query = select(payouts).order_by(order).limit(limit)
    if seller_id:
        query = query.where(payouts.c.seller_id == seller_id)
    if after:
        query = query.where(payouts.c.id < after if newest_first else payouts.c.id > after)
    rows = [dict(r._mapping) for r in uow.conn.execute(query)]
    came_back = returns_of(uow, [r["id"] for r in rows if r["status"] == "returned"])
    return [{**r, "returned": came_back.get(r["id"])} for r in rows]


HELD_DESTINATION, HELD_QUALITY, HELD_RISK = "destination_returned", "quality_paused", "risk_held"


def held_because(uow: UnitOfWork, seller_id: str) -> list[str]:
    """Why the next batch would skip this seller, as the batch decides it (none: it pays
    what is available): a destination flagged by a return, the shop paused by the quality
    rules, or payouts held by a risk case."""
    reasons = []
    if seller_id in destinations.flags(uow, [seller_id]):
        reasons.append(HELD_DESTINATION)
    terms = seller_terms(uow, [seller_id]).get(seller_id)
    if terms is not None and terms.quality_level == "paused":
        reasons.append(HELD_QUALITY)
    account = terms.account_id if terms else seller_id
    restriction = payout_restrictions(uow, [account]).get(account)
    if restriction is not None and restriction.held:
        reasons.append(HELD_RISK)
    return reasons


def payout_of_seller(uow: UnitOfWork, seller_id: str, payout_id: str) -> dict[str, Any] | None:
    """One of the seller's payouts with its return (None if it is not this seller's)."""
    row = uow.conn.execute(
        select(payouts).where(payouts.c.id == payout_id, payouts.c.seller_id == seller_id)
    ).first()
    if row is None:
        return None
    return {**row._mapping, "returned": returns_of(uow, [payout_id]).get(payout_id)}


def payout_key(uow: UnitOfWork, payout_id: str) -> str:
    """The request key a payout was made under (what the processor knows it by)."""
    key = uow.conn.scalar(select(payouts.c.batch_key).where(payouts.c.id == payout_id))
    if key is None:
        raise NotFound("payout not found")
    return str(key)
