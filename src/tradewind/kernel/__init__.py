"""Shared kernel: the few pure building blocks every bounded context uses (errors and their
problem codes, clock, ids, text checks)."""
