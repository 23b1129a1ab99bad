"""The ``tradewind`` command line."""
