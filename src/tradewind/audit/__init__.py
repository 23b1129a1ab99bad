"""Audit: an append-only log of operator actions (who, when, what, to which subject, why), for
any context to write and operators to read. Offers ``service.record`` and ``service.entries``."""

__all__ = ["service"]
