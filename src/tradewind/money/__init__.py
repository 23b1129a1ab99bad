"""Money: owns amounts as integer minor units per ISO 4217 and everything done to them. ``amount``
(``Money``), ``currency`` (currencies and countries), ``rounding`` (the one place a Decimal becomes
minor units), ``allocation`` (splits that sum exactly), ``fx`` (quotes and conversion) and
``display`` (per-locale formatting) are pure; ``service`` stores the FX quotes operators set and
looks them up as of an instant.
"""

__all__ = ["allocation", "amount", "currency", "display", "fx", "rounding", "service"]
