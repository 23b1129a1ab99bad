"""Payouts: per seller and currency, batched by the worker, netting what the seller owes.

A payout batch is keyed by (seller, currency, batch date): running the batch twice on one day
pays nothing twice. Below the minimum nothing is paid and the balance waits for the next batch.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from tradewind.db.sql import insert_ignoring_conflicts
from tradewind.db.tables.catalog import sellers
from tradewind.db.tables.escrow import payouts
from tradewind.db.tables.ledger import ledger_accounts
from tradewind.db.tables.ordering import orders
from tradewind.db.uow import UnitOfWork
from tradewind.kernel.ids import new_id
from tradewind.ledger import domain as ledger
from tradewind.ledger.domain import LedgerKeyReused
from tradewind.ledger.service import balances, post
from tradewind.money.amount import Money
from tradewind.money.rounding import round_to_minor
from tradewind.timers.service import schedule

PAYOUT_BATCH_KIND = "payouts.batch"


def run_payouts(uow: UnitOfWork, *, minimum_major: str, batch_key: str) -> list[dict[str, Any]]:
    """Pay every seller whose available balance (payable minus receivable) reaches the minimum."""
    made = []
    seller_rows = uow.conn.execute(select(sellers.c.id, sellers.c.currency)).all()
    for seller in seller_rows:
        payable_name = ledger.seller_payable(seller.id)
        receivable_name = ledger.seller_receivable(seller.id)
        currency = uow.conn.scalar(
            select(ledger_accounts.c.currency).where(ledger_accounts.c.name == payable_name)
        )
        if currency is None:
            continue
        found = balances(uow, [payable_name, receivable_name])
        owed_to_seller = max(0, -found[payable_name])
        owed_by_seller = max(0, found[receivable_name])
        minimum = round_to_minor(Decimal(minimum_major), currency)
        plan = ledger.net_payout(
            Money(owed_to_seller, currency), Money(owed_by_seller, currency), minimum
        )
        key = f"payout:{seller.id}:{currency}:{batch_key}"
        tx = ledger.settle_payout(seller.id, plan, key)
        if tx is None:
            continue
        try:
            posted = post(uow, tx, seller_id=seller.id)
        except LedgerKeyReused:
            # This batch already settled this seller, and the balances moved since (a release
            # after the first run): the rest waits for the next batch. The refused post wrote
            # nothing, so carrying on is safe.
            continue
        if not posted.created:
            continue  # this batch already paid this seller
        row = {
            "id": new_id("po"),
            "seller_id": seller.id,
            "currency": currency,
            "amount_minor": plan.pay.amount_minor,
            "netted_minor": plan.net.amount_minor,
            "status": "paid",
            "batch_key": key,
            "created_at": uow.clock.now(),
        }
        insert_ignoring_conflicts(uow.conn, payouts, row)
        made.append(row)
    return made


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


def payout_batch(uow: UnitOfWork, minimum_major: str, payload: Mapping[str, Any]) -> None:
    run_payouts(uow, minimum_major=minimum_major, batch_key=str(payload["batch"]))
    schedule_daily_batch(uow, uow.clock.now())


def seller_balances(uow: UnitOfWork, seller_id: str) -> dict[str, Any]:
    """What the seller center shows: held in escrow, available, paid out, owed."""
    currency = uow.conn.scalar(select(sellers.c.currency).where(sellers.c.id == seller_id))
    held = int(
        uow.conn.scalar(
            select(
                func.coalesce(
                    func.sum(orders.c.seller_items_minor + orders.c.seller_shipping_minor), 0
                )
            ).where(
                orders.c.seller_id == seller_id,
                orders.c.status.in_(["AWAITING_SHIPMENT", "AWAITING_RECEIPT", "IN_DISPUTE"]),
            )
        )
        or 0
    )
    found = balances(uow, [ledger.seller_payable(seller_id), ledger.seller_receivable(seller_id)])
    paid = int(
        uow.conn.scalar(
            select(func.coalesce(func.sum(payouts.c.amount_minor), 0)).where(
                payouts.c.seller_id == seller_id
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
    uow: UnitOfWork, seller_id: str | None, *, limit: int, after: str | None
) -> list[dict[str, Any]]:
    query = select(payouts).order_by(payouts.c.id).limit(limit)
    if seller_id:
        query = query.where(payouts.c.seller_id == seller_id)
    if after:
        query = query.where(payouts.c.id > after)
    return [dict(r._mapping) for r in uow.conn.execute(query)]
