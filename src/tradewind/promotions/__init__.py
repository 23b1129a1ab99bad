"""Promotions: owns seller discounts, store promotions and coupons, platform coupons and
free-shipping thresholds. ``domain`` holds the pure rules (the one stacking order, exclusions,
rounding, the split of a platform coupon, who funds what); ``service`` creates and lists them with
their cost and takes coupon uses atomically for checkout (decision 45).
"""

__all__ = ["domain", "service"]
