"""Shared kernel: the few pure building blocks every bounded context uses (errors, clock, ids)."""
