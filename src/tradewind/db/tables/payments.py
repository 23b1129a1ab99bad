"""Payments as Tradewind sees them, and the sandbox processor's own state.

Tradewind's tables never hold card data. The ``sandbox_psp_*`` tables belong to the built-in
sandbox processor, which stands in for an external company; they keep only a card's last four
digits, as a real processor's dashboard would show.
"""

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from tradewind.db.tables.base import ID_LEN, metadata
from tradewind.db.types import UtcDateTime

payments = Table(
    "payments",
    metadata,
    Column("id", String(ID_LEN), primary_key=True),
    Column("checkout_id", String(ID_LEN), nullable=False, unique=True),
    Column("buyer_id", String(ID_LEN), nullable=False, index=True),
    Column("provider", String(32), nullable=False),
    Column("provider_payment_id", String(100), nullable=False, unique=True),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(24), nullable=False),
    Column("captured_minor", BigInteger, nullable=False),
    Column("refunded_minor", BigInteger, nullable=False),
    Column("redirect_url", String(500), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

refunds = Table(
    "refunds",
    metadata,
    Column("id", String(ID_LEN), primary_key=True),
    Column("payment_id", String(ID_LEN), nullable=False, index=True),
    Column("order_id", String(ID_LEN), nullable=False, index=True),
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reason", String(200), nullable=False),
    Column("after_release", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

webhook_events = Table(
    "webhook_events",
    metadata,
    # The provider's event id: a duplicate delivery hits this key and changes nothing.
    Column("event_id", String(100), primary_key=True),
    Column("provider", String(32), nullable=False),
    Column("type", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
)

sandbox_psp_payments = Table(
    "sandbox_psp_payments",
    metadata,
    Column("id", String(ID_LEN), primary_key=True),
    Column("merchant_reference", String(100), nullable=False, index=True),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(24), nullable=False),
    Column("card_last4", String(4), nullable=True),
    Column("captured_minor", BigInteger, nullable=False),
    Column("refunded_minor", BigInteger, nullable=False),
    Column("return_url", String(500), nullable=False),
    Column("webhook_url", String(500), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

sandbox_psp_requests = Table(
    "sandbox_psp_requests",
    metadata,
    # The processor's own idempotency: a retried capture or refund returns the first result.
    Column("idempotency_key", String(200), primary_key=True),
    Column("result", JSON, nullable=False),
)

sandbox_psp_events = Table(
    "sandbox_psp_events",
    metadata,
    Column("id", String(ID_LEN), primary_key=True),
    # The payment the event is about; None for a payout's event, which goes to `webhook_url`.
    Column("payment_id", String(ID_LEN), nullable=True),
    Column("webhook_url", String(500), nullable=True),
    Column("type", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    # Outbox state: delivered at least `deliveries_wanted` times (2 for a deliberate duplicate),
    # next attempt at `due_at` (jittered, so events can arrive out of order).
    Column("due_at", UtcDateTime(), nullable=False),
    Column("deliveries_wanted", Integer, nullable=False),
    Column("deliveries_done", Integer, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Index("ix_sandbox_psp_events_payment", "payment_id"),
    Index("ix_sandbox_psp_events_due", "deliveries_done", "due_at"),
)

payment_mismatches = Table(
    "payment_mismatches",
    metadata,
    # A capture the processor reported that does not match what Tradewind asked for (short,
    # another currency, more than authorized): held for an operator, never booked as paid.
    Column("id", String(ID_LEN), primary_key=True),
    Column("payment_id", String(ID_LEN), nullable=False, index=True),
    Column("checkout_id", String(ID_LEN), nullable=False),
    # One per processor payment: a second capture event for it changes nothing.
    Column("provider_payment_id", String(100), nullable=False, unique=True),
    Column("event_id", String(100), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("expected_minor", BigInteger, nullable=False),
    Column("expected_currency", String(3), nullable=False),
    Column("captured_minor", BigInteger, nullable=False),
    Column("captured_currency", String(3), nullable=False),
    Column("status", String(16), nullable=False),
    Column("refund_id", String(100), nullable=True),
    Column("resolved_by", String(ID_LEN), nullable=True),
    Column("note", String(500), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("resolved_at", UtcDateTime(), nullable=True),
    Index("ix_payment_mismatches_status_id", "status", "id"),
)

processor_intents = Table(
    "processor_intents",
    metadata,
    # The outbox of calls to the processor (capture, refund, payout): written in the
    # transaction that decides the call, made after it commits, with `idempotency_key`, until
    # an answer (or a webhook) settles it exactly once: pending -> succeeded | refused.
    Column("id", String(ID_LEN), primary_key=True),
    Column("provider", String(32), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("provider_payment_id", String(100), nullable=True),
    Column("subject_id", String(ID_LEN), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("processor_ref", String(100), nullable=True),
    Column("last_error", String(500), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("settled_at", UtcDateTime(), nullable=True),
    # What the call sends beyond an amount (a chargeback's evidence text), or None.
    Column("payload", JSON, nullable=True),
    Index("ix_processor_intents_status_next", "status", "next_attempt_at"),
)

sandbox_psp_balance_moves = Table(
    "sandbox_psp_balance_moves",
    metadata,
    # The sandbox processor's own balance log: one row per movement of the merchant's balance
    # (capture, refund, fee, chargeback, chargeback_reversal, payout, payout_return), what its
    # daily settlement report lists. `reference` is what the merchant can match: the processor
    # payment id for captures and fees, the merchant's request key for refunds and payouts,
    # the chargeback id for chargebacks.
    Column("id", String(ID_LEN), primary_key=True),
    Column("type", String(24), nullable=False),
    Column("payment_id", String(ID_LEN), nullable=True),
    Column("reference", String(200), nullable=False),
    # Signed from the merchant's side: a capture adds to its balance, the rest take from it.
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("settlement_date", String(10), nullable=False),
    # A payout_return's reason (ISO 20022 return reason code, as the bank gave it).
    Column("reason_code", String(16), nullable=True),
    Index("ix_sandbox_psp_balance_moves_date", "settlement_date", "id"),
)

settlement_mismatches = Table(
    "settlement_mismatches",
    metadata,
    # What reconciliation found between a settlement report and the ledger (the operators'
    # payment mismatch queue, beside payment_mismatches): one row per (date, type, reference,
    # occurrence), so re-running a day finds, never duplicates.
    Column("id", String(ID_LEN), primary_key=True),
    Column("match_key", String(260), nullable=False, unique=True),
    Column("settlement_date", String(10), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("row_type", String(24), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("reported_minor", BigInteger, nullable=True),
    Column("reported_currency", String(3), nullable=True),
    Column("booked_minor", BigInteger, nullable=True),
    Column("booked_currency", String(3), nullable=True),
    Column("action", String(500), nullable=False),
    Column("status", String(16), nullable=False),
    Column("resolved_by", String(ID_LEN), nullable=True),
    Column("note", String(500), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("resolved_at", UtcDateTime(), nullable=True),
    Index("ix_settlement_mismatches_status_id", "status", "id"),
)

sandbox_psp_chargebacks = Table(
    "sandbox_psp_chargebacks",
    metadata,
    # The sandbox processor's own chargebacks (a card network disputing a payment).
    Column("id", String(ID_LEN), primary_key=True),
    Column("payment_id", String(ID_LEN), nullable=False, index=True),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reason_code", String(16), nullable=False),
    Column("evidence_due_at", UtcDateTime(), nullable=False),
    Column("status", String(24), nullable=False),
    Column("evidence", Text, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
)

# The operator overview counts refunds made in its window.
Index("ix_refunds_created_at", refunds.c.created_at)
