"""Idempotency: owns the records kept per (principal, Idempotency-Key), so that the same key with
the same request returns the first result and the same key with a different request is refused.
``service`` claims, stores and replays them.
"""

__all__ = ["service"]
