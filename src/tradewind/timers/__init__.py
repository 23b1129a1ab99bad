"""Timers: owns durable timers, rows with a due time that the worker runs at least once. Holds,
payment timeouts, auto-confirm and tracking expiry are all timers, so a restart loses none and a
test can move the clock forward and watch them fire. ``service`` schedules, cancels and runs them.
"""

__all__ = ["service"]
