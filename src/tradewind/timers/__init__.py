"""Durable timers: rows with a due time, run by the worker at least once.

Holds, payment timeouts, auto-confirm and tracking expiry are all timers, so a restart loses none
and a test can move the clock forward and watch them fire.
"""
