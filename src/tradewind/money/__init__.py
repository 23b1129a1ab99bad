"""Money: integer minor units per ISO 4217, currencies, rounding, splits and FX."""
