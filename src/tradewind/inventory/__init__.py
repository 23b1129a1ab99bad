"""Inventory: reserving and returning offer stock with conditional atomic updates."""
