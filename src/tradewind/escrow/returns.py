"""Payouts the bank returns: accepted, paid, and sent back days later (a closed or wrong
account), as real SEPA and ACH returns are.

The processor says so twice, in any order and possibly more than once: a signed
``payout.returned`` webhook (:func:`on_payout_returned_event`) and a ``payout_return`` row of
its settlement report (:func:`apply_report_rows`, run by reconciliation before matching).
Each carries our payout's request key, the amount that came back and an ISO 20022 reason
code (``AC04``: account closed). Whichever arrives first applies the return, exactly once
(``payout_returns`` is unique per payout); the other changes nothing:

- the ledger reverses the payout: Dr ``psp:clearing:C`` / Cr ``seller:{id}:payable``, key
  ``payout-returned:{request key}``, ``processor_ref`` ``payout_return:{request key}`` (what
  reconciliation matches the report row against), so the money is the seller's again;
- the payout row moves to ``returned`` (from ``paid``, or from ``requested`` when the
  processor's answer to the call is still to come: the late answer then changes nothing);
- the destination it went to is flagged (:func:`tradewind.escrow.destinations.flags`): the
  seller's next payout waits until the seller sets a destination again;
- the seller is notified, in its language when read.

A return that does not fit its payout (another currency, more than was paid, a payout never
paid or refused) is not applied: reconciliation shows its report row as missing on our side.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from tradewind.catalog.service import seller_terms
from tradewind.db.sql import insert_ignoring_conflicts
from tradewind.db.tables.escrow import payout_returns, payouts
from tradewind.db.uow import UnitOfWork
from tradewind.kernel.i18n import N_
from tradewind.kernel.ids import new_id
from tradewind.ledger import domain as ledger
from tradewind.ledger.service import post
from tradewind.money.amount import Money
from tradewind.notifications.service import notify
from tradewind.payments.events import WebhookEvent, return_code_ok
from tradewind.payments.ports import PaymentProvider, SettlementRow

log = logging.getLogger(__name__)

WEBHOOK, REPORT = "webhook", "report"
REPORT_ROW_TYPE = "payout_return"
RETURNABLE = ("requested", "paid")
RETURNED = "returned"


@dataclass(frozen=True, slots=True)
class PayoutReturn:
    """One report of a returned payout, from either source."""

    request_key: str
    amount: Money
    reason_code: str
    provider_return_id: str
    source: str


def on_payout_returned_event(
    uow: UnitOfWork, _provider: PaymentProvider, _payment: dict[str, Any], event: WebhookEvent
) -> None:
    """A ``payout.returned`` webhook (every field already checked by ``parse_event``)."""
    if event.request_key is None or event.return_code is None or event.return_id is None:
        raise ValueError(f"a {event.kind} event carries no payout return")
    apply_return(
        uow,
        PayoutReturn(event.request_key, event.amount, event.return_code, event.return_id, WEBHOOK),
    )


def apply_report_rows(uow: UnitOfWork, rows: Sequence[SettlementRow]) -> int:
    """Apply the ``payout_return`` rows of a settlement report; returns how many were new. A
    row whose reason code or amount is malformed is not applied (reconciliation queues it)."""
    applied = 0
    for row in rows:
        if row.type != REPORT_ROW_TYPE:
            continue
        if not return_code_ok(row.reason_code) or row.amount.amount_minor <= 0:
            log.warning("malformed payout return in the report", extra={"row": row.row_id})
            continue
        assert row.reason_code is not None
        found = PayoutReturn(row.reference, row.amount, row.reason_code, row.row_id, REPORT)
        applied += apply_return(uow, found)
    return applied


def apply_return(uow: UnitOfWork, found: PayoutReturn) -> bool:
    """Apply one return exactly once (see the module docstring); False if it was already
    applied or does not fit its payout."""
    payout = uow.conn.execute(
        select(payouts).where(payouts.c.batch_key == found.request_key)
    ).first()
    if payout is None or not _fits(payout._mapping, found.amount):
        log.warning("a payout return that fits no payout", extra={"key": found.request_key})
        return False
    fresh = insert_ignoring_conflicts(
        uow.conn,
        payout_returns,
        {
            "id": new_id("pret"),
            "payout_id": payout.id,
            "seller_id": payout.seller_id,
            "destination_id": payout.destination_id,
            "reason_code": found.reason_code,
            "amount_minor": found.amount.amount_minor,
            "currency": found.amount.currency,
            "provider_return_id": found.provider_return_id,
            "source": found.source,
            "created_at": uow.clock.now(),
        },
    )
    if not fresh:
        return False  # the other report of it came first
    uow.conn.execute(
        update(payouts)
        .where(payouts.c.id == payout.id, payouts.c.status.in_(RETURNABLE))
        .values(status=RETURNED)
    )
    _reverse(uow, payout.seller_id, found)
    _tell_seller(uow, payout.seller_id, found)
    return True


def _fits(payout: Any, amount: Money) -> bool:
    return (
        payout["status"] in (*RETURNABLE, RETURNED)
        and payout["currency"] == amount.currency
        and 0 < amount.amount_minor <= payout["amount_minor"]
    )


def _reverse(uow: UnitOfWork, seller_id: str, found: PayoutReturn) -> None:
    key = found.request_key
    back = ledger.LedgerTransaction(
        f"payout-returned:{key}",
        "payout_returned",
        (
            ledger.debit(ledger.psp_clearing(found.amount.currency), found.amount),
            ledger.credit(ledger.seller_payable(seller_id), found.amount),
        ),
        f"payout {key} returned by the bank ({found.reason_code}): {found.amount} back to "
        f"seller {seller_id}"[: ledger.MAX_MEMO_LEN],
    )
    post(uow, back, seller_id=seller_id, processor_ref=f"{REPORT_ROW_TYPE}:{key}")


def _tell_seller(uow: UnitOfWork, seller_id: str, found: PayoutReturn) -> None:
    terms = seller_terms(uow, [seller_id]).get(seller_id)
    if terms is None:
        return
    notify(
        uow,
        [terms.account_id],
        "payout_returned",
        N_(
            "Your bank sent back a payout of %(amount)s (reason %(code)s). Payouts wait until "
            "you set your bank account again on the payouts page."
        ),
        {"amount": str(found.amount), "code": found.reason_code},
    )


def returns_of(uow: UnitOfWork, payout_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The return of each payout in ``payout_ids`` that came back (others are absent)."""
    if not payout_ids:
        return {}
    rows = uow.conn.execute(
        select(payout_returns).where(payout_returns.c.payout_id.in_(set(payout_ids)))
    )
    return {r.payout_id: dict(r._mapping) for r in rows}
