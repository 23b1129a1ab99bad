"""All tables, one module per owning context, on one shared ``metadata``.

Only the owner imports a table module (docs/design/contexts.md; enforced by the protected
contracts in pyproject.toml); other contexts call the owner's service functions.
"""

from tradewind.db.tables import (
    audit,
    catalog,
    customs,
    escrow,
    flash,
    idempotency,
    identity,
    ledger,
    logistics,
    money,
    notifications,
    ordering,
    payments,
    promotions,
    quality,
    risk,
    search,
    timers,
)
from tradewind.db.tables.base import metadata

__all__ = [
    "audit",
    "catalog",
    "customs",
    "escrow",
    "flash",
    "idempotency",
    "identity",
    "ledger",
    "logistics",
    "metadata",
    "money",
    "notifications",
    "ordering",
    "payments",
    "promotions",
    "quality",
    "risk",
    "search",
    "timers",
]
