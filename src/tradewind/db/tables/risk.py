"""Risk: the append-only event log, rule versions, cases, the holds they put on escrow,
and labels (what a subject turned out to be) for backtests."""

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from tradewind.db.tables.base import ID_LEN, metadata
from tradewind.db.types import UtcDateTime

KEY_LEN = 128

risk_events = Table(
    "risk_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(24), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("account_id", String(ID_LEN), nullable=False),
    Column("order_id", String(ID_LEN), nullable=True),
    Column("checkout_id", String(ID_LEN), nullable=True),
    Column("buyer_id", String(ID_LEN), nullable=True),
    Column("seller_id", String(ID_LEN), nullable=True),
    Column("amount_minor", BigInteger, nullable=True),
    Column("currency", String(3), nullable=True),
    Column("device", String(KEY_LEN), nullable=True),
    Column("ip", String(KEY_LEN), nullable=True),
    Column("card", String(KEY_LEN), nullable=True),
    Column("address", String(KEY_LEN), nullable=True),
    Column("billing_country", String(2), nullable=True),
    Column("shipping_country", String(2), nullable=True),
    Column("client_country", String(2), nullable=True),
    Column("seller_country", String(2), nullable=True),
    Column("tracking_number", String(13), nullable=True),
    Column("reason", String(40), nullable=True),
    Index("ix_risk_events_at", "at"),
    Index("ix_risk_events_account_id_at", "account_id", "at"),
    Index("ix_risk_events_seller_id_at", "seller_id", "at"),
    Index("ix_risk_events_order_id", "order_id"),
    Index("ix_risk_events_checkout_id", "checkout_id"),
    Index("ix_risk_events_device", "device"),
    Index("ix_risk_events_ip", "ip"),
    Index("ix_risk_events_card", "card"),
    Index("ix_risk_events_address", "address"),
    Index("ix_risk_events_tracking_number", "tracking_number"),
)

risk_rule_versions = Table(
    "risk_rule_versions",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("rules", Text, nullable=False),  # JSON: case_at and the weighted rules
    Column("note", String(200), nullable=False),
    Column("created_by", String(ID_LEN), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("activated_at", UtcDateTime(), nullable=True),
)

risk_cases = Table(
    "risk_cases",
    metadata,
    Column("id", String(ID_LEN), primary_key=True),
    Column("subject_kind", String(10), nullable=False),
    Column("subject_id", String(ID_LEN), nullable=False),
    # "kind:id" while open, NULL once decided: at most one open case per subject.
    Column("open_key", String(2 * ID_LEN + 1), nullable=True, unique=True),
    Column("rules_version", Integer, nullable=False),
    Column("score_bp", Integer, nullable=False),  # the score in basis points (0 to 10000)
    Column("rules", Text, nullable=False),  # JSON list of the enforcing rules that fired
    Column("shadow_rules", Text, nullable=False),
    Column("actions", Text, nullable=False),
    Column("orders", Text, nullable=False),
    Column("accounts", Text, nullable=False),
    Column("status", String(12), nullable=False),  # open | allowed | confirmed
    Column("opened_at", UtcDateTime(), nullable=False),
    Column("decided_at", UtcDateTime(), nullable=True),
    Column("decided_by", String(ID_LEN), nullable=True),
    Column("reason", String(500), nullable=True),
    Index("ix_risk_cases_status_opened_at", "status", "opened_at"),
    Index("ix_risk_cases_subject_kind_subject_id", "subject_kind", "subject_id"),
)

risk_holds = Table(
    "risk_holds",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String(ID_LEN), nullable=False),
    Column("action", String(20), nullable=False),
    # An order (hold_capture, extend_protection) or a seller (hold_payout, rolling_reserve).
    Column("target_id", String(ID_LEN), nullable=False),
    Column("amount", Integer, nullable=False),  # reserve basis points, or extra days
    Column("created_at", UtcDateTime(), nullable=False),
    Column("lifted_at", UtcDateTime(), nullable=True),
    Index("ix_risk_holds_target_id_action", "target_id", "action"),
    Index("ix_risk_holds_case_id", "case_id"),
)

risk_labels = Table(
    "risk_labels",
    metadata,
    Column("subject_kind", String(10), primary_key=True),
    Column("subject_id", String(ID_LEN), primary_key=True),
    Column("pattern", String(40), nullable=False),  # a fraud pattern, or "honest"
    Column("source", String(20), nullable=False),  # bench | operator
    Column("labelled_at", UtcDateTime(), nullable=False),
)
