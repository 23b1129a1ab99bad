"""All tables, one module per bounded context, on one shared ``metadata``."""

from tradewind.db.tables import catalog, identity, money, ordering, platform
from tradewind.db.tables.base import metadata

__all__ = ["catalog", "identity", "metadata", "money", "ordering", "platform"]
