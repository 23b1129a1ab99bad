"""All tables, one module per bounded context, on one shared ``metadata``."""

from tradewind.db.tables import (
    catalog,
    escrow,
    identity,
    ledger,
    logistics,
    money,
    ordering,
    payments,
    platform,
)
from tradewind.db.tables.base import metadata

__all__ = [
    "catalog",
    "escrow",
    "identity",
    "ledger",
    "logistics",
    "metadata",
    "money",
    "ordering",
    "payments",
    "platform",
]
