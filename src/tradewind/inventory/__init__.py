"""Inventory: owns offer stock, taken by checkouts and given back by cancellations and returns,
always with conditional atomic updates. ``domain`` judges a batch of checkouts against what the
locked offers hold (pure); ``batch`` locks and reads those offers and writes what the batch took;
``service`` gives units back. Flash sales take from their own pool, not from here.
"""

__all__ = ["batch", "domain", "service"]
