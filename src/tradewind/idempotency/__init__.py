"""Idempotency records: the same key with the same request returns the first result."""
