"""Stock: the units an offer holds, taken by checkouts and given back by cancellations and
returns, always with conditional atomic updates. Stock is a column of catalog's ``offers``, so
catalog owns it (decision 57: one owner per table); ``domain`` judges a batch of checkouts
against what the locked offers hold (pure); ``batch`` locks and reads those offers and writes
what the batch took; ``returns`` gives units back. Flash sales take from their own pool.
"""

__all__ = ["batch", "domain", "returns"]
