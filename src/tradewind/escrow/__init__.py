"""Escrow: buyer protection timers, release to sellers, refunds, disputes and payouts."""
