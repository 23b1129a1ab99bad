"""All tables, one module per bounded context, on one shared ``metadata``."""

from tradewind.db.tables import (
    catalog,
    escrow,
    flash,
    identity,
    ledger,
    logistics,
    money,
    ordering,
    payments,
    platform,
    search,
)
from tradewind.db.tables.base import metadata

__all__ = [
    "catalog",
    "escrow",
    "flash",
    "identity",
    "ledger",
    "logistics",
    "metadata",
    "money",
    "ordering",
    "payments",
    "platform",
    "search",
]
