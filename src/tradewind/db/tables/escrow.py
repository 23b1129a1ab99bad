"""Disputes and payouts: the buyer-protection side of escrow."""

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from tradewind.db.tables.base import ID_LEN, metadata
from tradewind.db.types import UtcDateTime

disputes = Table(
    "disputes",
    metadata,
    Column("id", String(ID_LEN), primary_key=True),
    # One dispute per order, ever: a resolved dispute is not reopened, a new claim is a new
    # conversation with support.
    Column("order_id", String(ID_LEN), nullable=False, unique=True),
    Column("buyer_id", String(ID_LEN), nullable=False, index=True),
    Column("seller_account_id", String(ID_LEN), nullable=False, index=True),
    Column("reason", String(40), nullable=False),
    Column("status", String(24), nullable=False),
    Column("resolution", String(24), nullable=True),
    Column("refund_minor", BigInteger, nullable=True),
    Column("seller_response_due_at", UtcDateTime(), nullable=False),
    Column("protection_left_s", Integer, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("resolved_at", UtcDateTime(), nullable=True),
    Column("resolved_by", String(ID_LEN), nullable=True),
    Index("ix_disputes_seller_account_id_created_at", "seller_account_id", "created_at"),
)

dispute_messages = Table(
    "dispute_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dispute_id", String(ID_LEN), nullable=False, index=True),
    Column("author_id", String(ID_LEN), nullable=True),
    Column("author_role", String(16), nullable=False),
    Column("action", String(24), nullable=False),
    Column("body", Text, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
)

payouts = Table(
    "payouts",
    metadata,
    Column("id", String(ID_LEN), primary_key=True),
    Column("seller_id", String(ID_LEN), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("netted_minor", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("batch_key", String(100), nullable=False, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
    # The destination in use when the batch paid it (None: the seller had set none).
    Column("destination_id", String(ID_LEN), nullable=True),
    Index("ix_payouts_seller_id_id", "seller_id", "id"),
)

escrow_terms = Table(
    "escrow_terms",
    metadata,
    # Per order: when the buyer-protection timer ends, and whether the one extension was used.
    Column("order_id", String(ID_LEN), primary_key=True),
    Column("shipping_kind", String(16), nullable=False),
    Column("shipped_at", UtcDateTime(), nullable=True),
    Column("auto_confirm_at", UtcDateTime(), nullable=True),
    Column("extended", Integer, nullable=False),
    Column("released_at", UtcDateTime(), nullable=True),
    # When fulfilment reported the parcel delivered (null while in transit).
    Column("delivered_at", UtcDateTime(), nullable=True),
)

chargebacks = Table(
    "chargebacks",
    metadata,
    # A card-network dispute the processor reported (not a buyer dispute): one row per
    # processor chargeback id, whichever of its webhooks arrives first creates it.
    Column("id", String(ID_LEN), primary_key=True),
    Column("provider_chargeback_id", String(100), nullable=False, unique=True),
    Column("provider_payment_id", String(100), nullable=False, index=True),
    Column("checkout_id", String(ID_LEN), nullable=False, index=True),
    Column("buyer_id", String(ID_LEN), nullable=False),
    Column("reason_code", String(16), nullable=False),
    Column("category", String(24), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("evidence_due_at", UtcDateTime(), nullable=False),
    # open -> evidence_submitted -> won | lost (open -> won | lost when not contested)
    Column("status", String(24), nullable=False),
    Column("evidence", Text, nullable=True),
    Column("evidence_by", String(ID_LEN), nullable=True),
    Column("evidence_role", String(16), nullable=True),
    Column("evidence_at", UtcDateTime(), nullable=True),
    Column("outcome_at", UtcDateTime(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_chargebacks_status_id", "status", "id"),
)

chargeback_parts = Table(
    "chargeback_parts",
    metadata,
    # The chargeback split over the orders of the payment (largest remainder by what each
    # order still holds of the payment), with who is liable for each part if it is lost.
    Column("chargeback_id", String(ID_LEN), primary_key=True),
    Column("order_id", String(ID_LEN), primary_key=True),
    Column("seller_id", String(ID_LEN), nullable=False, index=True),
    Column("seller_account_id", String(ID_LEN), nullable=False, index=True),
    Column("amount_minor", BigInteger, nullable=False),
    Column("seller_amount_minor", BigInteger, nullable=False),
    Column("seller_currency", String(3), nullable=False),
    Column("liable", String(16), nullable=False),
    Column("rule", String(48), nullable=False),
)

payout_destinations = Table(
    "payout_destinations",
    metadata,
    # Where a seller's payouts go, append-only: the newest row per seller is the one in use,
    # the older ones are its history (a change is a risk event: account takeover).
    Column("id", String(ID_LEN), primary_key=True),
    Column("seller_id", String(ID_LEN), nullable=False),
    Column("account_id", String(ID_LEN), nullable=False),
    Column("scheme", String(16), nullable=False),  # iban
    Column("holder_name", String(140), nullable=False),
    Column("iban", String(34), nullable=False),  # compact form, validated (schwifty)
    Column("bic", String(11), nullable=True),
    Column("country", String(2), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_payout_destinations_seller_id_id", "seller_id", "id"),
)

payout_returns = Table(
    "payout_returns",
    metadata,
    # A payout the bank accepted and later sent back (wrong or closed account...), as the
    # processor reported it by webhook or in its settlement report: one row per payout,
    # whichever report comes first; append-only. Its destination is flagged by it: the
    # seller's next payout waits until the seller sets a destination again.
    Column("id", String(ID_LEN), primary_key=True),
    Column("payout_id", String(ID_LEN), nullable=False, unique=True),
    Column("seller_id", String(ID_LEN), nullable=False),
    Column("destination_id", String(ID_LEN), nullable=True),
    Column("reason_code", String(4), nullable=False),  # ISO 20022 return reason (AC04...)
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("provider_return_id", String(100), nullable=False),
    Column("source", String(16), nullable=False),  # webhook | report
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_payout_returns_seller_id_id", "seller_id", "id"),
)

# The operator overview counts disputes opened in its window.
Index("ix_disputes_created_at", disputes.c.created_at)

payout_holds = Table(
    "payout_holds",
    metadata,
    # A shop whose payouts an operator stopped, and why: the batch pays it nothing until an
    # operator releases it (the row is deleted; the audit log keeps both steps).
    Column("seller_id", String(ID_LEN), primary_key=True),
    Column("reason", String(500), nullable=False),
    Column("held_by", String(ID_LEN), nullable=False),
    Column("held_at", UtcDateTime(), nullable=False),
)
