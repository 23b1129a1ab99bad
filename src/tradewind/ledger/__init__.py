"""Ledger: double-entry, append-only bookkeeping of money movements; pure rules in ``domain``."""
