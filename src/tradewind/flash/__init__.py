"""Flash sales: owns campaigns that sell a small stock pool to very many buyers at once, never
oversold. ``domain`` holds the pure rules; ``claims`` applies a batch of claims under the sale's
row lock; ``writer`` is the per-process thread that batches claims; ``gate`` answers not-started,
ended and sold-out without the database; ``runtime`` wires one process's gate, its poller and the
writer; ``waitlist`` hands released units to the line; ``service`` creates and reads campaigns.
Design: docs/design/flash-sales.md.
"""

__all__ = ["claims", "domain", "gate", "runtime", "service", "waitlist", "writer"]
