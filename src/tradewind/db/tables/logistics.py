"""Shipments, their tracking events and number claims, the postal simulator's parcels
(owned by tradewind.fulfilment)."""

from sqlalchemy import JSON, Column, Index, Integer, String, Table, Text, UniqueConstraint

from tradewind.db.tables.base import ID_LEN, metadata
from tradewind.db.types import UtcDateTime

shipments = Table(
    "shipments",
    metadata,
    Column("id", String(ID_LEN), primary_key=True),
    Column("order_id", String(ID_LEN), nullable=False, unique=True),
    Column("carrier", String(40), nullable=False),
    # S10 numbers are reused after 12 months: never a key on their own (see the index below).
    Column("tracking_number", String(13), nullable=False),
    Column("service_code", String(40), nullable=False),
    Column("shipping_kind", String(16), nullable=False),
    Column("origin_country", String(2), nullable=False),
    Column("destination_country", String(2), nullable=False),
    Column("status", String(24), nullable=False),
    Column("declaration", JSON, nullable=False),
    Column("shipped_at", UtcDateTime(), nullable=False),
    Column("last_event_at", UtcDateTime(), nullable=True),
    Column("delivered_at", UtcDateTime(), nullable=True),
    Index("ix_shipments_tracking_number_shipped_at", "tracking_number", "shipped_at"),
)

tracking_events = Table(
    "tracking_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("shipment_id", String(ID_LEN), nullable=False),
    Column("event_id", String(100), nullable=False),
    Column("code", String(8), nullable=False),
    Column("status", String(24), nullable=False),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("location", String(100), nullable=False),
    Column("description", Text, nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    UniqueConstraint("shipment_id", "event_id", name="uq_tracking_events_shipment_event"),
    Index("ix_tracking_events_shipment_occurred", "shipment_id", "occurred_at"),
)

tracking_number_claims = Table(
    "tracking_number_claims",
    metadata,
    # Who holds an S10 number now. Keyed by the number, but a claim only counts for
    # logistics.s10.REUSE_WINDOW: an older one is taken over by the next shipment with the
    # number (INSERT ... ON CONFLICT DO UPDATE ... WHERE claimed_at <= cutoff), so a number is
    # one shipment's within the window and free to be reused after it, atomically.
    Column("tracking_number", String(13), primary_key=True),
    Column("shipment_id", String(ID_LEN), nullable=False),
    Column("claimed_at", UtcDateTime(), nullable=False),
)

postal_sim_parcels = Table(
    "postal_sim_parcels",
    metadata,
    # The simulated postal network's own state (it stands in for carriers we cannot reach).
    Column("tracking_number", String(13), primary_key=True),
    Column("shipment_id", String(ID_LEN), nullable=False),
    Column("scenario", String(40), nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("steps_emitted", Integer, nullable=False),
    Column("webhook_url", String(500), nullable=False),
    # The parcel's route and service, which place and time its script (logistics.routes).
    Column("origin_country", String(2), nullable=False),
    Column("destination_country", String(2), nullable=False),
    Column("service_code", String(40), nullable=False),
    Column("steps_total", Integer, nullable=False),
)

postal_sim_serials = Table(
    "postal_sim_serials",
    metadata,
    Column("prefix", String(4), primary_key=True),
    Column("next_serial", Integer, nullable=False),
)
