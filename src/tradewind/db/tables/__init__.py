"""All tables, one module per bounded context, on one shared ``metadata``."""

from tradewind.db.tables import identity, platform
from tradewind.db.tables.base import metadata

__all__ = ["identity", "metadata", "platform"]
