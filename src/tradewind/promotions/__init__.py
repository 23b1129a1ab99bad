"""Promotions: seller discounts, store promotions and coupons, platform coupons, free-shipping
thresholds; the order they stack in and who funds each discount (decision 42)."""
