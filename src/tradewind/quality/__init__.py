"""Quality: a seller's performance and the rules that judge it. ``domain`` holds the measures,
the rules as configuration (thresholds that warn, then pause) and judging a performance against
them, all pure; ``performance`` reads the figures from their owners (ordering, escrow,
fulfilment), each in one grouped read per seller; ``enforcement`` reviews every open shop on a
durable timer (warn, pause, clear), lets an operator reinstate one, and keeps every step.
"""

__all__ = ["domain", "enforcement", "performance"]
