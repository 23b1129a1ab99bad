"""Ledger: owns the double-entry, append-only record of every money movement. ``domain`` holds
accounts, postings and transactions as pure values; ``service`` posts transactions and reads
balances; ``checks`` verifies every ledger invariant against the database (``tradewind ledger
check``).
"""

__all__ = ["checks", "domain", "service"]
