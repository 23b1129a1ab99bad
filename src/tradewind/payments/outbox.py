"""The outbox of calls to the processor: decided in our transaction, made after it commits.

A use case that must capture, refund or pay out calls :func:`enqueue` inside its unit of
work: one ``processor_intents`` row, ``pending``, keyed by the idempotency key the processor
will see. Nothing is sent until that transaction commits, so a rollback never leaves the
processor having moved money we have no record of. :func:`send_due` (the worker each poll,
and the webhook route right after its commit) then, per due intent:

1. claims an attempt in a transaction of its own (``attempts + 1``, next try after a backoff),
   so a crash from here on is retried, never forgotten;
2. calls the processor with the intent's key (no transaction held): a repeat of a call the
   processor already made answers the first answer again, so a retry never moves money twice;
3. settles the intent with the answer in a new transaction (:func:`settle`).

:func:`settle` is also what a webhook calls when it reports the same outcome: the
``pending -> succeeded | refused`` move is one conditional UPDATE, so whichever of the answer
and the webhook comes first applies the outcome and the other changes nothing.

Crash points (``kernel.failpoints``): ``outbox.before_call`` (after our commit and the
attempt's claim, before the processor hears of it) and ``outbox.after_call`` (the processor
did it, the answer is lost). Both are recovered by the next :func:`send_due` once the
backoff has passed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from tradewind.db.sql import insert_ignoring_conflicts
from tradewind.db.tables.payments import payments, processor_intents
from tradewind.db.uow import UnitOfWork, UnitOfWorkFactory
from tradewind.kernel.failpoints import failpoint
from tradewind.kernel.ids import new_id
from tradewind.money.amount import Money
from tradewind.payments.ports import PaymentProvider, ProviderAnswer

log = logging.getLogger(__name__)

CAPTURE, REFUND, PAYOUT, EVIDENCE = "capture", "refund", "payout", "evidence"
PENDING, SUCCEEDED, REFUSED = "pending", "succeeded", "refused"
FIRST_RETRY_S = 2
MAX_RETRY_S = 3600

# What an answer does beyond settling the intent, per kind. Payments' own are
# ANSWER_HANDLERS; the composition root adds escrow's payout handler (escrow sits above).
AnswerHandler = Callable[[UnitOfWork, dict[str, Any], ProviderAnswer], None]


def enqueue(
    uow: UnitOfWork,
    provider: PaymentProvider,
    kind: str,
    idempotency_key: str,
    *,
    amount: Money,
    subject_id: str,
    provider_payment_id: str | None = None,
    payload: Mapping[str, Any] | None = None,
) -> bool:
    """Record a call to make after this transaction commits; False if the key is recorded.
    ``payload`` is what the call sends beyond an amount (a chargeback's evidence)."""
    now = uow.clock.now()
    return bool(
        insert_ignoring_conflicts(
            uow.conn,
            processor_intents,
            {
                "id": new_id("pint"),
                "provider": provider.name,
                "kind": kind,
                "idempotency_key": idempotency_key,
                "provider_payment_id": provider_payment_id,
                "subject_id": subject_id,
                "amount_minor": amount.amount_minor,
                "currency": amount.currency,
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "processor_ref": None,
                "last_error": None,
                "created_at": now,
                "settled_at": None,
                "payload": dict(payload) if payload is not None else None,
            },
        )
    )


def send_due(
    uow_factory: UnitOfWorkFactory,
    provider: PaymentProvider,
    handlers: Mapping[str, AnswerHandler] | None = None,
    *,
    limit: int = 100,
    retry_now: bool = False,
) -> int:
    """Make every due pending call (see the module docstring); returns the intents settled.
    ``retry_now`` also takes those still waiting out a backoff (safe: the key dedupes)."""
    now = uow_factory.clock.now()
    query = (
        select(processor_intents)
        .where(
            processor_intents.c.status == PENDING,
            processor_intents.c.provider == provider.name,
        )
        .order_by(processor_intents.c.next_attempt_at, processor_intents.c.id)
        .limit(limit)
    )
    if not retry_now:
        query = query.where(processor_intents.c.next_attempt_at <= now)
    with uow_factory(read_only=True) as uow:
        due = [dict(r._mapping) for r in uow.conn.execute(query)]
    return sum(_send(uow_factory, provider, handlers, intent) for intent in due)


def _send(
    uow_factory: UnitOfWorkFactory,
    provider: PaymentProvider,
    handlers: Mapping[str, AnswerHandler] | None,
    intent: dict[str, Any],
) -> bool:
    if not _claim_attempt(uow_factory, intent):
        return False  # another worker took this attempt
    failpoint("outbox.before_call")
    try:
        answer = _call(provider, intent)
    except Exception as exc:  # noqa: BLE001 - a timeout or 503: retried under the same key
        log.warning("processor call failed", extra={"intent": intent["id"], "error": str(exc)})
        with uow_factory() as uow:
            uow.conn.execute(
                update(processor_intents)
                .where(processor_intents.c.id == intent["id"])
                .values(last_error=f"{type(exc).__name__}: {exc}"[:500])
            )
            uow.commit()
        return False
    failpoint("outbox.after_call")
    with uow_factory() as uow:
        settled = settle(uow, intent["idempotency_key"], answer, handlers)
        uow.commit()
    return settled


def _claim_attempt(uow_factory: UnitOfWorkFactory, intent: dict[str, Any]) -> bool:
    backoff = min(MAX_RETRY_S, FIRST_RETRY_S * 2 ** intent["attempts"])
    with uow_factory() as uow:
        claimed = uow.conn.execute(
            update(processor_intents)
            .where(
                processor_intents.c.id == intent["id"],
                processor_intents.c.status == PENDING,
                processor_intents.c.attempts == intent["attempts"],
            )
            .values(
                attempts=intent["attempts"] + 1,
                next_attempt_at=uow.clock.now() + timedelta(seconds=backoff),
            )
        ).rowcount
        uow.commit()
    return bool(claimed)


def _call(provider: PaymentProvider, intent: dict[str, Any]) -> ProviderAnswer:
    amount = Money(intent["amount_minor"], intent["currency"])
    key = intent["idempotency_key"]
    if intent["kind"] == CAPTURE:
        return provider.capture(intent["provider_payment_id"], amount, key)
    if intent["kind"] == REFUND:
        return provider.refund(intent["provider_payment_id"], amount, key)
    if intent["kind"] == EVIDENCE:
        evidence = str((intent["payload"] or {}).get("evidence", ""))
        return provider.submit_chargeback_evidence(intent["provider_payment_id"], evidence, key)
    return provider.payout(intent["subject_id"], amount, key)


def settle(
    uow: UnitOfWork,
    idempotency_key: str,
    answer: ProviderAnswer,
    handlers: Mapping[str, AnswerHandler] | None = None,
) -> bool:
    """Apply the processor's answer to an intent, exactly once; False if already settled."""
    status = SUCCEEDED if answer.outcome == "succeeded" else REFUSED
    moved = uow.conn.execute(
        update(processor_intents)
        .where(
            processor_intents.c.idempotency_key == idempotency_key,
            processor_intents.c.status == PENDING,
        )
        .values(
            status=status,
            processor_ref=answer.processor_ref,
            last_error=answer.reason,
            settled_at=uow.clock.now(),
        )
    ).rowcount
    if not moved:
        return False
    intent = dict(
        uow.conn.execute(
            select(processor_intents).where(processor_intents.c.idempotency_key == idempotency_key)
        )
        .one()
        ._mapping
    )
    if status == REFUSED:
        log.warning(
            "processor refused a call", extra={"intent": intent["id"], "why": answer.reason}
        )
    handler = (ANSWER_HANDLERS if handlers is None else handlers).get(intent["kind"])
    if handler is not None:
        handler(uow, intent, answer)
    return True


def _on_capture_answer(uow: UnitOfWork, intent: dict[str, Any], answer: ProviderAnswer) -> None:
    """A refused capture fails the payment (the checkout's payment timeout ends it); a
    successful one is booked when the processor's ``payment.captured`` event says how much."""
    if answer.outcome == "refused":
        uow.conn.execute(
            update(payments)
            .where(
                payments.c.provider_payment_id == intent["provider_payment_id"],
                payments.c.status == "capture_requested",
            )
            .values(status="failed", updated_at=uow.clock.now())
        )


ANSWER_HANDLERS: dict[str, AnswerHandler] = {CAPTURE: _on_capture_answer}


def intents(uow: UnitOfWork, *, status: str | None = None) -> list[dict[str, Any]]:
    """Every intent (optionally of one status), oldest first: for operators and checks."""
    query = select(processor_intents).order_by(
        processor_intents.c.created_at, processor_intents.c.id
    )
    if status is not None:
        query = query.where(processor_intents.c.status == status)
    return [dict(r._mapping) for r in uow.conn.execute(query)]
