"""Risk: an append-only log of risk-relevant events, rules kept as versioned data (with shadow
mode), cases with their score, fired rules and linked accounts, and the decisions that act on
escrow (hold a capture for review, extend buyer protection, hold a seller's payouts, a rolling
reserve). Offers ``service.record`` (and the ``RiskEvent`` subscriber), ``service.screen``,
``service.payout_restrictions``, the case queue and the backtest; ``sweeps`` judges what
only time reveals (parcels never scanned) on a timer."""

__all__ = ["domain", "engine", "service", "sweeps"]
