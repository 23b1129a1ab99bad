"""Tradewind: an open-source marketplace engine for cross-border trade."""

__version__ = "0.1.0"
